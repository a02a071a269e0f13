import {
  describeRunAgainstLimit,
  isTerminalState,
  type JobState,
  type JobStateDetails,
  type SchedulerUsage,
} from '@hpc/core';
import { userNameOfUid } from './user-names.ts';

/** What SLURM said about one job, from squeue or sacct text (fields it did not give are undefined). */
export interface SlurmJobReport {
  /** SLURM's state word(s): 'PENDING', 'CANCELLED by 0', 'OUT_OF_MEMORY', or squeue's short 'PD'. */
  state: string;
  /** squeue %r: 'Dependency', 'JobHeldUser', 'TimeLimit', 'None'. */
  reason?: string;
  /** sacct ExitCode 'code:signal', e.g. '3:0' or '0:125'. */
  exitCode?: string;
  nodes?: string;
  name?: string;
  submittedAt?: string;
  startedAt?: string;
  endedAt?: string;
  elapsedMs?: number;
  /** sacct Timelimit: the limit the job ran under (undefined when unlimited or not given). */
  timeLimitMs?: number;
  /** sacct's figures (MaxRSS, TotalCPU, ReqMem, AllocCPUS, ...): kept in a finished job's state. */
  usage?: SchedulerUsage;
}

/** squeue's compact state codes (%t) and their long names (%T). */
const SHORT_STATES: Readonly<Record<string, string>> = {
  BF: 'BOOT_FAIL',
  CA: 'CANCELLED',
  CD: 'COMPLETED',
  CF: 'CONFIGURING',
  CG: 'COMPLETING',
  DL: 'DEADLINE',
  F: 'FAILED',
  NF: 'NODE_FAIL',
  OOM: 'OUT_OF_MEMORY',
  PD: 'PENDING',
  PR: 'PREEMPTED',
  R: 'RUNNING',
  RD: 'RESV_DEL_HOLD',
  RF: 'REQUEUE_FED',
  RH: 'REQUEUE_HOLD',
  RQ: 'REQUEUED',
  RS: 'RESIZING',
  RV: 'REVOKED',
  SE: 'SPECIAL_EXIT',
  SI: 'SIGNALING',
  SO: 'STAGE_OUT',
  S: 'SUSPENDED',
  ST: 'STOPPED',
  TO: 'TIMEOUT',
};

/** Parses sacct's 'code:signal' ExitCode ('3:0', '0:125'); undefined for '' or malformed text. */
export function parseExitCode(text: string | undefined): { exitCode: number; signal: number } | undefined {
  const match = /^(\d+):(\d+)$/.exec(text?.trim() ?? '');
  if (!match) return undefined;
  return { exitCode: Number(match[1]), signal: Number(match[2]) };
}

/**
 * Maps one SLURM report to the shared JobState union. Pure; SLURM's own text stays in `raw`
 * ('CANCELLED by 0', 'PENDING (Dependency)'). Every state of Slurm 22.05 has a branch; anything
 * else becomes `unknown` with the text, never a guess. A finished job keeps sacct's figures in
 * `scheduler` (a live job's are partial, so they are left out).
 */
export function mapSlurmState(report: SlurmJobReport): JobState {
  const state = stateOf(report);
  return report.usage && isTerminalState(state) ? { ...state, scheduler: report.usage } : state;
}

function stateOf(report: SlurmJobReport): JobState {
  const text = report.state.trim();
  const [firstWord = '', ...rest] = text.split(/\s+/);
  const word = firstWord.replace(/\+$/, '').toUpperCase();
  const name = SHORT_STATES[word] ?? word;
  const reason =
    report.reason && report.reason !== 'None' && report.reason !== '(null)' ? report.reason : undefined;
  const exit = parseExitCode(report.exitCode);
  const details: JobStateDetails = { raw: reason ? `${text} (${reason})` : text };
  if (report.nodes && report.nodes !== 'None assigned' && report.nodes !== '(null)')
    details.node = report.nodes;
  if (report.name) details.name = report.name;
  if (report.submittedAt) details.submittedAt = report.submittedAt;
  if (report.startedAt) details.startedAt = report.startedAt;
  if (report.endedAt) details.endedAt = report.endedAt;
  if (report.elapsedMs !== undefined) details.elapsedMs = report.elapsedMs;
  if (exit) {
    details.exitCode = exit.exitCode;
    if (exit.signal !== 0) details.signal = exit.signal;
  }

  switch (name) {
    case 'PENDING':
      return { ...details, status: 'pending', ...(reason ? { reason } : {}) };
    case 'CONFIGURING':
    case 'POWER_UP_NODE':
      return { ...details, status: 'pending', reason: reason ?? 'Configuring' };
    case 'SUSPENDED':
    case 'STOPPED':
      return {
        ...details,
        status: 'pending',
        reason: reason ?? (name === 'SUSPENDED' ? 'Suspended' : 'Stopped'),
      };
    case 'RESV_DEL_HOLD':
      return { ...details, status: 'pending', reason: reason ?? 'ReservationDeleted' };
    case 'RUNNING':
    case 'RESIZING':
    case 'SIGNALING':
      return { ...details, status: 'running' };
    case 'COMPLETING':
    case 'STAGE_OUT':
      return { ...details, status: 'completing' };
    case 'COMPLETED':
      return { ...details, status: 'completed' };
    case 'FAILED':
      if (exit && exit.exitCode === 0 && exit.signal !== 0) {
        return { ...details, status: 'failed', cause: 'signal', message: `killed by signal ${exit.signal}` };
      }
      return {
        ...details,
        status: 'failed',
        cause: 'exit-code',
        ...(exit ? { message: `exit code ${exit.exitCode}` } : {}),
      };
    case 'OUT_OF_MEMORY':
      return {
        ...details,
        status: 'failed',
        cause: 'out-of-memory',
        message: 'killed for exceeding its memory limit (--mem)',
      };
    case 'NODE_FAIL':
      return {
        ...details,
        status: 'failed',
        cause: 'node-fail',
        message: `node ${details.node ?? '?'} failed while the job ran`,
      };
    case 'BOOT_FAIL':
      return { ...details, status: 'failed', cause: 'node-fail', message: 'the node failed to boot' };
    case 'CANCELLED': {
      const by = rest[0] === 'by' && rest[1] ? userNameOfUid(rest[1]) : undefined;
      return { ...details, status: 'cancelled', ...(by ? { by } : {}) };
    }
    case 'REVOKED':
      return { ...details, status: 'cancelled', by: 'federation' };
    case 'TIMEOUT':
      return timedOut(details, report);
    case 'DEADLINE':
      return { ...details, status: 'timeout' };
    case 'PREEMPTED':
      return { ...details, status: 'preempted' };
    case 'REQUEUED':
    case 'REQUEUE_FED':
    case 'REQUEUE_HOLD':
    case 'SPECIAL_EXIT':
      return { ...details, status: 'requeued' };
    default:
      return { ...details, status: 'unknown', reason: `unrecognised SLURM state '${text}'` };
  }
}

/** SLURM's TIMEOUT with how long the job ran against its limit, when sacct said both (it does, for jobs that ran). */
function timedOut(details: JobStateDetails, report: SlurmJobReport): JobState {
  if (report.elapsedMs === undefined || report.timeLimitMs === undefined)
    return { ...details, status: 'timeout' };
  return {
    ...details,
    status: 'timeout',
    raw: `${details.raw}; ${describeRunAgainstLimit(report.elapsedMs, report.timeLimitMs)}`,
    timeLimitMs: report.timeLimitMs,
  };
}
