import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type Driver, isHpcError } from '@hpc/core';
import type { CheckResult } from './doctor-checks.ts';

export const PROBE_TIMEOUT_MS = 180_000;

/**
 * Submits the DoctorProbe job (dist/doctor-probe.mjs, beside hpc.mjs), waits for it and checks
 * that the file it wrote on the node is visible here with the token it was given. A failure is
 * reported with the job's own diagnosis (node not found, runner not visible, folder not shared).
 * The probe job is forgotten afterwards, so it does not show in `hpc status`.
 */
export async function probeCluster(
  driver: Driver & { forgetJob?(id: string): Promise<boolean> },
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<CheckResult> {
  const probeModule = fileURLToPath(new URL('./doctor-probe.mjs', import.meta.url));
  const { DoctorProbe, PROBE_FILE } = (await import(
    probeModule
  )) as typeof import('./doctor-probe-process.ts');
  const token = randomBytes(12).toString('hex');
  const started = Date.now();
  let id: string | undefined;
  try {
    id = await driver.submitJob(new DoctorProbe(token), {
      name: 'hpc-doctor-probe',
      imports: [probeModule],
      slurmArgs: { time: '00:02:00', mem: '500M' },
    });
    const state = await driver.waitForJob(id, { timeoutMs });
    if (state.status !== 'completed') {
      const why = await driver.getResult(id).then(
        () => state.status,
        (error: unknown) =>
          isHpcError(error) && 'diagnosis' in error ? String(error.diagnosis) : String(error),
      );
      return failed(`probe job ${id} ended ${state.status}: ${why}`);
    }
    const report = (await driver.getResult(id)) as { node: string; nodeVersion: string; wrote: string };
    const seen = (await readFile(report.wrote, 'utf8').catch(() => '')).trim();
    if (seen !== token)
      return failed(
        `probe job ${id} ran on ${report.node} and wrote ${report.wrote}, but this host ${seen ? 'reads other content there' : 'cannot read it'}`,
        'the jobs folder must be on a file system shared by the login and compute nodes: set HPC_HOME to such a folder',
      );
    return {
      name: 'probe job',
      status: 'ok',
      detail: `job ${id} ran on ${report.node} (Node ${report.nodeVersion}) in ${Math.round((Date.now() - started) / 1000)} s, imported the runner and wrote ${PROBE_FILE} into its shared job folder`,
    };
  } catch (error) {
    if (isHpcError(error, 'WaitTimeoutError'))
      return failed(
        `probe job ${id} did not finish within ${timeoutMs / 1000} s (${error.message})`,
        'check `squeue --me` for why it is pending (partition, limits) and retry hpc doctor --probe',
      );
    return failed(`could not submit the probe job: ${(error as Error).message}`);
  } finally {
    if (id) await driver.forgetJob?.(id).catch(() => false);
  }
}

function failed(detail: string, fix?: string): CheckResult {
  return {
    name: 'probe job',
    status: 'fail',
    detail,
    fix:
      fix ??
      'the compute nodes must see this Node (or set nodePath), the hpc install (runner) and the jobs folder: see the job folder named above (job.err)',
  };
}
