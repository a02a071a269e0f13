import { styleText } from 'node:util';

/**
 * Colours for terminal output: on only when the stream is a terminal (or FORCE_COLOR asks), off
 * whenever NO_COLOR is set (https://no-color.org). Without colour, text passes through untouched,
 * so piped output never carries escape codes. The codes come from Node's `util.styleText`.
 */
export interface Style {
  readonly enabled: boolean;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  blue(text: string): string;
  magenta(text: string): string;
  cyan(text: string): string;
  gray(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

export type Paint = (text: string) => string;

export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return stream.isTTY === true && env.TERM !== 'dumb';
}

type Format = Parameters<typeof styleText>[0];

// Whether to colour is decided above (colorEnabled), so styleText must not second-guess it.
const paint =
  (format: Format): Paint =>
  (text) =>
    text === '' ? text : styleText(format, text, { validateStream: false });
const plain: Paint = (text) => text;

export function createStyle(enabled: boolean): Style {
  if (!enabled) {
    return {
      enabled,
      red: plain,
      green: plain,
      yellow: plain,
      blue: plain,
      magenta: plain,
      cyan: plain,
      gray: plain,
      bold: plain,
      dim: plain,
    };
  }
  return {
    enabled,
    red: paint('red'),
    green: paint('green'),
    yellow: paint('yellow'),
    blue: paint('blue'),
    magenta: paint('magenta'),
    cyan: paint('cyan'),
    gray: paint('gray'),
    bold: paint('bold'),
    dim: paint('dim'),
  };
}
