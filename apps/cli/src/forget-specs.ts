import type { CommandSpec, OptionSpec } from './command-specs.ts';

/** `hpc cancel`, `hpc forget` and `hpc clean`: what they accept and their help (kept apart: command-specs.ts is at its size limit). */
export function cancelForgetCleanSpecs(common: { json: OptionSpec; local: OptionSpec }): {
  cancel: CommandSpec;
  forget: CommandSpec;
  clean: CommandSpec;
} {
  const dryRun: OptionSpec = { type: 'boolean', description: 'say what would be removed; remove nothing' };
  const safety = [
    'A job that has not finished (pending, running, requeued, unknown) is never forgotten: it would go',
    'on running untracked. Cancel it (hpc cancel) and forget it once it has ended. An upstream that an',
    'unfinished job depends on is kept too. A batch goes whole, by its id (4711, local-12); one of its',
    "processes alone (4711_3) is refused. A job's folder is deleted only when it is a real folder inside",
    'the hpc home (never through a symbolic link). Local job ids are never given again.',
  ];
  return {
    cancel: {
      name: 'cancel',
      summary: 'cancel jobs by id (a batch id cancels the whole batch), or every unfinished job with --all',
      usage: ['hpc cancel <id...|->', 'hpc cancel --all'],
      positionals: [0, Number.POSITIVE_INFINITY],
      positionalName: 'ids',
      options: {
        all: { type: 'boolean', description: 'cancel every tracked job that has not finished' },
        json: common.json,
        local: common.local,
      },
      details: [
        "A batch's id (4711, local-12) cancels all its unfinished processes (SLURM: one scancel of the",
        'array); a process id (4711_3, 4711_3+2) cancels that process only.',
        "'-' reads the ids from stdin: hpc status --state pending --json | jq -r '.jobs[].id' | hpc cancel -",
      ],
      examples: ['hpc cancel 4711 4712', 'hpc cancel 4711_3+2', 'hpc cancel --all --local'],
    },
    forget: {
      name: 'forget',
      summary: 'remove finished jobs from the tracked history: their folders and their index entries',
      usage: ['hpc forget <id...|-> [--dry-run] [--json] [--local]'],
      positionals: [1, Number.POSITIVE_INFINITY],
      positionalName: 'ids',
      options: { 'dry-run': dryRun, json: common.json, local: common.local },
      details: [
        ...safety,
        "'-' reads the ids from stdin. Exit code 1 when an id was refused (each says why on stdout).",
      ],
      examples: [
        'hpc forget 4711 4712',
        'hpc forget local-12 --dry-run',
        "hpc status --state failed --json | jq -r '.batches[].id, .jobs[].id' | hpc forget -",
      ],
    },
    clean: {
      name: 'clean',
      summary: 'forget every finished job that ended longer ago than a duration (optionally by state, name)',
      usage: [
        'hpc clean --older-than <duration> [--state <states>] [--name <pattern>] [--dry-run] [--json] [--local]',
      ],
      positionals: [0, 0],
      positionalName: '',
      options: {
        'older-than': {
          type: 'string',
          value: 'duration',
          description: 'only jobs that ended at least this long ago: 30d, 12h, 90m, 45s, 2w (required)',
        },
        state: {
          type: 'string',
          multiple: true,
          value: 'states',
          description:
            'only jobs that ended in these states (completed,failed; repeatable); a batch: all its processes',
        },
        name: { type: 'string', value: 'pattern', description: "only jobs whose name matches ('fit*')" },
        'dry-run': dryRun,
        json: common.json,
        local: common.local,
      },
      details: [
        "By end time (a batch: its last process's). A match that has not finished, ended too recently or",
        'whose end time is not known (SLURM without accounting) is kept, and the summary says so.',
        ...safety,
      ],
      examples: [
        'hpc clean --older-than 30d',
        'hpc clean --older-than 12h --state completed --dry-run',
        "hpc clean --older-than 2w --name 'fit*' --json",
      ],
    },
  };
}
