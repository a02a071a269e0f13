import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertBuilt,
  cleanHome,
  ESC,
  fixture,
  makeHome,
  runHpc,
  runOnTerminal as runOnTerminalIn,
} from './hpc-process.ts';

let home: string;

beforeAll(async () => {
  assertBuilt();
  home = await makeHome();
});
afterAll(() => cleanHome(home));

function runOnTerminal(args: string[], env: Record<string, string> = {}) {
  return runOnTerminalIn(args, { home, env });
}

const COLOUR = new RegExp(`${ESC}\\[(3\\d|9\\d)m`);
const CURSOR_UP = new RegExp(`${ESC}\\[\\d+A`);

describe('on a terminal', () => {
  it('status --watch redraws one frame in place with a progress bar, in colour, and ends by itself', async () => {
    const ids = [];
    for (const ms of [1500, 2500])
      ids.push(
        (
          await runHpc(['submit', fixture('sleeping-process.ts'), '--args', String(ms)], { home })
        ).stdout.trim(),
      );
    // The ids are named: without them --watch follows only unfinished jobs, and under load the
    // first may be done before the watch starts.
    const { exitCode, output } = await runOnTerminal(['status', ...ids, '--watch', '--interval', '0.2']);
    expect(exitCode).toBe(0);
    expect(output).toMatch(CURSOR_UP);
    expect(output).toMatch(COLOUR);
    expect(output).toContain('2/2 finished');
    expect(output).toContain('█');
    expect(output).toContain(`${ESC}[?25h`); // the cursor is given back
    const lastFrame = output.slice(output.lastIndexOf('2/2 finished'));
    for (const id of ids) expect(lastFrame).toContain(id);
  });

  it('NO_COLOR turns colours off (the frame is still redrawn in place)', async () => {
    await runHpc(['submit', fixture('sleeping-process.ts'), '--args', '1500'], { home });
    const { exitCode, output } = await runOnTerminal(['status', '--watch', '--interval', '0.2'], {
      NO_COLOR: '1',
    });
    expect(exitCode).toBe(0);
    expect(output).not.toMatch(COLOUR);
    expect(output).toContain('1/1 finished');
  });

  it('status colours states on a terminal, and never when piped', async () => {
    const onTerminal = await runOnTerminal(['status']);
    expect(onTerminal.output).toMatch(COLOUR);
    const piped = await runHpc(['status'], { home, env: { TERM: 'xterm-256color' } });
    expect(piped.stdout).not.toContain(ESC);
  });
});
