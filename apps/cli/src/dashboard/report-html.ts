import type { Driver, JobDescription } from '@hpc/core';
import { batchIdOf } from '../batch-groups.ts';
import { readAsset } from './assets.ts';
import { batchFragment, batchRows } from './batch-page.ts';
import { html } from './html.ts';
import { jobFragment } from './job-page.ts';
import { jobTableHtml, tableRow } from './job-table.ts';
import { pageHtml } from './page-layout.ts';
import { PollHub } from './poll-hub.ts';
import { statsFragment } from './stats-page.ts';

/** Per-job sections past this many would make a file nobody mails: the most recent ones only. */
export const REPORT_JOB_LIMIT = 200;

/**
 * The dashboard's views as one static page: the job table (ids link to the sections below), each
 * batch's timeline and memory chart, per-job summaries (as `hpc show` has them) and the stats.
 * One status poll, then files; no script, its stylesheet inline: it reads anywhere, offline.
 */
export async function buildReportHtml(driver: Driver, now = Date.now()): Promise<string> {
  const hub = new PollHub(driver, { intervalMs: 60_000, describeBudget: 0 });
  await hub.tick();
  const rows = hub.rows;
  const recent = rows.slice(-REPORT_JOB_LIMIT);
  const descriptions = new Map<string, JobDescription>();
  for (const row of recent) {
    const description = await driver.describeJob(row.id).catch(() => undefined);
    if (description) descriptions.set(row.id, description);
  }
  const table = rows.map(tableRow).map((row) => ({
    ...row,
    href: descriptions.has(row.id) ? `#job-${row.id}` : '',
    ...(row.batchHref ? { batchHref: `#batch-${batchIdOf(row.id)}` } : {}),
  }));
  const batches = [...new Set(rows.map((row) => batchIdOf(row.id)).filter((id) => id !== undefined))];
  const batchSections = batches.map(
    (batch) =>
      html`<section id="batch-${batch}"><h2>batch ${batch}</h2>${batchFragment(batch, batchRows(rows, batch), (id) => descriptions.get(id), now, false)}</section>`,
  );
  const jobSections = [...descriptions.values()].map(
    (description) =>
      html`<section id="job-${description.id}"><h2>job ${description.id}</h2>${jobFragment(description)}</section>`,
  );
  const stats = await driver.stats();
  const error = hub.lastError
    ? html`<p class="error">The status poll failed: ${hub.lastError}</p>`
    : undefined;
  const body = html`<p class="muted">${rows.length} tracked ${driver.kind} jobs, as of ${new Date(now).toISOString()}.</p>${error}
${jobTableHtml(table, true)}${batchSections}<h2>stats</h2>${statsFragment(stats)}${jobSections}`;
  return pageHtml({ title: 'hpc report', inlineCss: readAsset('style.css') as string }, body);
}
