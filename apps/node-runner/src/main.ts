import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as hpcContainer from '@hpc/container';
import { JobContainer } from '@hpc/container';
import * as hpcCore from '@hpc/core';
import { exitCodeOf } from '@hpc/core';
import * as hpcProcess from '@hpc/process';
import * as hpcSerializer from '@hpc/serializer';
import { installModuleHooks } from './module-hooks.ts';
import { parseRunnerArgs } from './runner-args.ts';

/**
 * node-runner: the program a job script (or the local driver) starts on the compute node.
 * Exit codes: 0 ok, 1 run() threw, 2 infrastructure failure (bad crate, failed import, signal).
 */
async function main(argv: readonly string[]): Promise<number> {
  let args: ReturnType<typeof parseRunnerArgs>;
  try {
    args = parseRunnerArgs(argv);
  } catch (error) {
    process.stderr.write(`node-runner: ${(error as Error).message}\n`);
    return 2;
  }
  installModuleHooks(
    {
      '@hpc/core': hpcCore,
      '@hpc/process': hpcProcess,
      '@hpc/serializer': hpcSerializer,
      '@hpc/container': hpcContainer,
    },
    { 'h5wasm/node': new URL('./h5wasm/hdf5_hl.js', import.meta.url).href },
  );
  const container = new JobContainer(args.crate, { object: args.object, jobDir: args.jobDir });
  process.on('SIGTERM', () => void container.interrupt('terminated'));
  process.on('SIGINT', () => void container.interrupt('cancelled'));
  process.on('SIGUSR1', () => void container.interrupt('time-limit'));

  for (const specifier of args.imports) {
    try {
      await import(toImportUrl(specifier));
    } catch (error) {
      const wrapped = new Error(
        `importing ${specifier} failed: ${(error as Error)?.message ?? String(error)}`,
        { cause: error },
      );
      wrapped.name = 'ModuleImportError';
      const outcome = await container.recordFailure('import-failed', wrapped);
      process.stderr.write(`node-runner: ${wrapped.message}\n`);
      return exitCodeOf(outcome);
    }
  }
  const outcome = await container.execute();
  if (outcome.status === 'failed') {
    process.stderr.write(
      `node-runner: job failed (${outcome.kind === 'process' ? 'run() threw' : outcome.reason}): ${outcome.error.name}: ${outcome.error.message}\n`,
    );
  }
  return exitCodeOf(outcome);
}

function toImportUrl(specifier: string): string {
  if (specifier.startsWith('file:') || specifier.startsWith('data:')) return specifier;
  if (isAbsolute(specifier) || specifier.startsWith('.')) return pathToFileURL(resolve(specifier)).href;
  return specifier;
}

main(process.argv.slice(2)).then(
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
