import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Driver, JobStats } from '@hpc/core';
import { ASSET_TYPES, readAsset } from './assets.ts';
import { batchFragment, batchRows } from './batch-page.ts';
import { html, type SafeHtml } from './html.ts';
import { jobFragment, jobPlaceholder, notTracked } from './job-page.ts';
import { jobTableHtml, tableRow } from './job-table.ts';
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
}

const STATS_TTL_MS = 5_000;

/** What the page's script needs after each poll for a topic: rows for the table, HTML for the others. */
export async function topicPayload(context: RouteContext, topic: string): Promise<unknown> {
  const { hub } = context;
  const poll = { at: hub.lastPollAt, polls: hub.polls, error: hub.lastError };
  if (topic === 'jobs') return { poll, rows: hub.rows.map(tableRow) };
  if (topic.startsWith('job:')) return { poll, html: (await jobBody(context, topic.slice(4))).text };
  if (topic.startsWith('batch:')) return { poll, html: batchBody(context, topic.slice(6)).text };
  return { poll };
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
  const path = decodeURIComponent(url.pathname);
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
