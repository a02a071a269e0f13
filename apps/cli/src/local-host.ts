import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveImports } from '@hpc/container';
import { type CrateRef, HpcError, hpcHome, isHpcError, type SubmitOptions } from '@hpc/core';
import { defaultLocalRoot, LocalDriver, LocalHostError, LocalJobHost } from '@hpc/local-driver';
import type { Process } from '@hpc/process';
import { Serializer } from '@hpc/serializer';
import { execa, getOneMessage, sendMessage } from 'execa';
import { JobStartError } from './cli-errors.ts';
import { bundledRunnerPath } from './driver-select.ts';
import type { BatchHostRequest } from './local-batch-host.ts';
import { LOCAL_HOST_COMMAND } from './local-host-command.ts';

/**
 * Local jobs submitted from the command line are supervised by a small detached "host" process
 * (`hpc __local-host`) that owns the LocalDriver: it keeps the job's output pipes open, enforces
 * its time limit and records how the runner ended, long after `hpc submit` has printed the id and
 * returned to the shell. One host per job; it exits when its job does.
 */
interface HostRequest {
  crate: string;
  object?: string;
  /** The crate was written by `hpc submit` into the staging folder: remove it once linked in. */
  staged: boolean;
  options: SubmitOptions;
}

type HostReply = { id: string } | { error: { tag: string; name: string; message: string; stack?: string } };

const HOST_START_TIMEOUT_MS = 30_000;
/** How long the host waits for the driver's record of the runner's start, and of its end. */
const START_RECORD_TIMEOUT_MS = 10_000;
const END_RECORD_TIMEOUT_MS = 5_000;

/** Submits through a new host process and returns the job id once the runner has started. */
export async function submitThroughHost(
  target: Process | CrateRef,
  options: SubmitOptions,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const home = hpcHome(env);
  let request: HostRequest;
  if ('crate' in target && typeof target.crate === 'string') {
    request = {
      crate: target.crate,
      ...(target.object ? { object: target.object } : {}),
      staged: false,
      options,
    };
  } else {
    // The Process is serialized here (its classes are registered here); the host only links the file in.
    const staging = join(defaultLocalRoot(home), 'staging');
    await mkdir(staging, { recursive: true });
    const crate = join(staging, `${randomUUID()}.bin`);
    const { types } = await Serializer.serializeToFile(target, crate);
    try {
      request = {
        crate,
        staged: true,
        options: { ...options, imports: resolveImports(types, options.imports ?? []) },
      };
    } catch (error) {
      await rm(crate, { force: true });
      throw error;
    }
  }
  const reply = (await askNewHost(request, env)) as HostReply;
  if ('error' in reply) throw new HostReportedError(reply.error);
  return reply.id;
}

/**
 * Starts a detached host process, hands it `request` and returns its one reply (the ids, or the
 * error it met while submitting); the host then goes on alone.
 */
export async function askNewHost(request: object, env: NodeJS.ProcessEnv): Promise<unknown> {
  const host = execa(process.execPath, [hostEntry(), LOCAL_HOST_COMMAND], {
    env,
    extendEnv: false,
    detached: true,
    cleanup: false,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'ignore',
    ipc: true,
    reject: false,
  });
  host.catch(() => {});
  try {
    await host.sendMessage(request as never);
    return await withTimeout(host.getOneMessage(), HOST_START_TIMEOUT_MS);
  } finally {
    // Let the host go on alone: drop the IPC channel (this command then exits, see main.ts).
    const child = host as unknown as Partial<ChildProcess>;
    if (child.connected) child.disconnect?.();
  }
}

/** The host side: receive one request, submit, report the id, then stay until the job has ended. */
export async function runLocalHost(): Promise<number> {
  const message = (await getOneMessage()) as unknown as HostRequest | BatchHostRequest;
  if ('kind' in message && message.kind === 'batch')
    return (await import('./local-batch-host.ts')).runBatchHost(message);
  const request = message as HostRequest;
  const runnerPath = bundledRunnerPath();
  const driver = new LocalDriver(runnerPath ? { runnerPath } : {});
  let id: string;
  try {
    const target = request.object ? { crate: request.crate, object: request.object } : request.crate;
    id = await driver.submitJob(target, request.options);
  } catch (error) {
    await sendMessage({ error: describeForReply(error) } as never);
    return 1;
  } finally {
    if (request.staged) await rm(request.crate, { force: true });
  }
  const host = new LocalJobHost(driver);
  // The runner's pid on disk, so that another process asking about the job sees it started; a job
  // held for its dependencies (or blocked by them) starts later or never: its host waits for it.
  if (!(await waitsForUpstreams(driver, id)) && !(await host.waitForStart(id, START_RECORD_TIMEOUT_MS)))
    throw new JobStartError(id, START_RECORD_TIMEOUT_MS);
  const stopControl = await host.serveCancel(id);
  await sendMessage({ id } as never);
  try {
    await driver.waitForJob(id);
    // The driver records how the runner ended just after it exits; let that write land.
    if (!(await host.waitForRecordedEnd(id, END_RECORD_TIMEOUT_MS)))
      throw new JobStartError(id, END_RECORD_TIMEOUT_MS);
  } catch (error) {
    await host.logError(id, error);
  } finally {
    await stopControl();
  }
  return 0;
}

async function waitsForUpstreams(driver: LocalDriver, id: string): Promise<boolean> {
  const state = await driver.checkJobStatus(id);
  return state.status === 'blocked' || (state.status === 'pending' && state.reason === 'Dependency');
}

/** An error the host met while submitting, with the original tag (so exit codes and messages match). */
export class HostReportedError extends HpcError {
  readonly _tag: string;
  readonly originalName: string;
  constructor(error: { tag: string; name: string; message: string; stack?: string }) {
    super(error.message);
    this._tag = error.tag;
    this.originalName = error.name;
    if (error.stack) this.stack = `${this.stack}\n--- in the local job host ---\n${error.stack}`;
  }
}

export function describeForReply(error: unknown): {
  tag: string;
  name: string;
  message: string;
  stack?: string;
} {
  const tag = isHpcError(error) ? (error as HpcError)._tag : 'LocalSubmitError';
  if (error instanceof Error)
    return { tag, name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  return { tag, name: 'Error', message: String(error) };
}

/** dist/hpc.mjs, next to this chunk. */
function hostEntry(): string {
  const entry = fileURLToPath(new URL('./hpc.mjs', import.meta.url));
  return existsSync(entry) ? entry : (process.argv[1] as string);
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const hint = "run 'hpc submit ... --wait' to run the job in this terminal and see what goes wrong";
      reject(new LocalHostError(`the local job host did not report a job id within ${ms} ms; ${hint}`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
