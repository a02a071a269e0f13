import { createHash, type Hash } from 'node:crypto';
import { smallSha256Hex } from './small-sha256.ts';

/**
 * A crate's SHA-256 as the submitter recorded it and the node-runner checks it before loading:
 * `sha256:<64 lower-case hex digits>`. It proves the job runs exactly the bytes that were submitted.
 */
export type CrateDigest = `sha256:${string}`;

const CRATE_DIGEST = /^sha256:[0-9a-f]{64}$/;

export function isCrateDigest(text: unknown): text is CrateDigest {
  return typeof text === 'string' && CRATE_DIGEST.test(text);
}

/** The hash a crate digest is computed with; feed it the crate's bytes in order. */
export function createCrateHash(): Hash {
  return createHash('sha256');
}

/** The digest text of a hash that has seen all of a crate's bytes (finishes the hash). */
export function crateDigestOf(hash: Hash): CrateDigest {
  return `sha256:${hash.digest('hex')}`;
}

/**
 * Up to this many bytes a digest is computed in JavaScript (small-sha256.ts) and node:crypto is
 * not loaded: measured, hashing 8 KiB cold takes under ~2 ms there, loading node:crypto ~5 ms.
 */
export const SMALL_DIGEST_BYTES = 8 << 10;

/** Feeds a crate's bytes in order; what it was fed is copied, so a read buffer may be reused. */
export interface CrateDigester {
  update(bytes: Uint8Array): void;
  /** The digest of all the bytes fed (finishes the digester). */
  digest(): CrateDigest;
}

/**
 * The same digest as createCrateHash(), but a small crate (the usual trivial job, a few hundred
 * bytes) is hashed without node:crypto; past SMALL_DIGEST_BYTES it moves to node:crypto.
 */
export function createCrateDigester(): CrateDigester {
  let small: Uint8Array[] | undefined = [];
  let smallBytes = 0;
  let hash: Hash | undefined;
  return {
    update(bytes) {
      if (small && smallBytes + bytes.byteLength <= SMALL_DIGEST_BYTES) {
        small.push(new Uint8Array(bytes)); // a copy (Buffer#slice would be a view)
        smallBytes += bytes.byteLength;
        return;
      }
      if (!hash) {
        hash = createCrateHash();
        for (const piece of small ?? []) hash.update(piece);
        small = undefined;
      }
      hash.update(bytes);
    },
    digest() {
      if (hash) return crateDigestOf(hash);
      return `sha256:${smallSha256Hex(Buffer.concat(small ?? []))}`;
    },
  };
}
