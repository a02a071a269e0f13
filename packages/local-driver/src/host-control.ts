import { rm } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { HpcError } from '@hpc/core';

/**
 * A local job's host listens on a Unix socket in the job folder, so `hpc cancel` can ask the
 * process that owns the job to cancel it: the owner records the cancel in its own copy of the job
 * record and escalates to SIGKILL after the grace period. The socket exists only while the host
 * listens, so a stale file is refused by the kernel (no pid is ever guessed or signalled).
 */
export const HOST_SOCKET = 'host.sock';

/** The process that supervises a local job (its host) did not answer, or could not do what was asked. */
export class LocalHostError extends HpcError {
  readonly _tag = 'LocalHostError';
}

/** Host side: answers 'cancel' by running `cancel()`. Returns a stop function (closes and removes the socket). */
export async function serveHostControl(
  socketPath: string,
  cancel: () => Promise<void>,
): Promise<() => Promise<void>> {
  await rm(socketPath, { force: true });
  const server: Server = createServer((socket) => {
    socket.setEncoding('utf8');
    socket.once('data', (request: string) => {
      if (request.trim() !== 'cancel') {
        socket.end('error unknown request\n');
        return;
      }
      cancel().then(
        () => socket.end('ok\n'),
        (error: unknown) => socket.end(`error ${(error as Error)?.message ?? String(error)}\n`),
      );
    });
    socket.on('error', () => {});
  });
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(socketPath, () => resolve(true));
  });
  if (!listening) return async () => {};
  return async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(socketPath, { force: true });
  };
}

/**
 * Client side: true when the job's host took the cancel, false when no host listens (the job was
 * submitted by a library call, or its host has exited): the caller then cancels directly.
 */
export function requestHostCancel(socketPath: string, timeoutMs = 10_000): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new LocalHostError(`the host of this job did not answer within ${timeoutMs} ms (${socketPath})`),
      );
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write('cancel\n'));
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('end', () => {
      clearTimeout(timer);
      if (answer.startsWith('ok')) resolve(true);
      else
        reject(
          new LocalHostError(`the job's host could not cancel it: ${answer.replace(/^error /, '').trim()}`),
        );
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED' || error.code === 'ENOTSOCK')
        resolve(false);
      else reject(error);
    });
  });
}

declare module '@hpc/core' {
  /** This file's error tags, for `isHpcError(error, tag)` (checked at compile time). */
  interface HpcErrorTags {
    LocalHostError: LocalHostError;
  }
}
