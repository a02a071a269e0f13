import { createHash, type Hash } from 'node:crypto';

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
