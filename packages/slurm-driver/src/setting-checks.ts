import { checkSettingText } from '@hpc/container';
import { describeUnsafeCharacter, findUnsafeCharacter, InvalidJobSettingError } from '@hpc/core';

/** Line and paragraph separators end a line like '\n' does: they count as control characters. */
const LINE_BREAKS = new Set([0x2028, 0x2029]);

/**
 * Refuses a setting that holds a character which must never reach a job script, an #SBATCH line or
 * a terminal: control characters (newline, CR, NUL, ESC, DEL, C1) and invisible or bidi format
 * characters (U+202E and friends), with an InvalidJobSettingError naming the setting. Unlike
 * checkSettingText (@hpc/container, for names and paths) line and paragraph separators count as
 * control characters (they break a line like '\n'), and `keepLayout` lets newlines and tabs through
 * (environment values are data, carried by shellQuote).
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

/** A name passed as an argument (module, conda env): also must not look like an option. */
export function checkWord(setting: string, value: unknown): string {
  const text = checkSettingText(setting, value, true);
  if (text.startsWith('-'))
    throw new InvalidJobSettingError(
      setting,
      value,
      'invalid-name',
      "cannot start with '-' (it would be read as an option)",
    );
  return text;
}
