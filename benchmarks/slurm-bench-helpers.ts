import { execFileSync } from 'node:child_process';

/** Cancels jobs, 500 ids per scancel. */
export function cancel(ids: readonly string[]): void {
  for (let i = 0; i < ids.length; i += 500) execFileSync('scancel', ids.slice(i, i + 500));
}

/** The best of three bare `sacct` calls over the ids: the baseline a status poll is held against. */
export function timeSacct(ids: readonly string[]): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    execFileSync(
      'sacct',
      [
        '--allocations',
        '--noheader',
        '--parsable2',
        `--jobs=${ids.join(',')}`,
        '--format=JobIDRaw,State,ExitCode',
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    best = Math.min(best, performance.now() - t);
  }
  return best;
}
