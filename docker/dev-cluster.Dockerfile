# The project's dev SLURM cluster in one container: munge, MariaDB, slurmdbd, slurmctld and three
# `slurmd -N` nodes, started by the same scripts/cluster/up.sh that CI runs on a bare machine.
# Debian 12 (bookworm) with Node 24, so jobs can run the node-runner.
#   docker compose -f docker/compose.yaml up -d --build cluster
FROM node:24-bookworm-slim

# Packages and configs come from up.sh itself (--install-only: nothing is started at build time).
COPY scripts/cluster/ /opt/hpc/scripts/cluster/
RUN /opt/hpc/scripts/cluster/up.sh --install-only \
 && rm -rf /var/lib/apt/lists/*

COPY docker/cluster-entrypoint.sh /opt/hpc/cluster-entrypoint.sh
ENV HPC_HOME=/work/.hpc
WORKDIR /work
# slurmctld 6817, slurmdbd 6819 (the nodes' ports stay inside the container).
EXPOSE 6817 6819
HEALTHCHECK --interval=10s --timeout=20s --start-period=30s CMD /opt/hpc/scripts/cluster/status.sh >/dev/null
ENTRYPOINT ["/opt/hpc/cluster-entrypoint.sh"]
