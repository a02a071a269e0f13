import { resolve } from 'node:path';
import type { BatchOptions } from '@hpc/core';
import { LocalDriver, LocalJobHost } from '@hpc/local-driver';
import { sendMessage } from 'execa';
import { batchIdOf } from './batch-groups.ts';
import { buildBatch } from './batch-input.ts';
import { bundledRunnerPath } from './driver-select.ts';
import { askNewHost, describeForReply, HostReportedError } from './local-host.ts';
import { importUserModule, pickProcessExport } from './user-module.ts';

/** What the CLI hands a batch's host: how to build every process again, and the batch options. */
export interface BatchHostRequest {
  kind: 'batch';
  /** The user's module, absolute. */
  module: string;
  exportName: string;
  /** Each process's constructor arguments, in submission order. */
  args: unknown[][];
  options: BatchOptions;
}

type BatchHostReply =
  | { ids: string[] }
  | { error: { tag: string; name: string; message: string; stack?: string } };

export interface BatchSpec {
  module: string;
  exportName: string;
  args: unknown[][];
  cwd: string;
}

/**
 * A local batch outlives `hpc submit` like a local job does: one detached host owns the
 * LocalDriver that runs it (its concurrency limit, its time limits), until every process has
 * ended. The host imports the user's module and builds the processes again from the same
 * arguments (the CLI has already built each once, so a bad line never reaches it): a Process
 * cannot cross the IPC channel, and this keeps the batch one crate staged by the driver.
 */
export async function submitBatchThroughHost(
  spec: BatchSpec,
  options: BatchOptions,
  env: NodeJS.ProcessEnv,
): Promise<string[]> {
  const request: BatchHostRequest = {
    kind: 'batch',
    module: resolve(spec.cwd, spec.module),
    exportName: spec.exportName,
    args: spec.args,
    options,
  };
  const reply = (await askNewHost(request, env)) as BatchHostReply;
  if ('error' in reply) throw new HostReportedError(reply.error);
  return reply.ids;
}

/** The host side: build, submit, report the ids, then stay until every process has ended. */
export async function runBatchHost(request: BatchHostRequest): Promise<number> {
  const runnerPath = bundledRunnerPath();
  const driver = new LocalDriver(runnerPath ? { runnerPath } : {});
  let ids: string[];
  try {
    const exports = await importUserModule(request.module, '/');
    const found = pickProcessExport(exports, request.module, request.exportName);
    const lines = request.args.map((args, index) => ({ line: index + 1, args }));
    ids = await driver.submitJobs(buildBatch(found, lines, request.module), request.options);
  } catch (error) {
    await sendMessage({ error: describeForReply(error) } as never);
    return 1;
  }
  const host = new LocalJobHost(driver);
  const batchId = batchIdOf(ids[0] ?? '') ?? (ids[0] as string);
  // `hpc cancel <batch>` asks this host first, so the owner of the runners records the cancel.
  const stopControl = await host.serveCancel(batchId).catch(async (error: unknown) => {
    await host.logError(batchId, error);
    return async () => {};
  });
  await sendMessage({ ids } as never);
  try {
    await driver.waitForJobs(ids);
  } catch (error) {
    await host.logError(batchId, error);
  } finally {
    await stopControl();
  }
  return 0;
}
