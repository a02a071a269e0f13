import { escapeForeignControls } from './output-safety.ts';
import { colorEnabled, createStyle, type Style } from './terminal-style.ts';

/** One output stream as commands see it: text out, whether it is a terminal, its size, its colours. */
export interface Output {
  /** Writes text; control characters the CLI did not draw itself come out as visible escapes. */
  write(text: string): void;
  /** Writes text exactly as it is (`hpc logs --raw`: the job's own bytes, escape codes included). */
  writeRaw(text: string): void;
  readonly isTTY: boolean;
  /** Terminal width and height, when it is one. */
  readonly columns: number | undefined;
  readonly rows: number | undefined;
  readonly style: Style;
}

/** What every command receives: its streams, the environment and the --debug flag. */
export interface CliContext {
  stdout: Output;
  stderr: Output;
  env: NodeJS.ProcessEnv;
  cwd: string;
  debug: boolean;
}

export function createOutput(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): Output {
  const isTTY = stream.isTTY === true;
  return {
    write: (text) => {
      stream.write(escapeForeignControls(text));
    },
    writeRaw: (text) => {
      stream.write(text);
    },
    isTTY,
    // A pseudo-terminal without a size reports 0: treat it as unknown.
    get columns() {
      return isTTY && stream.columns > 0 ? stream.columns : undefined;
    },
    get rows() {
      return isTTY && stream.rows > 0 ? stream.rows : undefined;
    },
    style: createStyle(colorEnabled(stream, env)),
  };
}

export function createContext(debug: boolean): CliContext {
  return {
    stdout: createOutput(process.stdout, process.env),
    stderr: createOutput(process.stderr, process.env),
    env: process.env,
    cwd: process.cwd(),
    debug,
  };
}
