import type { CommandSpec, OptionSpec } from './command-specs.ts';

/** `hpc show` and `hpc stats`: what they accept and their help (kept apart: command-specs.ts is at its size limit). */
export function showAndStatsSpecs(common: { json: OptionSpec; local: OptionSpec }): {
  show: CommandSpec;
  stats: CommandSpec;
} {
  return {
    show: {
      name: 'show',
      summary:
        'everything about one job: state history, requested vs used with efficiency, progress, why it failed, log tails',
      usage: ['hpc show <id> [--json] [--local]'],
      positionals: [1, 1],
      positionalName: 'id',
      options: { json: common.json, local: common.local },
      details: [
        "Used figures are the node-runner's own (wall, CPU, peak memory), else SLURM's accounting (sacct",
        'MaxRSS, TotalCPU); both are shown when known. Efficiency as seff defines it: CPU time ÷ (cpus ×',
        'wall), peak ÷ requested memory, wall ÷ time limit. A finished SLURM job asks sacct once for its figures.',
      ],
      examples: ['hpc show 4711', 'hpc show local-3 --json | jq .efficiency'],
    },
    stats: {
      name: 'stats',
      summary:
        'per Process class over the tracked jobs: runs, states, wall and peak memory p50/p95/max vs request, CPU efficiency, right-sizing',
      usage: ['hpc stats [--name <class>] [--min-runs <n>] [--json | --csv] [--local]'],
      positionals: [0, 0],
      positionalName: '',
      options: {
        name: { type: 'string', value: 'class', description: 'only this Process class (job name)' },
        'min-runs': {
          type: 'string',
          value: 'n',
          description: 'suggest a request only for classes with at least n measured runs (default 5)',
        },
        csv: { type: 'boolean', description: 'one CSV row per class on stdout' },
        json: common.json,
        local: common.local,
      },
      details: [
        "No scheduler call: states come from the job index, figures from each job's outcome.json (the",
        'runner\'s) or the sacct figures a poll kept. A suggestion ("Fit: asked mem=16G, p95 peak 1.3 GiB',
        'over 48 runs → mem=2G") is never below the highest peak seen plus a margin.',
      ],
      examples: ['hpc stats', 'hpc stats --name Fit --json', 'hpc stats --csv > usage.csv'],
    },
  };
}
