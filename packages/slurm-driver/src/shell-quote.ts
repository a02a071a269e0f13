import { InternalError } from '@hpc/core';

/**
 * Quotes one value for bash: always single quotes, a single quote becomes '\''. Nothing inside
 * single quotes is expanded ($, `, \, !, newlines), so the value reaches the command verbatim.
 * The one quoting function for every value the job script's shell reads.
 */
export function shellQuote(value: string): string {
  if (value.includes('\0'))
    throw new InternalError(
      'a shell word reached shellQuote with a NUL character (settings are checked before)',
    );
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * Quotes a value for an `#SBATCH` line. These lines are comments to bash; sbatch's own directive
 * parser splits at blanks and '#' outside double quotes and honours backslash escapes, so the value
 * goes in double quotes with `\` and `"` escaped (verified against sbatch 22.05). Control characters
 * are refused earlier (validateSlurmArgs).
 */
export function sbatchDirectiveQuote(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}
