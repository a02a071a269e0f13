import { escapeUnsafeText } from '@hpc/core';

/** Data (a name, an id, a state, a message) put into one line of output: every control and format character escaped. */
export function shown(text: string): string {
  return escapeUnsafeText(text);
}

/** Data shown as lines (a stack, a log, a result): newlines and tabs kept, every other control escaped. */
export function shownLines(text: string): string {
  return escapeUnsafeText(text, { keepLayout: true });
}

/**
 * The last line of defence between text and the terminal. Data (job names, states, crate
 * metadata, remote errors, logs) is escaped where it is put into a line; this catches anything a
 * command forgot: every control or format character is written as a visible escape, except
 * newlines, tabs, carriage returns and the few sequences the CLI itself draws with (colours, erase
 * to the end of line or screen, cursor up, hide/show the cursor). An OSC title, a bell, a clear
 * screen, a C1 control or a bidi override therefore never reaches the terminal from any command.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the CLI's own escape sequences.
const OWN_SEQUENCES = /\u001b\[(?:\d{1,3}m|K|J|\d{1,4}A|\?25[lh])|\r/g;

export function escapeForeignControls(text: string): string {
  let safe = '';
  let from = 0;
  for (const match of text.matchAll(OWN_SEQUENCES)) {
    safe += shownLines(text.slice(from, match.index)) + match[0];
    from = match.index + match[0].length;
  }
  return safe + shownLines(text.slice(from));
}

/**
 * JSON.stringify escapes C0 controls inside strings but passes DEL, C1 controls, bidi and other
 * format characters, and the line/paragraph separators through as they are: those are written as
 * \uXXXX escapes too, so `--json` on a terminal is as safe as the tables, and parses back to the
 * same strings. (They can only occur inside string literals, so the document stays valid JSON.)
 */
const JSON_UNSAFE = /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/gu;

export function toSafeJson(value: unknown, pretty = true): string {
  const text = JSON.stringify(value, null, pretty ? 2 : undefined) ?? 'null';
  return text.replace(JSON_UNSAFE, (char) => {
    let escaped = '';
    for (let index = 0; index < char.length; index++)
      escaped += `\\u${char.charCodeAt(index).toString(16).padStart(4, '0')}`;
    return escaped;
  });
}
