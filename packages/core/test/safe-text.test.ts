import { describe, expect, it } from 'vitest';
import { describeUnsafeCharacter, escapeUnsafeText, findUnsafeCharacter } from '../src/index.ts';

describe('findUnsafeCharacter', () => {
  it('finds control, bidi and zero-width characters, and passes ordinary text', () => {
    expect(findUnsafeCharacter('fit-ü-日本-🙂')).toBeUndefined();
    expect(findUnsafeCharacter('a\x1b[31m')).toMatchObject({ index: 1, codePoint: 0x1b, kind: 'control' });
    expect(findUnsafeCharacter('name\u202Etxt.exe')).toMatchObject({ index: 4, kind: 'format' });
    expect(findUnsafeCharacter('a\u200Bb')?.codePoint).toBe(0x200b);
    expect(findUnsafeCharacter('line\u2028break')?.codePoint).toBe(0x2028);
    expect(findUnsafeCharacter('c1\u0085')?.kind).toBe('control');
    expect(findUnsafeCharacter('tab\there')?.codePoint).toBe(9);
  });

  it('names the character it found', () => {
    const found = findUnsafeCharacter('x\u202E');
    expect(found && describeUnsafeCharacter(found)).toBe(
      'U+202E (an invisible or bidi format character) at position 1',
    );
  });
});

describe('escapeUnsafeText', () => {
  it('writes escape sequences, BEL and bidi overrides visibly', () => {
    expect(escapeUnsafeText('\x1b]0;pwned\x07ok\u202e')).toBe('\\x1b]0;pwned\\x07ok\\u202e');
  });

  it('keeps newlines and tabs only when asked to', () => {
    expect(escapeUnsafeText('a\nb\tc\r')).toBe('a\\x0ab\\x09c\\x0d');
    expect(escapeUnsafeText('a\nb\tc\r', { keepLayout: true })).toBe('a\nb\tc\\x0d');
  });
});
