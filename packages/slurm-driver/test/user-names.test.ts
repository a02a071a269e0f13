import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userNameOfUid } from '../src/user-names.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpc-user-names-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('userNameOfUid (who cancelled a job)', () => {
  it('names the current user, then users in the passwd file, and says uid N for the rest', async () => {
    const passwd = join(dir, 'passwd');
    await writeFile(
      passwd,
      'alice:x:4242:100::/home/alice:/bin/bash\nbroken-line\nbob:x:4343:100::/home/bob:/bin/sh\n',
    );
    expect(userNameOfUid(String(process.getuid?.()), passwd)).toBe(userInfo().username);
    expect(userNameOfUid('4242', passwd)).toBe('alice');
    expect(userNameOfUid('4343', passwd)).toBe('bob');
    expect(userNameOfUid('999999', passwd)).toBe('uid 999999');
    expect(userNameOfUid('4242', join(dir, 'missing'))).toBe('uid 4242');
    expect(userNameOfUid('federation', passwd)).toBe('federation');
  });
});
