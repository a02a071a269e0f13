import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanHome, ESC, fixture, makeHome, runHpc } from './hpc-process.ts';

const COMMANDS = ['submit', 'status', 'logs', 'cancel', 'result', 'inspect', 'doctor'];
let home: string;

beforeAll(async () => {
  assertBuilt();
  home = await makeHome();
});
afterAll(() => cleanHome(home));

describe('hpc --help', () => {
  it('lists every command, the exit codes and an example, and exits 0', async () => {
    const result = await runHpc(['--help'], { home });
    expect(result.exitCode).toBe(0);
    for (const command of COMMANDS) expect(result.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(result.stdout).toContain('exit codes: 0 ok · 1 a job or the operation failed · 2 usage error');
    expect(result.stdout).toContain('hpc submit my-process.ts');
    expect(result.stdout).not.toContain(ESC);
  });

  it.each(COMMANDS)('hpc %s --help shows usage, options and an example', async (command) => {
    const result = await runHpc([command, '--help'], { home });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`usage:\n  hpc ${command}`);
    expect(result.stdout).toMatch(/^examples?:\n {2}hpc /m);
    expect(result.stdout).toContain('--debug');
  });

  it('hpc help <command> is the same as hpc <command> --help', async () => {
    const a = await runHpc(['help', 'status'], { home });
    const b = await runHpc(['status', '--help'], { home });
    expect(a.stdout).toBe(b.stdout);
  });

  it('--version prints the version', async () => {
    const result = await runHpc(['--version'], { home });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('usage errors exit 2 with one clear line', () => {
  const cases: [string, string[], RegExp][] = [
    ['no command', [], /^hpc: missing command/],
    ['an unknown command', ['stauts'], /unknown command 'stauts' \(did you mean 'status'\?\)/],
    [
      'an unknown option',
      ['status', '--colour'],
      /^hpc status: unknown option --colour \(see 'hpc status --help'\)$/,
    ],
    ['a missing value', ['status', '--watch', '--interval'], /option --interval needs a value/],
    ['a value for a flag', ['status', '--json=yes'], /option --json takes no value/],
    ['a missing argument', ['logs'], /^hpc logs: missing <id>/],
    ['too many arguments', ['inspect', 'a.bin', 'b.bin'], /unexpected argument 'b.bin'/],
    [
      'a bad interval',
      ['status', '--watch', '--interval', 'soon'],
      /--interval expects seconds .*got 'soon'/,
    ],
    ['--interval without --watch', ['status', '--interval', '1'], /--interval only applies with --watch/],
    ['bad --args JSON', ['submit', 'x.ts', '--args', '[1,'], /--args must be JSON .*got '\[1,'/],
    [
      'a --slurm-arg without =',
      ['submit', 'x.ts', '--slurm-arg', 'mem'],
      /--slurm-arg expects key=value, got 'mem'/,
    ],
    ['a module and --crate', ['submit', 'x.ts', '--crate', 'c.bin'], /give a module or --crate, not both/],
    ['cancel without ids', ['cancel'], /missing <ids>/],
    ['cancel with ids and --all', ['cancel', 'local-1', '--all'], /not both/],
    ['a non-module file', ['submit', 'data.csv'], /'data.csv' is not a JavaScript or TypeScript module/],
    ['a dash value', ['logs', 'local-1', '--tail', '-3'], /option --tail needs a value; .* write --tail=-3/],
    ['a bad --tail', ['logs', 'local-1', '--tail=-3'], /--tail expects a positive whole number, got '-3'/],
    ...['soon', '-5', '1.5', '70000', ''].map((value): [string, string[], RegExp] => [
      `--checkpoint-lead '${value}'`,
      ['submit', 'x.ts', `--checkpoint-lead=${value}`],
      /^hpc submit: --checkpoint-lead expects whole seconds from 0 \(no warning\) to 65535, got '.*'$/,
    ]),
    [
      'a bidi override in --name',
      ['submit', 'x.ts', '--name', 'report\u202etxt.exe'],
      /^hpc submit: --name 'report\\u202etxt\.exe' contains U\+202E \(an invisible or bidi format character\) at position 6: names and settings passed to a job must be plain text$/,
    ],
    [
      'an escape sequence in a --slurm-arg value',
      ['submit', 'x.ts', '--slurm-arg', 'comment=\u001b]0;x\u0007'],
      /^hpc submit: --slurm-arg 'comment=\\x1b\]0;x\\x07' contains U\+001B \(a control character\) at position 8/,
    ],
    [
      'a newline in --module',
      ['submit', 'x.ts', '--module', 'gcc\nrm'],
      /--module 'gcc\\x0arm' contains U\+000A/,
    ],
    [
      'a C1 control in --export',
      ['submit', 'x.ts', '--export', 'My\u009bProcess'],
      /--export .* contains U\+009B/,
    ],
    [
      'a zero-width space in --env',
      ['submit', 'x.ts', '--env', 'TOKEN=a\u200bb'],
      /--env .* contains U\+200B/,
    ],
    [
      'a carriage return in --conda-env',
      ['submit', 'x.ts', '--conda-env', 'base\r'],
      /--conda-env .* contains U\+000D/,
    ],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    const result = await runHpc(args, { home });
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(result.stderr).not.toContain(ESC);
  });

  it('a refused setting is refused before the module is imported or any job folder exists', async () => {
    const result = await runHpc(['submit', fixture('my-process.ts'), '--name', 'x\u202ey'], { home });
    expect(result.exitCode).toBe(2);
    expect(existsSync(join(home, 'local'))).toBe(false);
  });

  it('a bad HPC_DRIVER is a usage error that names the value', async () => {
    const result = await runHpc(['status'], { home, env: { HPC_DRIVER: 'pbs' } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("HPC_DRIVER must be 'local' or 'slurm', got 'pbs'");
  });

  it('--debug adds the stack to an error', async () => {
    const plain = await runHpc(['result', 'local-404'], { home });
    expect(plain.exitCode).toBe(1);
    expect(plain.stderr.trimEnd().split('\n')).toHaveLength(1);
    const debug = await runHpc(['result', 'local-404', '--debug'], { home });
    expect(debug.exitCode).toBe(1);
    expect(debug.stderr).toContain('JobNotFoundError');
    expect(debug.stderr).toMatch(/\n\s+at /);
  });
});
