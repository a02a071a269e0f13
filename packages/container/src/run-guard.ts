import { ExitCalledError } from './errors.ts';

/**
 * While run() executes, turns the ways user code can escape the container into a rejection:
 * process.exit(), an uncaught exception or an unhandled rejection from a stray callback.
 */
export async function runGuarded<T>(task: () => T | Promise<T>): Promise<T> {
  const originalExit = process.exit;
  let fail: (error: unknown) => void = () => {};
  const escaped = new Promise<never>((_, reject) => {
    fail = reject;
  });
  const onUncaught = (error: unknown) => fail(error);
  process.exit = ((code?: number | string | null) => {
    const error = new ExitCalledError(code);
    fail(error);
    throw error;
  }) as typeof process.exit;
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  try {
    return await Promise.race([Promise.resolve().then(task), escaped]);
  } finally {
    process.exit = originalExit;
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
  }
}
