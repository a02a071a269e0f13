import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { sbatchDirectiveQuote, shellQuote } from '../src/shell-quote.ts';

const HOSTILE = [
  '$(touch /tmp/pwned)',
  '`touch /tmp/pwned`',
  "'; touch /tmp/pwned; '",
  '"; touch /tmp/pwned; "',
  'a; b && c || d | e > f < g',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion is the point.
  '$HOME ${HOME} $((1+1)) !! \\ \\\\',
  "it's",
  '',
  ' leading and trailing ',
  '*?[a-z]~',
  'multi\nline\ttab',
  'ünïcödé ✓',
];

describe('shellQuote', () => {
  it.each(HOSTILE)('bash reads %j back verbatim', (value) => {
    const out = execFileSync('bash', ['-c', `printf '%s' ${shellQuote(value)}`], { encoding: 'utf8' });
    expect(out).toBe(value);
  });

  it('always quotes, even plain words', () => {
    expect(shellQuote('abc')).toBe("'abc'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });

  it('refuses NUL', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });
});

describe('sbatchDirectiveQuote', () => {
  it('double-quotes and escapes backslash and double quote', () => {
    expect(sbatchDirectiveQuote('4G')).toBe('"4G"');
    expect(sbatchDirectiveQuote('a "b" \\ #c')).toBe('"a \\"b\\" \\\\ #c"');
  });
});
