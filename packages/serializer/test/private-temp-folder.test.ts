import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { privateTempFolder } from '../src/hdf5/private-temp-folder.ts';

describe('privateTempFolder', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });
  const root = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'private-temp-'));
    roots.push(dir);
    return dir;
  };

  it('makes a folder only this user can enter', () => {
    const folder = privateTempFolder(root());
    expect(folder).toBeDefined();
    expect(statSync(folder as string).mode & 0o777).toBe(0o700);
  });

  it('refuses a folder that others may write into', () => {
    const base = root();
    const folder = privateTempFolder(base) as string;
    chmodSync(folder, 0o777);
    expect(privateTempFolder(base)).toBeUndefined();
  });
});
