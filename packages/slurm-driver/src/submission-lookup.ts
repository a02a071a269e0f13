import { asJobId, type JobId } from '@hpc/core';
import { type CommandRunner, isAccountingDisabled } from './command-runner.ts';
import { SchedulerCommandError } from './errors.ts';
import { slurmTime } from './squeue-parse.ts';

/**
 * Finding a job by its submission token, for a submission whose sbatch never answered (killed,
 * timed out, interrupted, or a failure message although the job was queued). The token is in the
 * job's comment (`hpc:<token>`) and in its job folder's name, which is the job's working directory
 * (sbatch runs there), so it shows in squeue's %k and %Z and in sacct's WorkDir (sacct keeps the
 * comment only with AccountingStoreFlags=job_comment). Each lookup is one command and a pure parser.
 */

/**
 * squeue's view of this user's jobs: base job id (an array's, for its tasks), submit time, state,
 * nodes, comment, and the work dir last (it may hold '|').
 */
export const LOOKUP_SQUEUE_FORMAT = '%F|%V|%T|%N|%k|%Z';
/** sacct's fields for the same question about jobs SLURM's controller has already let go. */
export const LOOKUP_SACCT_FIELDS = ['JobID', 'Submit', 'State', 'NodeList', 'Comment', 'WorkDir'];

/** One job that carries a token. */
export interface TokenMatch {
  id: JobId;
  /** SLURM's submit time ('YYYY-MM-DDTHH:MM:SS', local), when given. */
  submittedAt: string | undefined;
  state: string;
  /**
   * FAILED without ever getting a node: sbatch's refusal of a request no node can satisfy
   * ("Requested node configuration is not available") still leaves such a record behind
   * (Reason=BadConstraints, measured on Slurm 22.05), so it is not a job that was queued.
   */
  refusedAtSubmit: boolean;
}

/** Every job of this user the controller still holds, in every state. */
export function lookupSqueueArgs(): string[] {
  return ['--me', '--noheader', '--states=all', `--format=${LOOKUP_SQUEUE_FORMAT}`];
}

/** This user's allocations since `since` (SLURM local time 'YYYY-MM-DDTHH:MM:SS'). */
export function lookupSacctArgs(since: string): string[] {
  return [
    '--allocations',
    '--noheader',
    '--parsable2',
    `--starttime=${since}`,
    `--format=${LOOKUP_SACCT_FIELDS.join(',')}`,
  ];
}

/**
 * Pure: the jobs in `text` (squeue LOOKUP_SQUEUE_FORMAT or sacct LOOKUP_SACCT_FIELDS output) whose
 * line holds each token, by token. Tokens are 16 random hex digits, so a line that holds one is
 * that submission's job; array tasks collapse to their array's id. A token seen twice (a retried
 * sbatch that did reach SLURM both times) lists both jobs, oldest id first.
 */
export function matchTokens(text: string, tokens: readonly string[]): Map<string, TokenMatch[]> {
  const matches = new Map<string, TokenMatch[]>();
  for (const line of text.split('\n')) {
    const [rawId = '', submit = '', rawState = '', rawNodes = ''] = line.split('|', 4);
    const id = /^(\d+)(?:[_.].*)?$/.exec(rawId.trim())?.[1];
    if (!id) continue;
    for (const token of tokens) {
      if (!line.includes(token)) continue;
      const list = matches.get(token) ?? [];
      if (!list.some((match) => match.id === id)) {
        const state = rawState.trim();
        const nodes = rawNodes.trim();
        list.push({
          id: asJobId(id),
          submittedAt: slurmTime(submit),
          state,
          refusedAtSubmit:
            /^FAILED\b/.test(state) && (nodes === '' || nodes === 'None assigned' || nodes === '(null)'),
        });
        list.sort((a, b) => Number(a.id) - Number(b.id));
      }
      matches.set(token, list);
    }
  }
  return matches;
}

/** One squeue: which of the tokens are jobs the controller holds (queued, running, just finished). */
export async function findQueuedSubmissions(
  run: CommandRunner,
  tokens: readonly string[],
  timeoutMs?: number,
): Promise<Map<string, TokenMatch[]>> {
  const args = lookupSqueueArgs();
  const result = await run('squeue', args, timeoutMs === undefined ? {} : { timeoutMs });
  if (result.exitCode !== 0) throw new SchedulerCommandError('squeue', args, result.exitCode, result.stderr);
  return matchTokens(result.stdout, tokens);
}

/**
 * One sacct: which of the tokens are jobs accounting recorded since `since`; undefined when this
 * cluster keeps no accounting (then only squeue can tell).
 */
export async function findAccountedSubmissions(
  run: CommandRunner,
  tokens: readonly string[],
  since: Date,
  timeoutMs?: number,
): Promise<Map<string, TokenMatch[]> | undefined> {
  const args = lookupSacctArgs(slurmLocalTime(since));
  const result = await run('sacct', args, timeoutMs === undefined ? {} : { timeoutMs });
  if (result.exitCode !== 0) {
    if (isAccountingDisabled(result.stderr)) return undefined;
    throw new SchedulerCommandError('sacct', args, result.exitCode, result.stderr);
  }
  return matchTokens(result.stdout, tokens);
}

/** A time as SLURM's commands read it: local 'YYYY-MM-DDTHH:MM:SS'. */
export function slurmLocalTime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}T${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}
