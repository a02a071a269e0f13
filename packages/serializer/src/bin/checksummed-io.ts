import { crc32 } from 'node:zlib';
import type { PositionalWrite } from '@hpc/core';
import { type ReadAt, readFully } from '../read-fully.ts';

/**
 * Array bytes move in pieces, and each piece's CRC-32 is computed on the main thread while the
 * thread pool copies the next pieces to or from the file, so checksums cost about nothing next to
 * the I/O instead of a second pass over memory. Measured on 256 MiB (page cache, 2 busy cores):
 * read 143 ms, read then CRC 200 ms, pieces of 4-16 MiB with two in flight and CRC 135-139 ms;
 * write 192 ms, CRC then write 271 ms, pieces with CRC 199-215 ms.
 */
const PIECE_BYTES = 8 << 20;
const IN_FLIGHT = 2;

export interface Span {
  /** The bytes to write, or the memory to read into. */
  bytes: Uint8Array;
  /** Where they are in the file. */
  position: number;
}

interface Piece {
  span: number;
  bytes: Uint8Array;
  position: number;
}

function* piecesOf(spans: readonly Span[]): Generator<Piece> {
  for (const [span, { bytes, position }] of spans.entries()) {
    for (let offset = 0; offset < bytes.byteLength; offset += PIECE_BYTES)
      yield { span, bytes: bytes.subarray(offset, offset + PIECE_BYTES), position: position + offset };
  }
}

/** Writes every span at its position; returns their CRC-32s, computed while the writes run. */
export async function writeChecksummed(writeAt: PositionalWrite, spans: readonly Span[]): Promise<number[]> {
  const crcs = spans.map(() => 0);
  await pipelined(
    piecesOf(spans),
    (piece) => writeAt(piece.bytes, piece.position),
    (piece) => {
      crcs[piece.span] = crc32(piece.bytes, crcs[piece.span]);
    },
    'while-in-flight',
  );
  return crcs;
}

/** Reads every span from its position; returns their CRC-32s, computed while the next reads run. */
export async function readChecksummed(
  handle: ReadAt,
  file: string,
  spans: readonly Span[],
): Promise<number[]> {
  const crcs = spans.map(() => 0);
  await pipelined(
    piecesOf(spans),
    (piece) => readFully(handle, file, piece.position, piece.bytes.byteLength, piece.bytes),
    (piece) => {
      crcs[piece.span] = crc32(piece.bytes, crcs[piece.span]);
    },
    'when-done',
  );
  return crcs;
}

/** CRC-32 of bytes already in memory (zlib.crc32 takes a 32-bit length: cut below it). */
export function crc32Of(bytes: Uint8Array): number {
  let crc = 0;
  for (let offset = 0; offset < bytes.byteLength; offset += 1 << 30)
    crc = crc32(bytes.subarray(offset, offset + (1 << 30)), crc);
  return crc;
}

/**
 * Keeps IN_FLIGHT I/O operations running and visits each piece in order: as soon as its I/O
 * started (a write reads memory that is already final) or once it is done (a read). On failure,
 * waits for the operations still running (they use the caller's memory and file) and rethrows.
 */
async function pipelined(
  pieces: Iterator<Piece>,
  io: (piece: Piece) => Promise<unknown>,
  visit: (piece: Piece) => void,
  when: 'while-in-flight' | 'when-done',
): Promise<void> {
  const inFlight: Promise<Piece>[] = [];
  const startNext = () => {
    const next = pieces.next();
    if (next.done) return false;
    const running = io(next.value).then(() => next.value);
    running.catch(() => {}); // handled when its turn comes; not an unhandled rejection meanwhile
    inFlight.push(running);
    if (when === 'while-in-flight') visit(next.value);
    return true;
  };
  try {
    for (let started = 0; started < IN_FLIGHT && startNext(); started++);
    while (inFlight.length) {
      const done = await (inFlight[0] as Promise<Piece>);
      inFlight.shift();
      startNext();
      if (when === 'when-done') visit(done);
    }
  } catch (error) {
    await Promise.allSettled(inFlight);
    throw error;
  }
}
