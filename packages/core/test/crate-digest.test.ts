import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCrateDigester, SMALL_DIGEST_BYTES } from '../src/crate-digest.ts';
import { smallSha256Hex } from '../src/small-sha256.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('smallSha256Hex', () => {
  it('gives node:crypto’s SHA-256 for every length around the block and padding edges', () => {
    const bytes = randomBytes(300);
    for (let length = 0; length <= 300; length++) {
      const part = bytes.subarray(0, length);
      expect(smallSha256Hex(part), `length ${length}`).toBe(sha256(part));
    }
  });

  it('gives the known digests of "" and "abc" (FIPS 180-4 examples)', () => {
    expect(smallSha256Hex(new Uint8Array())).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(smallSha256Hex(Buffer.from('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});

describe('createCrateDigester', () => {
  it.each([
    ['small, in one piece', [100]],
    ['exactly the small limit, in pieces', [SMALL_DIGEST_BYTES - 1, 1]],
    ['one byte past the limit', [SMALL_DIGEST_BYTES, 1]],
    ['large, in pieces that cross the limit', [5000, 5000, 70_000]],
  ])('gives the crate digest of node:crypto: %s', (_name, sizes) => {
    const pieces = sizes.map((size) => randomBytes(size));
    const digester = createCrateDigester();
    for (const piece of pieces) digester.update(piece);
    expect(digester.digest()).toBe(`sha256:${sha256(Buffer.concat(pieces))}`);
  });

  it('copies what it is fed, so a reused read buffer does not change the digest', () => {
    const buffer = Buffer.from('first');
    const digester = createCrateDigester();
    digester.update(buffer);
    buffer.fill(0);
    expect(digester.digest()).toBe(`sha256:${sha256(Buffer.from('first'))}`);
  });
});
