import { DASHBOARD_SPEC, REPORT_SPEC } from './dashboard/dashboard-spec.ts';

/**
 * What every hpc command accepts, and its help text. Kept free of heavy imports: `hpc --help` and
 * every usage error are answered from this module (and dashboard/dashboard-spec.ts) alone.
 */
import { cancelForgetCleanSpecs } from './forget-specs.ts';
import { showAndStatsSpecs } from './observe-specs.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Placeholder shown in help: --args <json>. */
  value?: string;
  description: string;
}

export interface CommandSpec {
  name: CommandName;
  summary: string;
  usage: readonly string[];
  /** Positional arguments: [min, max] (max Infinity for lists). */
  positionals: readonly [number, number];
  positionalName: string;
  options: Readonly<Record<string, OptionSpec>>;
  details?: readonly string[];
  examples: readonly string[];
}

export const COMMAND_NAMES = [
  'submit',
  'status',
  'show',
  'stats',
  'logs',
  'cancel',
  'forget',
  'clean',
  'result',
  'inspect',
  'doctor',
  'dashboard',
  'report',
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  help: { type: 'boolean', short: 'h', description: 'show this help' },
  debug: { type: 'boolean', description: 'print stacks and causes with errors' },
};

const JSON_OPTION: OptionSpec = { type: 'boolean', description: 'machine-readable JSON on stdout' };
const LOCAL_OPTION: OptionSpec = {
  type: 'boolean',
  description: 'use the local driver even where SLURM is installed (or set HPC_DRIVER=local|slurm)',
};

export const COMMAND_SPECS: Readonly<Record<CommandName, CommandSpec>> = {
  submit: {
    name: 'submit',
    summary: 'build a Process from your module, serialize it and submit it; prints the job id',
    usage: [
      'hpc submit <module.(js|ts)> [options]',
      'hpc submit --crate <file.bin|file.h5> [--object </path>] [options]',
      'hpc submit <module.(js|ts)> --each <inputs.jsonl> [--parallelism <n>] [--per-task <n>] [options]',
    ],
    positionals: [0, 1],
    positionalName: 'module',
    options: {
      export: {
        type: 'string',
        value: 'Name',
        description: 'the exported Process class (or instance) to submit, when the module has several',
      },
      args: {
        type: 'string',
        value: 'json',
        description:
          'constructor arguments as JSON: an array is spread (\'["x", 3]\'), anything else is one argument',
      },
      each: {
        type: 'string',
        value: 'file.jsonl',
        description: 'one process per line, each line its constructor arguments like --args: one batch',
      },
      parallelism: {
        type: 'string',
        value: 'n',
        description: 'with --each: at most n tasks run at once',
      },
      'per-task': {
        type: 'string',
        value: 'n',
        description: 'with --each: run n processes one after another in each task (default 1)',
      },
      name: { type: 'string', value: 'name', description: 'job name (default: the class name)' },
      crate: {
        type: 'string',
        value: 'file',
        description: 'submit an existing crate file instead of a module',
      },
      object: {
        type: 'string',
        value: '/path',
        description: 'with --crate: the object inside an HDF5 crate',
      },
      import: {
        type: 'string',
        multiple: true,
        value: 'module',
        description: 'extra module the compute node imports first (it registers classes)',
      },
      'slurm-arg': {
        type: 'string',
        multiple: true,
        value: 'key=value',
        description: 'sbatch option by its long name, e.g. --slurm-arg mem=4G --slurm-arg time=01:00:00',
      },
      module: {
        type: 'string',
        multiple: true,
        value: 'name',
        description: 'environment module to `module load` on the node (SLURM)',
      },
      'module-path': {
        type: 'string',
        multiple: true,
        value: 'dir',
        description: 'folder to `module use` first (SLURM)',
      },
      'node-path': {
        type: 'string',
        value: 'path',
        description: 'Node on the compute nodes (default: this one)',
      },
      'runner-path': {
        type: 'string',
        value: 'path',
        description: 'node-runner the job starts (default: bundled)',
      },
      'conda-env': {
        type: 'string',
        value: 'name',
        description: 'conda environment to activate on the node (SLURM)',
      },
      env: {
        type: 'string',
        multiple: true,
        value: 'KEY=VALUE',
        description: 'environment variable for the job',
      },
      'checkpoint-lead': {
        type: 'string',
        value: 'seconds',
        description:
          'warn a Process that has checkpoint() this long before its time limit (default 120, 0 = off)',
      },
      resources: {
        type: 'string',
        value: 'choice',
        description:
          "suggested: mem and time from this class's history (hpc stats); suggested:mem, suggested:time",
      },
      'max-restarts': {
        type: 'string',
        value: 'n',
        description:
          'restart a Process with checkpoint() at most n times at its time limit or preemption (default 3)',
      },
      retry: {
        type: 'string',
        value: 'attempts',
        description:
          'attempts in all after failures (--retry-on), escalating memory after OOM and time after a timeout',
      },
      'retry-on': {
        type: 'string',
        value: 'causes',
        description:
          'comma list: out-of-memory,timeout,node-fail,preempted,lost (the default),process-error,exit-code',
      },
      after: {
        type: 'string',
        multiple: true,
        value: 'ids',
        description: 'start once these jobs completed (comma list or repeated); blocked if one fails',
      },
      'after-any': {
        type: 'string',
        multiple: true,
        value: 'ids',
        description: 'start once these jobs ended, however',
      },
      'after-not-ok': {
        type: 'string',
        multiple: true,
        value: 'ids',
        description: 'start once these jobs ended other than completed',
      },
      local: LOCAL_OPTION,
      wait: {
        type: 'boolean',
        description: 'wait for the job to finish, then print its result like `hpc result`',
      },
      json: JSON_OPTION,
    },
    details: [
      'The module is imported here (TypeScript works as written) and must register its class with',
      'registerProcess(MyProcess, { module: import.meta.url }). The job id goes to stdout alone, so',
      'id=$(hpc submit my-process.ts) works. SLURM is used when sbatch is on PATH, the local driver otherwise.',
      'The local driver ignores --module and --conda-env and uses --slurm-arg time=... as a time limit.',
      '--checkpoint-lead is capped at a tenth of the time limit (for short limits a sixth, at most 30 s);',
      'only a Process with checkpoint() stops at the warning, and it is saved and requeued (--max-restarts).',
      'Names and settings (--name, --export, --module, --slurm-arg, --env, ...) must be plain text:',
      'control and invisible/bidi characters are refused (exit 2).',
      '--each submits one batch: stdout gets its id (e.g. 4711; a SLURM batch split over several',
      "arrays prints each array's id), stderr the count; each process has its own id (4711_3, or",
      '4711_3+2 when packed with --per-task). Blank lines are skipped; a line that is not JSON or a',
      'constructor that throws is named file:line and nothing is submitted (exit 2).',
      'Defaults come from config files: <hpc home>/config.json (or $HPC_CONFIG), then .hpc.json in this',
      'folder or above; each has "defaults" and "clusters": { "<ClusterName>": ... } with slurmArgs,',
      'modules, modulePaths, env, condaEnv, checkpointSignalSeconds, maxRestarts, retry, nodePath,',
      'runnerPath. Flags win; slurmArgs and env merge by key. hpc doctor shows what applies.',
    ],
    examples: [
      'hpc submit my-process.ts --args \'["hello", 3]\' --slurm-arg cpus-per-task=4 --slurm-arg mem=4G',
      'hpc submit --crate data.h5 --object /my_process --import ./my-process.ts',
      'hpc submit my-process.ts --local --wait',
      'hpc submit sweep.ts --each inputs.jsonl --parallelism 50 --per-task 20 --slurm-arg time=00:10:00',
    ],
  },
  status: {
    name: 'status',
    summary: 'table of tracked jobs: id, name, state with reason, elapsed, node, exit code',
    usage: [
      'hpc status [ids...|-] [--watch] [--interval <seconds>] [--expand] [--state <states>] [--name <pattern>] [--json] [--local]',
    ],
    positionals: [0, Number.POSITIVE_INFINITY],
    positionalName: 'ids',
    options: {
      watch: {
        type: 'boolean',
        short: 'w',
        description: 'redraw in place until every watched job has finished',
      },
      interval: {
        type: 'string',
        value: 'seconds',
        description: 'seconds between scheduler polls with --watch (default 2)',
      },
      expand: {
        type: 'boolean',
        description: 'list every process of a batch as its own row (default: one row per batch)',
      },
      state: {
        type: 'string',
        multiple: true,
        value: 'states',
        description: 'only jobs in these states (failed,timeout; repeatable); not with --watch',
      },
      name: {
        type: 'string',
        value: 'pattern',
        description: "only jobs whose name matches ('fit*', 'run-?')",
      },
      json: JSON_OPTION,
      local: LOCAL_OPTION,
    },
    details: [
      "Ids may come from stdin: '-' reads them (whitespace-separated), e.g. from another command.",
      'All jobs are answered by one scheduler round trip per poll, however many there are.',
      'With --watch and no ids, the jobs not yet finished are watched. Exit code with --watch: 0 when',
      'every watched job completed, 1 otherwise. With --json and --watch, one JSON document per poll.',
      "A job whose record cannot be read is listed as 'unreadable' (the file is named on stderr) with",
      'all the others, and the exit code is 1; so is a SLURM job.json too damaged to give its job id',
      '(named on stderr, not listed).',
      'A batch (hpc submit --each) is one row: its id, a progress bar and its counts per state; its',
      "id (4711, local-12) stands for all its processes, a packed task's (4711_3) for that task's; ids of",
      "processes or tasks list their rows. --json lists every process in 'jobs' (with",
      "'batch') and each batch in 'batches' (id, count, finished, summary, ids).",
    ],
    examples: [
      'hpc status',
      'hpc status 4711 4712 --watch',
      'hpc status 4711 --expand',
      "hpc status --state failed --name 'fit*'",
      'hpc status --json | jq \'.jobs[] | select(.status == "failed") | .id\'',
    ],
  },
  ...showAndStatsSpecs({ json: JSON_OPTION, local: LOCAL_OPTION }),
  logs: {
    name: 'logs',
    summary: "print a job's output (stdout, or stderr with --stderr)",
    usage: ['hpc logs <id> [--stderr] [--follow] [--tail <lines>]'],
    positionals: [1, 1],
    positionalName: 'id',
    options: {
      stderr: { type: 'boolean', description: 'the error stream instead of stdout' },
      follow: { type: 'boolean', short: 'f', description: 'keep printing new output until the job ends' },
      tail: { type: 'string', value: 'lines', description: 'only the last N lines' },
      raw: {
        type: 'boolean',
        description: 'print the log exactly as written, escape codes included (default: shown escaped)',
      },
      local: LOCAL_OPTION,
    },
    details: [
      "The log is the job's own output: its control characters (colours, carriage returns, terminal",
      'titles) are shown as visible escapes such as \\x1b, newlines and tabs kept. --raw writes it as is.',
    ],
    examples: [
      'hpc logs 4711',
      'hpc logs local-3 --stderr --tail 50',
      'hpc logs 4711 --follow',
      'hpc logs 4711 --raw | less -R',
    ],
  },
  ...cancelForgetCleanSpecs({ json: JSON_OPTION, local: LOCAL_OPTION }),
  result: {
    name: 'result',
    summary: "print a finished job's result, or its remote error with stack and diagnosis (exit 1)",
    usage: ['hpc result <id> [--wait] [--json] [--import <module>]...'],
    positionals: [1, 1],
    positionalName: 'id',
    options: {
      wait: { type: 'boolean', description: 'wait for the job to finish first' },
      import: {
        type: 'string',
        multiple: true,
        value: 'module',
        description:
          'module that registers classes the result holds (results are never allowed to import code)',
      },
      json: JSON_OPTION,
      local: LOCAL_OPTION,
    },
    examples: [
      'hpc result 4711',
      'hpc result local-3 --wait --json',
      'hpc result 4711 --import ./my-types.ts',
    ],
  },
  inspect: {
    name: 'inspect',
    summary:
      'show what a crate file stores (objects, types, arrays, dtypes, codecs, sizes) without running it',
    usage: ['hpc inspect <file.bin|file.h5> [--json]'],
    positionals: [1, 1],
    positionalName: 'file',
    options: { json: JSON_OPTION },
    details: ['Only metadata is read: nothing in the file is decoded into objects, imported or executed.'],
    examples: ['hpc inspect process.bin', 'hpc inspect results.h5 --json'],
  },
  doctor: {
    name: 'doctor',
    summary:
      'check Node, SLURM commands, accounting, Lmod, the Blosc filter and state folder; says what to fix',
    usage: ['hpc doctor [--probe] [--json]'],
    positionals: [0, 0],
    positionalName: '',
    options: {
      probe: {
        type: 'boolean',
        description:
          'also submit one tiny job that proves the nodes see Node, the runner and the jobs folder',
      },
      json: JSON_OPTION,
    },
    details: [
      'Exit code 1 when a check failed (warnings alone exit 0). A state folder, job folder or job',
      'record other users can read is a warning with the chmod that fixes it (with HPC_SHARE=group,',
      'only access beyond the group). The SLURM job index is a per-host cache in $TMPDIR/hpc-<uid>/,',
      'rebuilt from the job folders by itself when it is missing or damaged.',
    ],
    examples: ['hpc doctor', 'hpc doctor --probe', 'hpc doctor --json'],
  },
  dashboard: DASHBOARD_SPEC,
  report: REPORT_SPEC,
};

export function isCommandName(name: string): name is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(name);
}
