import type { ForgetRefusal, ForgetReport, ForgottenJob, KeptReason } from '@hpc/core';
import type { Output } from './cli-context.ts';
import { shown } from './output-safety.ts';

/** At most this many ids of one kept kind are listed in text (--json lists them all). */
const KEPT_IDS_SHOWN = 10;

/** One removed job or batch as `--json` gives it. */
export interface ForgottenJson {
  id: string;
  processes: number;
  ids: string[];
  jobDir: string;
}

export function forgottenJson(job: ForgottenJob): ForgottenJson {
  return { id: job.id, processes: job.ids.length, ids: job.ids.map(String), jobDir: job.jobDir };
}

/** 'forgot 3: 4711 4712 local-12 (batch of 20)', or 'would forget' for a dry run, or 'nothing to forget'. */
export function writeRemoved(out: Output, report: ForgetReport, dryRun: boolean): void {
  const verb = dryRun ? 'would forget' : 'forgot';
  if (report.removed.length === 0) {
    out.write(`${dryRun ? 'nothing would be forgotten' : 'nothing forgotten'}\n`);
    return;
  }
  const ids = report.removed.map((job) =>
    job.ids.length > 1 || job.ids[0] !== job.id
      ? `${shown(job.id)} (${job.ids.length} processes)`
      : shown(job.id),
  );
  out.write(`${out.style.magenta(verb)} ${report.removed.length}: ${ids.join(' ')}\n`);
}

/** Each refusal on its own line: 'kept 4711: 4711 was not forgotten: it is running; cancel it ...'. */
export function writeRefused(out: Output, refused: readonly ForgetRefusal[]): void {
  for (const refusal of refused)
    out.write(`${out.style.yellow(`kept ${shown(refusal.id)}:`)} ${shown(refusal.message)}\n`);
}

const KEPT_WORDS: Readonly<Record<KeptReason, string>> = {
  'not-final': 'not finished',
  'too-recent': 'ended too recently',
  'end-unknown': 'end time not known',
  'shares-folder': 'sharing a batch folder with jobs that are kept',
};

/** 'kept 2 not finished: 4720 4721', one line per reason, the first ids of each. */
export function writeKept(out: Output, kept: readonly { id: string; reason: KeptReason }[]): void {
  for (const reason of Object.keys(KEPT_WORDS) as KeptReason[]) {
    const ids = kept.filter((entry) => entry.reason === reason).map((entry) => shown(entry.id));
    if (ids.length === 0) continue;
    const more =
      ids.length > KEPT_IDS_SHOWN ? ` (+${ids.length - KEPT_IDS_SHOWN} more; --json lists all)` : '';
    out.write(
      `${out.style.dim(`kept ${ids.length} ${KEPT_WORDS[reason]}: ${ids.slice(0, KEPT_IDS_SHOWN).join(' ')}${more}`)}\n`,
    );
  }
}
