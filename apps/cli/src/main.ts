import packageJson from '../package.json' with { type: 'json' };
import { type CliContext, createContext } from './cli-context.ts';
import type { CommandName } from './command-specs.ts';
import { exitCodeFor, reportError } from './error-report.ts';
import { EXIT_CODES, type ExitCode } from './exit-codes.ts';
import { renderCommandHelp, renderMainHelp } from './help-text.ts';
import { isLocalHostInvocation } from './local-host-command.ts';
import { shownLines } from './output-safety.ts';
import { type OptionValues, parseCommandLine } from './parse-command-line.ts';
import { withIdsFromStdin } from './stdin-ids.ts';

type CommandRunner = (values: OptionValues, positionals: string[], ctx: CliContext) => Promise<ExitCode>;

/**
 * Each command's code (and the packages it needs: drivers, serializer, h5wasm) loads only when
 * that command runs, so `hpc --help` and usage errors cost little more than Node's own start.
 */
const COMMANDS: Record<CommandName, () => Promise<CommandRunner>> = {
  submit: async () => (await import('./commands/submit.ts')).runSubmit,
  status: async () => (await import('./commands/status.ts')).runStatus,
  show: async () => (await import('./commands/show.ts')).runShow,
  stats: async () => (await import('./commands/stats.ts')).runStats,
  logs: async () => (await import('./commands/logs.ts')).runLogs,
  cancel: async () => (await import('./commands/cancel.ts')).runCancel,
  forget: async () => (await import('./commands/forget.ts')).runForget,
  clean: async () => (await import('./commands/clean.ts')).runClean,
  result: async () => (await import('./commands/result.ts')).runResult,
  inspect: async () => (await import('./commands/inspect.ts')).runInspect,
  doctor: async () => (await import('./commands/doctor.ts')).runDoctor,
  dashboard: async () => (await import('./commands/dashboard.ts')).runDashboard,
  report: async () => (await import('./commands/report.ts')).runReport,
};

/** Runs one hpc command line and returns its exit code (0 ok, 1 failed, 2 usage). */
export async function main(argv: readonly string[]): Promise<number> {
  const debug = argv.includes('--debug');
  const ctx = createContext(debug);
  let command = '';
  try {
    const invocation = parseCommandLine(argv);
    switch (invocation.kind) {
      case 'main-help':
        ctx.stdout.write(renderMainHelp(packageJson.version));
        return EXIT_CODES.ok;
      case 'version':
        ctx.stdout.write(`${packageJson.version}\n`);
        return EXIT_CODES.ok;
      case 'command-help':
        ctx.stdout.write(renderCommandHelp(invocation.spec));
        return EXIT_CODES.ok;
      case 'command': {
        command = invocation.name;
        const run = await COMMANDS[invocation.name]();
        const positionals = await withIdsFromStdin(invocation.name, invocation.positionals);
        return await run(invocation.values, positionals, ctx);
      }
    }
  } catch (error) {
    const usage = exitCodeFor(error) === EXIT_CODES.usage;
    reportError(
      error,
      ctx.stderr,
      debug,
      usage ? (error as { command?: string }).command || command : command,
    );
    return exitCodeFor(error);
  }
}

/** Module hooks (user .ts modules) need Node 22.15+; say so instead of failing somewhere deep. */
function nodeTooOld(): string | undefined {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 15)) return undefined;
  return `hpc needs Node 22.15 or newer, but ${process.execPath} is Node ${process.versions.node}: install Node 24 LTS and put it first on PATH`;
}

/** Exits once stdout and stderr are flushed, even if a local job's child handle is still open. */
function exitWhenFlushed(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

// A closed pipe (`hpc status | head`) is not an error worth a stack.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT_CODES.ok);
  throw error;
});

const tooOld = nodeTooOld();
if (tooOld) {
  process.stderr.write(`hpc: ${tooOld}\n`);
  process.exit(EXIT_CODES.failed);
}

const argv = process.argv.slice(2);
const run = isLocalHostInvocation(argv)
  ? import('./local-host.ts').then(({ runLocalHost }) => runLocalHost())
  : main(argv);
run.then(exitWhenFlushed, (error: unknown) => {
  process.stderr.write(`hpc: internal error: ${shownLines((error as Error)?.stack ?? String(error))}\n`);
  exitWhenFlushed(EXIT_CODES.failed);
});
