import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Process, type RunContext, registerProcess } from '@hpc/process';

/** What the probe job saw on the compute node. */
export interface ProbeReport {
  node: string;
  nodeVersion: string;
  nodePath: string;
  /** The file it wrote into its job folder (the login side reads it back). */
  wrote: string;
}

export const PROBE_FILE = 'doctor-probe.txt';

/**
 * `hpc doctor --probe`: a job that proves what the usual first failure on a real cluster is
 * about. Reaching run() means the node could start this Node, import the runner and this module,
 * and read the crate from the job folder; run() then writes a file there for the login side to
 * read back (the folder is shared and writable from the node).
 */
export class DoctorProbe extends Process<ProbeReport> {
  token: string;
  constructor(token = '') {
    super();
    this.token = token;
  }

  run(ctx: RunContext): ProbeReport {
    const wrote = join(ctx.jobDir, PROBE_FILE);
    writeFileSync(wrote, `${this.token}\n`, { mode: 0o600 });
    return {
      node: process.env.SLURMD_NODENAME ?? hostname(),
      nodeVersion: process.version,
      nodePath: process.execPath,
      wrote,
    };
  }
}
registerProcess(DoctorProbe, { id: 'hpc-cli/DoctorProbe', module: import.meta.url });
