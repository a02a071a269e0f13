/** node-runner's command line: [--import <module>]... [--object <path>] [--job-dir <dir>] <crate-file> */
export interface RunnerArgs {
  imports: string[];
  crate: string;
  object: string | undefined;
  jobDir: string | undefined;
}

export const RUNNER_USAGE =
  'usage: node-runner [--import <module>]... [--object </path/in/h5>] [--job-dir <dir>] <crate-file>';

export class RunnerUsageError extends Error {
  constructor(message: string) {
    super(`${message}\n${RUNNER_USAGE}`);
    this.name = 'RunnerUsageError';
  }
}

export function parseRunnerArgs(argv: readonly string[]): RunnerArgs {
  const imports: string[] = [];
  let crate: string | undefined;
  let object: string | undefined;
  let jobDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new RunnerUsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === '--import') imports.push(value());
    else if (arg === '--object') object = value();
    else if (arg === '--job-dir') jobDir = value();
    else if (arg.startsWith('--')) throw new RunnerUsageError(`unknown option ${arg}`);
    else if (crate === undefined) crate = arg;
    else throw new RunnerUsageError(`unexpected argument ${arg}`);
  }
  if (crate === undefined) throw new RunnerUsageError('missing the crate file');
  return { imports, crate, object, jobDir };
}

/** The argument list that parseRunnerArgs reads back (one place that knows the flags). */
export function formatRunnerArgs(args: RunnerArgs): string[] {
  const argv: string[] = [];
  for (const module of args.imports) argv.push('--import', module);
  if (args.object !== undefined) argv.push('--object', args.object);
  if (args.jobDir !== undefined) argv.push('--job-dir', args.jobDir);
  argv.push(args.crate);
  return argv;
}
