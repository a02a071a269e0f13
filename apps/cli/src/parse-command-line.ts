import { parseArgs } from 'node:util';
import { UsageError } from './cli-errors.ts';
import {
  COMMAND_NAMES,
  COMMAND_SPECS,
  type CommandName,
  type CommandSpec,
  GLOBAL_OPTIONS,
  isCommandName,
} from './command-specs.ts';

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/** What the command line asks for. */
export type Invocation =
  | { kind: 'main-help'; debug: boolean }
  | { kind: 'version'; debug: boolean }
  | { kind: 'command-help'; spec: CommandSpec; debug: boolean }
  | {
      kind: 'command';
      name: CommandName;
      spec: CommandSpec;
      values: OptionValues;
      positionals: string[];
      debug: boolean;
    };

/**
 * Reads `hpc [--debug] <command> [args]`. Every mistake becomes a UsageError whose message is one
 * line naming the offending word; `--help` anywhere wins over other mistakes.
 */
export function parseCommandLine(argv: readonly string[]): Invocation {
  const debug = argv.includes('--debug');
  const rest = argv.filter((arg) => arg !== '--debug');
  const first = rest[0];
  if (first === undefined)
    throw new UsageError("missing command: try 'hpc submit my-process.ts' or 'hpc --help'", '');
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = rest[1];
    if (first === 'help' && topic !== undefined) {
      if (!isCommandName(topic)) throw unknownCommand(topic);
      return { kind: 'command-help', spec: COMMAND_SPECS[topic], debug };
    }
    return { kind: 'main-help', debug };
  }
  if (first === '--version' || first === '-v') return { kind: 'version', debug };
  if (first.startsWith('-'))
    throw new UsageError(`unknown option ${first} before the command (see 'hpc --help')`, '');
  if (!isCommandName(first)) throw unknownCommand(first);
  const spec = COMMAND_SPECS[first];
  const args = rest.slice(1);
  if (args.includes('--help') || args.includes('-h')) return { kind: 'command-help', spec, debug };
  return { kind: 'command', name: first, spec, ...parseCommandArgs(spec, args), debug };
}

function parseCommandArgs(
  spec: CommandSpec,
  args: string[],
): { values: OptionValues; positionals: string[] } {
  const options = Object.fromEntries(
    Object.entries({ ...spec.options, ...GLOBAL_OPTIONS }).map(([name, option]) => [
      name,
      {
        type: option.type,
        ...(option.short ? { short: option.short } : {}),
        ...(option.multiple ? { multiple: true } : {}),
      },
    ]),
  );
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${describeParseError(error, args)} (see 'hpc ${spec.name} --help')`, spec.name);
  }
  const positionals = parsed.positionals;
  const [min, max] = spec.positionals;
  if (positionals.length > max) {
    const extra = positionals[max] as string;
    throw new UsageError(`unexpected argument '${extra}' (see 'hpc ${spec.name} --help')`, spec.name);
  }
  if (positionals.length < min) {
    throw new UsageError(`missing <${spec.positionalName}>: usage: ${spec.usage[0]}`, spec.name);
  }
  return { values: parsed.values as OptionValues, positionals };
}

function describeParseError(error: unknown, args: readonly string[]): string {
  const code = (error as NodeJS.ErrnoException).code;
  const message = (error as Error).message;
  const quoted = /'(-{1,2}[^']*)'/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${quoted ?? message}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const option = /--[\w-]+/.exec(message)?.[0] ?? quoted ?? 'an option';
    if (/does not take an argument/.test(message)) return `option ${option} takes no value`;
    if (/ambiguous/.test(message)) {
      const at = args.indexOf(option);
      const next = at >= 0 ? args[at + 1] : undefined;
      return `option ${option} needs a value; to give one that starts with '-', write ${option}=${next ?? '-...'}`;
    }
    return `option ${option} needs a value`;
  }
  return message.split('\n')[0] ?? `cannot parse ${args.join(' ')}`;
}

function unknownCommand(word: string): UsageError {
  const near = COMMAND_NAMES.find((name) => name.startsWith(word.slice(0, 2)));
  return new UsageError(
    `unknown command '${word}'${near ? ` (did you mean '${near}'?)` : ''}; commands: ${COMMAND_NAMES.join(', ')}`,
    '',
  );
}

/** The values of a repeated option (always an array). */
export function listOption(values: OptionValues, name: string): string[] {
  const value = values[name];
  if (value === undefined || typeof value === 'boolean') return [];
  return Array.isArray(value) ? value : [value];
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function flagOption(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

/** key=value pairs of a repeated option; a pair without '=' or with an empty key is a usage error. */
export function keyValueOption(values: OptionValues, name: string, command: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const item of listOption(values, name)) {
    const at = item.indexOf('=');
    if (at <= 0) throw new UsageError(`--${name} expects key=value, got '${item}'`, command);
    pairs[item.slice(0, at).trim()] = item.slice(at + 1);
  }
  return pairs;
}

/** A positive number of seconds, returned in milliseconds. */
export function secondsOption(
  values: OptionValues,
  name: string,
  command: string,
  fallbackMs: number,
  minMs = 0,
): number {
  const text = stringOption(values, name);
  if (text === undefined) return fallbackMs;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds * 1000 < minMs || seconds <= 0) {
    throw new UsageError(`--${name} expects seconds (at least ${minMs / 1000}), got '${text}'`, command);
  }
  return Math.round(seconds * 1000);
}

/** A positive integer option. */
export function countOption(values: OptionValues, name: string, command: string): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  const count = Number(text);
  if (!Number.isSafeInteger(count) || count <= 0)
    throw new UsageError(`--${name} expects a positive whole number, got '${text}'`, command);
  return count;
}
