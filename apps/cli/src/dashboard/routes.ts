import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Driver, JobStats } from '@hpc/core';
import { ASSET_TYPES, readAsset } from './assets.ts';
import { batchFragment, batchRows } from './batch-page.ts';
import { html, type SafeHtml } from './html.ts';
import { jobFragment, jobPlaceholder, notTracked } from './job-page.ts';
import { jobTableHtml, type TableRow, tableRow } from './job-table.ts';
import { pageHtml } from './page-layout.ts';
import type { PollHub } from './poll-hub.ts';
import type { SseHub } from './sse-hub.ts';
import { statsFragment } from './stats-page.ts';

export interface RouteContext {
  driver: Driver;
  hub: PollHub;
  sse: SseHub;
  now: () => number;
  /** driver.stats() reads every finished job's outcome: made at most every few seconds. */
  statsCache?: { at: number; stats: JobStats };
  /** The table's rows as last published (JSON by id): a poll sends only the rows that changed. */
  publishedRows?: Map<string, string>;
}

const STATS_TTL_MS = 5_000;

/**
 * What the page's script needs for a topic: the table's rows (all of them when its stream opens,
 * then those that changed or went), or the job's or batch's view as HTML.
 */
export async function topicPayload(
  context: RouteContext,
  topic: string,
  mode: 'full' | 'delta' = 'full',
): Promise<unknown> {
  const { hub } = context;
  const poll = { at: hub.lastPollAt, polls: hub.polls, error: hub.lastError };
  if (topic === 'jobs')
    return mode === 'full' ? { poll, rows: hub.rows.map(tableRow) } : { poll, ...rowChanges(context) };
  if (topic.startsWith('job:')) return { poll, html: (await jobBody(context, topic.slice(4))).text };
  if (topic.startsWith('batch:')) return { poll, html: batchBody(context, topic.slice(6)).text };
  return { poll };
}

function rowChanges(context: RouteContext): { changed: TableRow[]; removed: string[] } {
  const before = context.publishedRows ?? new Map<string, string>();
  const now = new Map<string, string>();
  const changed: TableRow[] = [];
  for (const row of context.hub.rows.map(tableRow)) {
    const text = JSON.stringify(row);
    now.set(row.id, text);
    if (before.get(row.id) !== text) changed.push(row);
  }
  context.publishedRows = now;
  return { changed, removed: [...before.keys()].filter((id) => !now.has(id)) };
}

async function jobBody({ hub }: RouteContext, id: string): Promise<SafeHtml> {
  const view = hub.views.get(id);
  if (!view) return notTracked(id);
  const description = await hub.description(id);
  return description ? jobFragment(description) : jobPlaceholder(view);
}

function batchBody({ hub, now }: RouteContext, batch: string): SafeHtml {
  return batchFragment(batch, batchRows(hub.rows, batch), (id) => hub.cachedDescription(id), now());
}

const FILTERS = html`<form id="filters" class="filters"><input id="filter-name" type="search" placeholder="filter by id or name" autocomplete="off">
<select id="filter-state"><option value="">every state</option>${[
  'pending',
  'running',
  'completed',
  'failed',
  'cancelled',
  'timeout',
  'unknown',
].map(
  (s) => html`<option value="${s}">${s}</option>`,
)}</select> <span id="count" class="muted"></span></form>`;

/** The page or data a GET asks for (the access checks are done); false: no such route. */
export async function route(
  context: RouteContext,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
): Promise<boolean> {
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return false; // a malformed %-escape names no page
  }
  const send = (type: string, body: string) => {
    response.writeHead(200, { 'Content-Type': type });
    response.end(body);
  };
  const page = (title: string, topic: string | undefined, body: SafeHtml) =>
    send('text/html; charset=utf-8', pageHtml(topic ? { title, topic } : { title }, body));
  if (path === '/') {
    page('hpc jobs', 'jobs', html`${FILTERS}${jobTableHtml(context.hub.rows.map(tableRow), true)}`);
  } else if (path.startsWith('/job/')) {
    const id = path.slice(5);
    page(`hpc job ${id}`, `job:${id}`, await jobBody(context, id));
  } else if (path.startsWith('/batch/')) {
    const id = path.slice(7);
    page(`hpc batch ${id}`, `batch:${id}`, batchBody(context, id));
  } else if (path === '/stats') {
    if (!context.statsCache || context.statsCache.at < context.now() - STATS_TTL_MS)
      context.statsCache = { at: context.now(), stats: await context.driver.stats() };
    page('hpc stats', undefined, statsFragment(context.statsCache.stats));
  } else if (path === '/events') {
    await context.sse.add(request, response, url.searchParams.get('topic') || 'jobs');
  } else if (path === '/api/jobs') {
    send('application/json; charset=utf-8', JSON.stringify(await topicPayload(context, 'jobs')));
  } else if (path.startsWith('/assets/') && readAsset(path.slice(8)) !== undefined) {
    send(ASSET_TYPES[path.slice(8)] as string, readAsset(path.slice(8)) as string);
  } else return false;
  return true;
}
