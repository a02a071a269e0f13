import type { CliContext } from '../cli-context.ts';
import { UsageError } from '../cli-errors.ts';
import { startDashboard } from '../dashboard/server.ts';
import { chooseDriver, closeDriver, createDriver } from '../driver-select.ts';
import { EXIT_CODES, type ExitCode } from '../exit-codes.ts';
import { flagOption, type OptionValues, secondsOption, stringOption } from '../parse-command-line.ts';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

function portOption(values: OptionValues): number {
  const text = stringOption(values, 'port');
  if (text === undefined) return 0;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError(`--port expects a port number from 0 to 65535, got '${text}'`, 'dashboard');
  return port;
}

/** hpc dashboard [--port N] [--interval s] [--host addr] [--local]: serves until Ctrl-C. */
export async function runDashboard(
  values: OptionValues,
  _positionals: string[],
  ctx: CliContext,
): Promise<ExitCode> {
  const port = portOption(values);
  const intervalMs = secondsOption(values, 'interval', 'dashboard', 2000, 500);
  const host = stringOption(values, 'host')?.trim() || '127.0.0.1';
  if (!LOOPBACK.has(host))
    ctx.stderr.write(
      `${ctx.stderr.style.yellow('hpc: warning:')} listening on ${host}, not only this machine: anyone who reaches it and has the URL (its token) sees your jobs and logs\n`,
    );
  const driver = await createDriver(chooseDriver({ local: flagOption(values, 'local'), env: ctx.env }).kind);
  try {
    const dashboard = await startDashboard({ driver, host, port, intervalMs });
    ctx.stdout.write(`${dashboard.url}\n`);
    ctx.stderr.write(
      `hpc: dashboard of the ${driver.kind} driver's jobs, one poll every ${intervalMs / 1000}s; open the URL above (Ctrl-C stops it)\n`,
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await dashboard.close();
    return EXIT_CODES.ok;
  } finally {
    closeDriver(driver, ctx.stderr);
  }
}
