import { runNodeRunner } from './runner-main.ts';

/** The runner bundle's entry (dist/node-runner.mjs): run one job, then exit with its code. */
runNodeRunner(process.argv.slice(2)).then(
  (code) => exitWhenFlushed(code),
  (error: unknown) => {
    process.stderr.write(`node-runner: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    exitWhenFlushed(2);
  },
);

/** Exits even if user code left timers or sockets open; the outcome is already on disk. */
function exitWhenFlushed(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
