import { InvalidJobSettingError } from './errors.ts';
import { refuseUnsafeCharacters } from './setting-checks.ts';

/** Whether an sbatch long option takes a value: always, optionally (`--nice[=n]`), or never. */
export type OptionArity = 'required' | 'optional' | 'none';

/**
 * sbatch's long options in Slurm 22.05 (from `sbatch --help` and `man sbatch`), with their arity.
 * Options the driver sets itself (output, error) or that change how sbatch answers (parsable,
 * wait, test-only, wrap, help...) are in RESERVED_OPTIONS instead.
 */
export const SBATCH_OPTIONS: Readonly<Record<string, OptionArity>> = {
  account: 'required',
  'acctg-freq': 'required',
  array: 'required',
  batch: 'required',
  bb: 'required',
  bbf: 'required',
  begin: 'required',
  chdir: 'required',
  'cluster-constraint': 'required',
  clusters: 'required',
  comment: 'required',
  constraint: 'required',
  container: 'required',
  contiguous: 'none',
  'core-spec': 'required',
  'cores-per-socket': 'required',
  'cpu-freq': 'required',
  'cpus-per-gpu': 'required',
  'cpus-per-task': 'required',
  deadline: 'required',
  'delay-boot': 'required',
  dependency: 'required',
  distribution: 'required',
  exclude: 'required',
  exclusive: 'optional',
  export: 'required',
  'export-file': 'required',
  'extra-node-info': 'required',
  'get-user-env': 'optional',
  gid: 'required',
  'gpu-bind': 'required',
  'gpu-freq': 'required',
  gpus: 'required',
  'gpus-per-node': 'required',
  'gpus-per-socket': 'required',
  'gpus-per-task': 'required',
  gres: 'required',
  'gres-flags': 'required',
  hint: 'required',
  hold: 'none',
  'ignore-pbs': 'none',
  input: 'required',
  'job-name': 'required',
  'kill-on-invalid-dep': 'required',
  licenses: 'required',
  'mail-type': 'required',
  'mail-user': 'required',
  'mcs-label': 'required',
  mem: 'required',
  'mem-bind': 'required',
  'mem-per-cpu': 'required',
  'mem-per-gpu': 'required',
  mincpus: 'required',
  network: 'required',
  nice: 'optional',
  'no-kill': 'optional',
  'no-requeue': 'none',
  nodefile: 'required',
  nodelist: 'required',
  nodes: 'required',
  ntasks: 'required',
  'ntasks-per-core': 'required',
  'ntasks-per-gpu': 'required',
  'ntasks-per-node': 'required',
  'ntasks-per-socket': 'required',
  'open-mode': 'required',
  overcommit: 'none',
  oversubscribe: 'none',
  partition: 'required',
  power: 'required',
  prefer: 'required',
  priority: 'required',
  profile: 'required',
  propagate: 'optional',
  qos: 'required',
  quiet: 'none',
  reboot: 'none',
  requeue: 'none',
  reservation: 'required',
  signal: 'required',
  'sockets-per-node': 'required',
  'spread-job': 'none',
  switches: 'required',
  'thread-spec': 'required',
  'threads-per-core': 'required',
  time: 'required',
  'time-min': 'required',
  tmp: 'required',
  uid: 'required',
  'use-min-nodes': 'none',
  verbose: 'none',
  'wait-all-nodes': 'required',
  wckey: 'required',
};

/** Real sbatch options the driver owns or that would break submission; each with what to use instead. */
export const RESERVED_OPTIONS: Readonly<Record<string, string>> = {
  array:
    'for many processes use driver.submitJobs(processes, { parallelism, processesPerTask }): it submits the array and gives every process its own id, outcome, result and logs',
  output: 'the driver sends stdout to <jobDir>/job.out; read it with driver.logs(id)',
  error: "the driver sends stderr to <jobDir>/job.err; read it with driver.logs(id, { stream: 'stderr' })",
  parsable: 'the driver always submits with --parsable',
  wrap: 'the driver writes its own job script',
  wait: 'use driver.waitForJob(id) instead of blocking sbatch',
  'test-only': 'test-only submits nothing; run sbatch --test-only yourself',
  help: 'not a job option',
  usage: 'not a job option',
  version: 'not a job option',
};

/** sbatch's one-letter options, to point users at the long name the driver expects. */
const SHORT_OPTIONS: Readonly<Record<string, string>> = {
  a: 'array',
  A: 'account',
  b: 'begin',
  B: 'extra-node-info',
  c: 'cpus-per-task',
  C: 'constraint',
  d: 'dependency',
  D: 'chdir',
  e: 'error',
  F: 'nodefile',
  G: 'gpus',
  H: 'hold',
  i: 'input',
  J: 'job-name',
  k: 'no-kill',
  L: 'licenses',
  m: 'distribution',
  M: 'clusters',
  n: 'ntasks',
  N: 'nodes',
  o: 'output',
  O: 'overcommit',
  p: 'partition',
  q: 'qos',
  Q: 'quiet',
  s: 'oversubscribe',
  S: 'core-spec',
  t: 'time',
  v: 'verbose',
  w: 'nodelist',
  W: 'wait',
  x: 'exclude',
};

/** A value given for an sbatch option: text, a number, or true / false for flags. */
export type SlurmArgValue = string | number | boolean;
export type SlurmArgs = Readonly<Record<string, SlurmArgValue | undefined>>;

/** One validated `#SBATCH --key[=value]` line. */
export interface SbatchDirective {
  readonly key: string;
  readonly value: string | undefined;
}

/**
 * Checks `slurmArgs` against sbatch's real option set and returns the directives in a stable order.
 * Keys are sbatch's long names ('cpus-per-task'); a leading '--' and underscores ('cpus_per_task')
 * are accepted. `true` or '' writes a flag, `false` / undefined leaves the option out.
 * Throws InvalidJobSettingError naming the key for anything unknown, reserved, or unsafe (control
 * characters would end the #SBATCH line; bidi/format characters hide what it says).
 */
export function validateSlurmArgs(slurmArgs: SlurmArgs = {}): SbatchDirective[] {
  const directives = new Map<string, SbatchDirective>();
  for (const [rawKey, rawValue] of Object.entries(slurmArgs)) {
    const key = normalizeKey(rawKey, rawValue);
    const setting = `slurmArgs.${rawKey}`;
    if (directives.has(key)) {
      throw new InvalidJobSettingError(
        setting,
        rawValue,
        'unexpected-value',
        `'${key}' is given twice (as '${rawKey}')`,
      );
    }
    if (rawValue === undefined || rawValue === false) continue;
    const arity = SBATCH_OPTIONS[key] as OptionArity;
    directives.set(key, { key, value: normalizeValue(setting, key, arity, rawValue) });
  }
  return [...directives.values()];
}

function normalizeKey(rawKey: string, rawValue: unknown): string {
  const setting = `slurmArgs.${rawKey}`;
  refuseUnsafeCharacters(setting, rawKey, rawValue);
  const short = SHORT_OPTIONS[rawKey.replace(/^-/, '')];
  if (short !== undefined && /^-?[A-Za-z]$/.test(rawKey)) {
    throw new InvalidJobSettingError(
      setting,
      rawValue,
      'short-option',
      `use sbatch's long option name '${short}' instead of '${rawKey}'`,
    );
  }
  const key = rawKey.replace(/^--/, '').replaceAll('_', '-');
  if (!/^[a-z][a-z0-9-]*$/.test(key)) {
    throw new InvalidJobSettingError(
      setting,
      rawValue,
      'invalid-name',
      "sbatch option names are lower-case words joined by '-', e.g. 'cpus-per-task'",
    );
  }
  const reserved = RESERVED_OPTIONS[key];
  if (reserved !== undefined) {
    throw new InvalidJobSettingError(
      setting,
      rawValue,
      'reserved-option',
      `'${key}' is set by the driver: ${reserved}`,
    );
  }
  if (!Object.hasOwn(SBATCH_OPTIONS, key)) {
    const near = closestOptions(key);
    const hint = near.length
      ? `did you mean ${near.map((name) => `'${name}'`).join(' or ')}?`
      : 'see man sbatch';
    throw new InvalidJobSettingError(
      setting,
      rawValue,
      'unknown-option',
      `sbatch has no option '--${key}'; ${hint}`,
    );
  }
  return key;
}

function normalizeValue(
  setting: string,
  key: string,
  arity: OptionArity,
  rawValue: SlurmArgValue,
): string | undefined {
  if (typeof rawValue === 'number') {
    if (!Number.isFinite(rawValue))
      throw new InvalidJobSettingError(setting, rawValue, 'not-a-string', 'numbers must be finite');
    rawValue = String(rawValue);
  }
  if (rawValue === true || rawValue === '') {
    if (arity === 'required') {
      throw new InvalidJobSettingError(
        setting,
        rawValue,
        'missing-value',
        `'--${key}' needs a value, e.g. { '${key}': '...' }`,
      );
    }
    return undefined;
  }
  if (typeof rawValue !== 'string') {
    throw new InvalidJobSettingError(
      setting,
      rawValue,
      'not-a-string',
      'values must be strings, numbers or booleans',
    );
  }
  refuseUnsafeCharacters(setting, rawValue);
  if (arity === 'none') {
    throw new InvalidJobSettingError(
      setting,
      rawValue,
      'unexpected-value',
      `'--${key}' is a flag without a value; pass { '${key}': true }`,
    );
  }
  return rawValue;
}

/** Known option names within edit distance 2, or sharing the typed word as a prefix. */
function closestOptions(key: string): string[] {
  const names = Object.keys(SBATCH_OPTIONS);
  const scored = names
    .map((name) => ({ name, distance: editDistance(key, name) }))
    .filter(({ name, distance }) => distance <= 2 || name.startsWith(key))
    .sort((a, b) => a.distance - b.distance);
  return scored.slice(0, 3).map(({ name }) => name);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] as number;
}
