import { InvalidOptionError } from './option-errors.ts';

/**
 * Parses sbatch's --time formats into milliseconds: "minutes", "minutes:seconds",
 * "hours:minutes:seconds", "days-hours", "days-hours:minutes", "days-hours:minutes:seconds".
 * Returns undefined for "UNLIMITED"/"infinite"; throws on anything else.
 */
export function parseSlurmTimeMs(text: string): number | undefined {
  const value = text.trim();
  if (/^(unlimited|infinite)$/i.test(value)) return undefined;
  const match = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(value);
  if (!match)
    throw new InvalidOptionError({
      option: 'time limit',
      value: text,
      allowed: 'a SLURM time limit (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS or UNLIMITED)',
      remedy: `${JSON.stringify(text)} is not a SLURM time limit: write e.g. '90' (minutes), '1:30:00' or '2-00:00:00'`,
    });
  const [, days, a, b, c] = match;
  const n = (part: string | undefined) => (part === undefined ? 0 : Number(part));
  let seconds: number;
  if (days !== undefined) {
    seconds = n(days) * 86_400 + n(a) * 3_600 + n(b) * 60 + n(c);
  } else if (c !== undefined) {
    seconds = n(a) * 3_600 + n(b) * 60 + n(c);
  } else if (b !== undefined) {
    seconds = n(a) * 60 + n(b);
  } else {
    seconds = n(a) * 60;
  }
  return seconds * 1_000;
}
