import { formatWithOptions } from 'node:util';
import type { Logger } from '@hpc/process';

/** A logger for run(): timestamped lines, info/debug to stdout, warn/error to stderr. */
export function createLogger(debug = process.env.HPC_DEBUG === '1'): Logger {
  const line = (level: string, args: unknown[]) =>
    `${new Date().toISOString()} ${level} ${formatWithOptions({ colors: false }, ...args)}\n`;
  return {
    debug: (...args) => {
      if (debug) process.stdout.write(line('DEBUG', args));
    },
    info: (...args) => process.stdout.write(line('INFO', args)),
    warn: (...args) => process.stderr.write(line('WARN', args)),
    error: (...args) => process.stderr.write(line('ERROR', args)),
  };
}
