import { text } from 'node:stream/consumers';
import { UsageError } from './cli-errors.ts';
import type { CommandName } from './command-specs.ts';

/** Commands whose ids may come from stdin ('-'): `... | jq -r '.jobs[].id' | hpc cancel -`. */
const READS_IDS_FROM_STDIN: ReadonlySet<CommandName> = new Set(['status', 'cancel', 'forget']);

/** At most this much is read from stdin (about 100,000 ids): a pipe from the wrong command is stopped. */
const MAX_STDIN_BYTES = 4 * 1024 * 1024;

/**
 * The positionals with '-' replaced by the whitespace-separated ids read from stdin. Reading a
 * terminal would wait forever for a user who did not mean to type ids, so that is a usage error.
 */
export async function withIdsFromStdin(
  command: CommandName,
  positionals: readonly string[],
  stdin: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin,
): Promise<string[]> {
  if (!positionals.includes('-') || !READS_IDS_FROM_STDIN.has(command)) return [...positionals];
  if (stdin.isTTY)
    throw new UsageError(`'-' reads job ids from stdin, but stdin is a terminal: pipe the ids in`, command);
  const input = await text(limited(stdin, command));
  const ids = input.split(/\s+/).filter(Boolean);
  if (ids.length === 0) throw new UsageError(`'-' read no job ids from stdin`, command);
  return positionals.flatMap((given) => (given === '-' ? ids : [given]));
}

async function* limited(stdin: NodeJS.ReadableStream, command: CommandName): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of stdin) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += bytes.length;
    if (total > MAX_STDIN_BYTES)
      throw new UsageError(
        `more than ${MAX_STDIN_BYTES / 1024 / 1024} MiB of ids on stdin: pass fewer`,
        command,
      );
    yield bytes;
  }
}
