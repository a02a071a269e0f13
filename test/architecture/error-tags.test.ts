import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, sourceFiles, workspacePackages } from './workspace.ts';

/**
 * `isHpcError(error, tag)` only accepts tags in HpcErrorTags (@hpc/core), which each package
 * augments next to its error classes. A tag thrown but not registered could not be tested for.
 */
const files = workspacePackages().flatMap((p) => sourceFiles(p.dir));
const texts = files.map((file) => readFileSync(join(ROOT, file), 'utf8'));

describe('error tags', () => {
  it('every _tag an HpcError class declares is registered in HpcErrorTags', () => {
    // Classes of HpcError (directly or through another @hpc class); a builtin base has no brand.
    const thrown = texts.flatMap((text) =>
      [...text.matchAll(/class \w+ extends (\w+) \{[\s\S]*?readonly _tag = '(\w+)'/g)]
        .filter((m) => !/^(Error|RangeError|TypeError)$/.test(m[1] as string))
        .map((m) => m[2]),
    );
    const registered = new Set(
      texts.flatMap((text) =>
        [...text.matchAll(/interface HpcErrorTags \{([^}]*)\}/g)].flatMap((m) =>
          [...(m[1] as string).matchAll(/^\s*(\w+):/gm)].map((n) => n[1]),
        ),
      ),
    );
    expect(thrown.length).toBeGreaterThan(40);
    expect(thrown.filter((tag) => !registered.has(tag as string))).toEqual([]);
  });
});
