import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ObjectSerializer } from '@hpc/serializer';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanHome, fixture, makeHome, runHpc, runOnTerminal } from './hpc-process.ts';

/**
 * Data written as an attacker would: an OSC window title ended by BEL, a clear screen, a bidi
 * override and a C1 CSI. Whatever command prints it, the terminal must get visible escapes.
 */
const HOSTILE = 'A\u001b]0;pwned\u0007B\u001b[2JC\u202eD\u009bE';
const VISIBLE = ['\\x1b]0;pwned\\x07', '\\x1b[2J', '\\u202e', '\\x9b'];

/** Control characters (but newline, tab, carriage return) and format characters such as U+202E. */
const UNSAFE = /[^\P{Cc}\n\t\r]|\p{Cf}/u;
/** What the CLI itself draws with on a terminal: colours, erase line/screen, cursor up, cursor on/off. */
const OWN_SEQUENCES = new RegExp(`${'\u001b'}\\[(?:\\d{1,3}m|K|J|\\d{1,4}A|\\?25[lh])`, 'g');

function expectSafe(text: string): void {
  const found = UNSAFE.exec(text);
  expect(
    found
      ? `U+${found[0].codePointAt(0)?.toString(16)} near ${JSON.stringify(text.slice(found.index - 30, found.index + 30))}`
      : '',
  ).toBe('');
}

function expectVisible(text: string): void {
  for (const visible of VISIBLE) expect(text).toContain(visible);
}

let home: string;
let h5: string;
let jobId: string;

/** Changes every string in a JSON file that equals `from` (a job record's name, wherever it is kept). */
async function replaceJsonStrings(file: string, from: string, to: string): Promise<void> {
  const record = JSON.parse(await readFile(file, 'utf8'), (_key, value) => (value === from ? to : value));
  await writeFile(file, JSON.stringify(record));
}

async function waitForRecordedEnd(file: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(JSON.parse(await readFile(file, 'utf8')) as { endedAt?: string }).endedAt) {
    if (Date.now() > deadline) throw new Error(`${file} records no end after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

beforeAll(async () => {
  assertBuilt();
  home = await makeHome();
  // An HDF5 crate made by this package, then edited with h5py: hostile group and dataset names,
  // class ids and attributes, as a crate from someone else could carry them (the class registry
  // refuses such ids, so only an edited file can hold them).
  h5 = join(home, 'hostile.h5');
  const crate = new ObjectSerializer(h5);
  await crate.serialize({ values: new Float64Array(20_000) }, '/settings');
  await execa('/usr/bin/python3', [
    '-c',
    `import h5py, json, sys, zlib, numpy as np
hostile = sys.argv[2]
with h5py.File(sys.argv[1], 'r+') as f:
    g = f['settings']
    header = [hostile, json.dumps([hostile]), hostile, hostile]
    for name, value in zip(('hpc_type', 'hpc_types', 'hpc_codec', 'hpc_created_at'), header):
        del g.attrs[name]
        g.attrs[name] = value
    # With the checksum over these attributes made right: a hostile file, not a damaged one.
    g.attrs['hpc_header_crc32'] = np.uint32(zlib.crc32(json.dumps(header, separators=(',', ':'), ensure_ascii=False).encode()))
    g.move('arrays/0', 'arrays/0' + hostile)
    f.move('settings', 'set' + hostile)`,
    h5,
    HOSTILE,
  ]);

  // A job whose error message and stderr carry the hostile text, and whose record's name is edited to it.
  const submitted = await runHpc(
    ['submit', fixture('failing-process.ts'), '--args', JSON.stringify(HOSTILE)],
    {
      home,
    },
  );
  expect(submitted.exitCode).toBe(0);
  jobId = submitted.stdout.trim();
  const watched = await runHpc(['status', jobId, '--watch', '--interval', '0.2'], { home });
  expect(watched.exitCode).toBe(1);
  // The outcome says 'failed' before the runner exits; the job's host then records the end in
  // job.json. Edit the record only after that write, or the host's copy replaces the edit.
  const record = join(home, 'local', 'jobs', jobId, 'job.json');
  await waitForRecordedEnd(record);
  await replaceJsonStrings(record, 'FailingProcess', `Fail${HOSTILE}`);
});
afterAll(() => cleanHome(home));

describe('data never drives the terminal (piped output)', () => {
  it('status: the table, --watch lines and errors show job names escaped', async () => {
    const table = await runHpc(['status'], { home });
    expect(table.exitCode).toBe(0);
    expectSafe(table.stdout);
    expectVisible(table.stdout);
    expect(table.stdout).toMatch(new RegExp(`^${jobId}\\s+Fail.*failed \\(process-error\\)`, 'm'));

    const lines = await runHpc(['status', jobId, '--watch', '--interval', '0.2'], { home });
    expectSafe(lines.stdout);
    expectVisible(lines.stdout);
  });

  it('status --json stays JSON, escapes C1 and bidi too, and gives back the exact name', async () => {
    for (const watch of [false, true]) {
      const result = await runHpc(watch ? ['status', jobId, '--watch', '--json'] : ['status', '--json'], {
        home,
      });
      expectSafe(result.stdout);
      expect(result.stdout).toContain('\\u202e');
      expect(result.stdout).toContain('\\u009b');
      // --watch --json: one document per line; plain --json: one indented document.
      const document = JSON.parse(
        watch ? (result.stdout.trim().split('\n').at(-1) as string) : result.stdout,
      );
      expect(document.jobs[0].name).toBe(`Fail${HOSTILE}`);
      expect(document.jobs[0].state.message).toContain(HOSTILE);
    }
  });

  it('result: the remote error, its stack, the diagnosis and the stderr tail are escaped', async () => {
    const result = await runHpc(['result', jobId], { home });
    expect(result.exitCode).toBe(1);
    expectSafe(result.stderr);
    expectVisible(result.stderr);
    expect(result.stderr).toContain('DataCheckError: validation failed: A\\x1b]0;pwned');
    const json = await runHpc(['result', jobId, '--json'], { home });
    expectSafe(json.stdout);
    expect(JSON.parse(json.stdout).error.message).toBe(`validation failed: ${HOSTILE}`);
    const debug = await runHpc(['result', 'local-999', '--debug'], { home });
    expectSafe(debug.stderr);
  });

  it('logs: escaped by default (newlines kept), exactly as written with --raw', async () => {
    const escaped = await runHpc(['logs', jobId, '--stderr'], { home });
    expect(escaped.exitCode).toBe(0);
    expectSafe(escaped.stdout);
    expectVisible(escaped.stdout);
    expect(escaped.stdout).toContain('about to fail: A\\x1b]0;pwned');
    const raw = await runHpc(['logs', jobId, '--stderr', '--raw'], { home });
    expect(raw.stdout).toContain(`about to fail: ${HOSTILE}`);
  });

  it('inspect: group names, dataset names, class ids and attributes of an HDF5 crate', async () => {
    const text = await runHpc(['inspect', h5], { home });
    expect(text.exitCode).toBe(0);
    expectSafe(text.stdout);
    expectVisible(text.stdout);
    expect(text.stdout).toContain('└─ setA\\x1b]0;pwned');
    expect(text.stdout).toContain('arrays/0A\\x1b]0;pwned');
    expect(text.stdout).toContain('codec: A\\x1b]0;pwned');
    const json = await runHpc(['inspect', h5, '--json'], { home });
    expectSafe(json.stdout);
    const object = JSON.parse(json.stdout).objects[0];
    expect(object).toMatchObject({
      path: `/set${HOSTILE}`,
      rootType: HOSTILE,
      types: [HOSTILE],
      codec: HOSTILE,
    });
  });

  it('error reports and cancel messages escape what the user or a file gave', async () => {
    const unknown = await runHpc([`stat${HOSTILE}`], { home });
    expect(unknown.exitCode).toBe(2);
    expectSafe(unknown.stderr);
    expectVisible(unknown.stderr);
    const cancel = await runHpc(['cancel', `local-1${HOSTILE}`], { home });
    expect(cancel.exitCode).toBe(1);
    expectSafe(cancel.stderr);
    expectVisible(cancel.stderr);
  });

  it('doctor: a state folder path with control characters is shown escaped', async () => {
    const result = await runHpc(['doctor'], { home, env: { HPC_HOME: join(home, `state${HOSTILE}`) } });
    expectSafe(result.stdout);
    expectVisible(result.stdout);
  });
});

describe('data never drives the terminal (a real pseudo-terminal, in colour)', () => {
  it.each([
    ['status', () => ['status'], true],
    ['result', () => ['result', jobId], true],
    ['logs', () => ['logs', jobId, '--stderr'], false],
    ['inspect', () => ['inspect', h5], true],
  ])('%s', async (_name, args, coloured) => {
    const { output } = await runOnTerminal(args(), { home });
    // Colours are on where the command uses them: removing them below leaves only the data.
    if (coloured) expect(output).toMatch(OWN_SEQUENCES);
    const data = output.replace(OWN_SEQUENCES, '');
    expectSafe(data);
    // The status table cuts the long name to the 80 columns, so only its first escape is whole.
    expect(data).toContain(VISIBLE[0]);
  });
});
