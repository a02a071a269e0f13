/**
 * Text that reaches a terminal or a job script must not carry characters that change what is
 * shown or run: control characters (C0, DEL, C1: escape sequences, carriage returns) and Unicode
 * format characters (bidi overrides such as U+202E, zero-width characters), plus line and
 * paragraph separators. Names and options refuse them; CLI output escapes them visibly.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const UNSAFE_ALL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;
/** What output keeps as it is: newlines and tabs (log lines). */
const UNSAFE_EXCEPT_LAYOUT = /[^\P{Cc}\n\t]|[\p{Cf}\p{Zl}\p{Zp}]/gu;

export interface UnsafeCharacter {
  /** UTF-16 index in the text. */
  index: number;
  codePoint: number;
  /** 'control' (C0, DEL, C1) or 'format' (bidi controls, zero-width and other invisible characters). */
  kind: 'control' | 'format';
}

/** The first character that must not appear in a name or setting, or undefined when there is none. */
export function findUnsafeCharacter(text: string): UnsafeCharacter | undefined {
  const match = UNSAFE.exec(text);
  if (!match) return undefined;
  const codePoint = match[0].codePointAt(0) as number;
  return { index: match.index, codePoint, kind: /\p{Cc}/u.test(match[0]) ? 'control' : 'format' };
}

/** 'U+202E (a format character)' — how an error names the character it refuses. */
export function describeUnsafeCharacter(found: UnsafeCharacter): string {
  const hex = found.codePoint.toString(16).toUpperCase().padStart(4, '0');
  return `U+${hex} (${found.kind === 'control' ? 'a control' : 'an invisible or bidi format'} character) at position ${found.index}`;
}

/**
 * The text with every control and format character written as a visible escape (`\x1b`,
 * `\u202e`), so data can never drive the terminal. `keepLayout` keeps newlines and tabs (logs).
 */
export function escapeUnsafeText(text: string, options: { keepLayout?: boolean } = {}): string {
  const pattern = options.keepLayout ? UNSAFE_EXCEPT_LAYOUT : UNSAFE_ALL;
  pattern.lastIndex = 0;
  return text.replace(pattern, (char) => {
    const code = char.codePointAt(0) as number;
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
