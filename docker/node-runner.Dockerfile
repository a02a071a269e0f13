# A compute-node image: Node 24, the self-contained node-runner, SLURM's client and slurmd, and
# Lmod, installed by the same scripts/cluster/up.sh (--install-only). Use it as the base image for
# nodes that run @hpc jobs, or run one job by hand:
#   docker run --rm -v /shared/jobs:/shared/jobs hpc-node-runner --job-dir /shared/jobs/x /shared/jobs/x/process.bin

# ---- build the runner from the workspace (pinned pnpm, frozen lockfile)
FROM node:24-bookworm-slim AS build
RUN npm install -g pnpm@11.28.11
WORKDIR /src
COPY . .
RUN pnpm install --frozen-lockfile \
 && pnpm --filter @hpc/runner... run build

# ---- the node image
FROM node:24-bookworm-slim
COPY scripts/cluster/ /opt/hpc/scripts/cluster/
RUN /opt/hpc/scripts/cluster/up.sh --install-only \
 && rm -rf /var/lib/apt/lists/*
# dist/ holds node-runner.mjs and the HDF5 filter plugins it loads from beside itself.
COPY --from=build /src/packages/runner/dist/ /opt/hpc/node-runner/
ENTRYPOINT ["node", "/opt/hpc/node-runner/node-runner.mjs"]
