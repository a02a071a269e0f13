import { describeUnsafeCharacter, findUnsafeCharacter } from '@hpc/core';
import { InvalidJobSettingError } from './errors.ts';

/** Line and paragraph separators end a line like '\n' does: they count as control characters. */
const LINE_BREAKS = new Set([0x2028, 0x2029]);

/**
 * Refuses a setting that holds a character which must never reach a job script, an #SBATCH line or
 * a terminal: control characters (newline, CR, NUL, ESC, DEL, C1) and invisible or bidi format
 * characters (U+202E and friends), with an InvalidJobSettingError naming the setting.
 * `keepLayout` lets newlines and tabs through (environment values are data, not names).
 */
export function refuseUnsafeCharacters(
  setting: string,
  text: string,
  value: unknown = text,
  options: { keepLayout?: boolean } = {},
): void {
  const checked = options.keepLayout ? text.replace(/[\n\t]/g, ' ') : text;
  const found = findUnsafeCharacter(checked);
  if (!found) return;
  const format = found.kind === 'format' && !LINE_BREAKS.has(found.codePoint);
  throw new InvalidJobSettingError(
    setting,
    value,
    format ? 'format-character' : 'control-character',
    `${describeUnsafeCharacter(found)}: newlines, carriage returns, NUL, other control characters and invisible or bidi format characters are not allowed`,
  );
}

/** A setting that must be a string without unsafe characters (and, with nonEmpty, not ''). */
export function checkText(setting: string, value: unknown, nonEmpty = false): string {
  if (typeof value !== 'string')
    throw new InvalidJobSettingError(setting, value, 'not-a-string', 'expected a string');
  if (nonEmpty && value === '')
    throw new InvalidJobSettingError(setting, value, 'missing-value', 'cannot be empty');
  refuseUnsafeCharacters(setting, value);
  return value;
}

/** A name passed as an argument (module, conda env): also must not look like an option. */
export function checkWord(setting: string, value: unknown): string {
  const text = checkText(setting, value, true);
  if (text.startsWith('-'))
    throw new InvalidJobSettingError(
      setting,
      value,
      'invalid-name',
      "cannot start with '-' (it would be read as an option)",
    );
  return text;
}
