import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hpcHome } from '@hpc/core';
import { execa } from 'execa';
import { loadCliConfig, PROJECT_CONFIG_NAME } from './cli-config.ts';
import { findOnPath } from './command-path.ts';
import { bundledRunnerPath, chooseDriver } from './driver-select.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** One line of `hpc doctor`: what was checked, what was found, and what to do about it. */
export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

const COMMAND_TIMEOUT_MS = 10_000;
const MIN_NODE = [22, 15] as const;

export function checkNode(version = process.versions.node): CheckResult {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) {
    return {
      name: 'node',
      status: 'fail',
      detail: `Node ${version} is too old (need ${MIN_NODE.join('.')}+ for module hooks; 24 LTS recommended)`,
      fix: 'install Node 24 LTS (e.g. `npm install --prefix ~/.local node@24`) and put it first on PATH',
    };
  }
  return {
    name: 'node',
    status: 'ok',
    detail: `Node ${version}${major < 24 ? ' (24 LTS recommended)' : ''}`,
  };
}

export function checkDriver(env: NodeJS.ProcessEnv): CheckResult {
  const choice = chooseDriver({ env });
  return { name: 'driver', status: 'ok', detail: `${choice.kind} (${choice.reason})` };
}

/** The node-runner shipped with this CLI starts and answers with its usage (exit 2). */
export async function checkNodeRunner(): Promise<CheckResult> {
  const runner = bundledRunnerPath();
  if (!runner) {
    return {
      name: 'node-runner',
      status: 'warn',
      detail: "no node-runner next to the CLI (running from sources?); the drivers use @hpc/runner's",
      fix: 'build the CLI: pnpm turbo run build --filter @hpc/cli',
    };
  }
  const result = await execa(process.execPath, [runner], {
    reject: false,
    timeout: COMMAND_TIMEOUT_MS,
    stdin: 'ignore',
  });
  if (result.exitCode === 2 && /usage: node-runner/.test(String(result.stderr)))
    return { name: 'node-runner', status: 'ok', detail: runner };
  return {
    name: 'node-runner',
    status: 'fail',
    detail: `${runner} did not start (exit ${result.exitCode}): ${firstLine(String(result.stderr))}`,
    fix: 'reinstall or rebuild @hpc/cli',
  };
}

/** sbatch, squeue, sacct and scancel on PATH; missing all of them just means "local only". */
export function checkSlurmCommands(path: string): { result: CheckResult; installed: boolean } {
  const commands = ['sbatch', 'squeue', 'sacct', 'scancel'];
  const found = commands.map((command) => [command, findOnPath(command, path)] as const);
  const missing = found.filter(([, at]) => !at).map(([command]) => command);
  if (missing.length === commands.length) {
    return {
      installed: false,
      result: {
        name: 'slurm commands',
        status: 'warn',
        detail: 'sbatch, squeue, sacct, scancel are not on PATH: jobs run with the local driver',
        fix: 'on a cluster login node, load SLURM (e.g. `module load slurm`) or add its bin folder to PATH',
      },
    };
  }
  if (missing.length) {
    return {
      installed: true,
      result: {
        name: 'slurm commands',
        status: 'fail',
        detail: `missing on PATH: ${missing.join(', ')} (found ${found
          .filter(([, at]) => at)
          .map(([command]) => command)
          .join(', ')})`,
        fix: 'install the full SLURM client tools (Debian: apt-get install slurm-client)',
      },
    };
  }
  return {
    installed: true,
    result: { name: 'slurm commands', status: 'ok', detail: found.map(([, at]) => at).join(', ') },
  };
}

export async function checkController(): Promise<CheckResult> {
  const useScontrol = findOnPath('scontrol') !== undefined;
  const [command, args] = useScontrol
    ? ['scontrol', ['ping']]
    : ['squeue', ['--noheader', '--format=%i', '--states=RUNNING']];
  const result = await execa(command, args, { reject: false, timeout: COMMAND_TIMEOUT_MS, stdin: 'ignore' });
  const out = `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
  if (result.exitCode === 0 && (!useScontrol || /is UP/.test(out))) {
    return {
      name: 'controller',
      status: 'ok',
      detail: useScontrol ? firstLine(String(result.stdout)) : 'squeue answered',
    };
  }
  return {
    name: 'controller',
    status: 'fail',
    detail: `${command} ${args.join(' ')} ${result.timedOut ? `timed out after ${COMMAND_TIMEOUT_MS} ms` : `exited ${result.exitCode}`}: ${firstLine(out) || '(no output)'}`,
    fix: 'slurmctld is not reachable: check `scontrol ping`, the SLURM_CONF you use, munge (`munge -n | unmunge`), or ask your cluster admins',
  };
}

/** The driver's own status query (squeue --me): a controller can answer ping and still refuse this. */
export async function checkQueue(): Promise<CheckResult> {
  const result = await execa('squeue', ['--me', '--noheader', '--format=%i'], {
    reject: false,
    timeout: COMMAND_TIMEOUT_MS,
    stdin: 'ignore',
  });
  if (result.exitCode === 0) {
    const queued = String(result.stdout).split('\n').filter(Boolean).length;
    return { name: 'queue', status: 'ok', detail: `squeue --me answers (${queued} of your jobs queued)` };
  }
  return {
    name: 'queue',
    status: 'fail',
    detail: `squeue --me ${result.timedOut ? `timed out after ${COMMAND_TIMEOUT_MS} ms` : `exited ${result.exitCode}`}: ${firstLine(String(result.stderr)) || '(no output)'}`,
    fix: 'hpc asks squeue for every status: check that squeue works for you here, or ask your cluster admins',
  };
}

export async function checkAccounting(): Promise<CheckResult> {
  const result = await execa(
    'sacct',
    ['--noheader', '--allocations', '--parsable2', '--starttime=now-1hours', '--format=JobID'],
    {
      reject: false,
      timeout: COMMAND_TIMEOUT_MS,
      stdin: 'ignore',
    },
  );
  if (result.exitCode === 0)
    return {
      name: 'accounting',
      status: 'ok',
      detail: 'sacct answers: finished jobs keep their final state and exit code',
    };
  return {
    name: 'accounting',
    status: 'warn',
    detail: `sacct failed (${firstLine(String(result.stderr)) || `exit ${result.exitCode}`}): status falls back to squeue and outcome files`,
    fix: 'ask for slurmdbd accounting (AccountingStorageType=accounting_storage/slurmdbd); without it, jobs that end without an outcome show as lost',
  };
}

export function checkLmod(initFiles: readonly string[], env: NodeJS.ProcessEnv): CheckResult {
  const found = initFiles.find((file) => existsSync(file));
  if (found)
    return {
      name: 'lmod',
      status: 'ok',
      detail: `${found}${env.LMOD_VERSION ? ` (Lmod ${env.LMOD_VERSION})` : ''}`,
    };
  if (env.LMOD_CMD || env.MODULESHOME)
    return { name: 'lmod', status: 'ok', detail: `module command from ${env.LMOD_CMD ?? env.MODULESHOME}` };
  return {
    name: 'lmod',
    status: 'warn',
    detail: `no module system found (looked for ${initFiles.join(', ')})`,
    fix: '--module needs Lmod (or Environment Modules) on the compute nodes; Debian: apt-get install lmod',
  };
}

/** Writes and reads back a Blosc-compressed array through ObjectSerializer in a temp folder. */
export async function checkBlosc(): Promise<CheckResult> {
  const folder = await mkdtemp(join(tmpdir(), 'hpc-doctor-'));
  try {
    const { ObjectSerializer, hdf5PluginFolders } = await import('@hpc/serializer');
    const crate = new ObjectSerializer(join(folder, 'blosc-check.h5'), { durable: false });
    const values = Float64Array.from({ length: 8192 }, (_, index) => Math.sin(index));
    await crate.serialize({ values }, '/check', { codec: 'blosc-lz4' });
    const back = await crate.readArray('/check', 'values');
    const same = back.length === values.length && back.every((value, index) => value === values[index]);
    if (!same)
      return {
        name: 'blosc filter',
        status: 'fail',
        detail: 'a Blosc array read back different values',
        fix: 'reinstall @hpc/cli (its plugins/ folder may be damaged)',
      };
    const { simd } = await hdf5PluginFolders();
    if (!simd)
      return {
        name: 'blosc filter',
        status: 'warn',
        detail: `HDF5 + Blosc (lz4) write and read back, without the SIMD shuffle (slower): no private folder for it in ${tmpdir()}`,
        fix: 'set TMPDIR to a folder only you can write to (hpc-serializer-<uid> there must be yours, mode 0700)',
      };
    return {
      name: 'blosc filter',
      status: 'ok',
      detail: `HDF5 + Blosc (lz4) write and read back; SIMD shuffle from ${simd}`,
    };
  } catch (error) {
    return {
      name: 'blosc filter',
      status: 'fail',
      detail: `HDF5 with Blosc failed: ${firstLine((error as Error).message)}`,
      fix: "put h5wasm-plugins' plugins/libH5Zblosc.so in the plugins/ folder next to hpc.mjs, or install h5wasm-plugins@0.2.1",
    };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.trim() ?? '';
}

/** Which config files apply here and the defaults they give (hpc submit uses them under its flags). */
export function checkConfig(env: NodeJS.ProcessEnv, cwd: string): CheckResult {
  try {
    const config = loadCliConfig(env, cwd);
    if (!config.files.length)
      return {
        name: 'config',
        status: 'ok',
        detail: `no config file (optional: ${join(hpcHome(env), 'config.json')} or ${PROJECT_CONFIG_NAME} in a project folder)`,
      };
    const cluster = config.cluster ? ` (cluster ${config.cluster})` : '';
    return {
      name: 'config',
      status: 'ok',
      detail: `${config.files.join(', ')}${cluster}: ${JSON.stringify(config.settings)}`,
    };
  } catch (error) {
    return {
      name: 'config',
      status: 'fail',
      detail: (error as Error).message,
      fix: 'fix or remove that file: hpc submit refuses to run with a config it cannot read',
    };
  }
}
