import { describeJobState, type JobDescription } from '@hpc/core';
import { renderJobProgress } from '../job-progress.ts';
import type { JobView } from '../job-view.ts';
import { shownLines } from '../output-safety.ts';
import { renderJobDescription } from '../show-view.ts';
import { createStyle } from '../terminal-style.ts';
import { html, type SafeHtml } from './html.ts';

const PLAIN = createStyle(false);

function progressHtml(description: JobDescription): SafeHtml | undefined {
  const progress = description.progress;
  if (!progress) return undefined;
  const bar = progress.total
    ? html`<progress value="${progress.done}" max="${progress.total}"></progress> `
    : undefined;
  return html`<p class="progress">${bar}${renderJobProgress(progress, 0).replace(/^\[\] /, '')}</p>`;
}

/**
 * One job, as `hpc show` prints it (the same lines, so nothing it shows is missing here), with
 * its state coloured, its progress as a bar and the ends of its logs in their own boxes that the
 * page refreshes at each poll. All of it is data, escaped.
 */
export function jobFragment(description: JobDescription): SafeHtml {
  const { state } = description;
  const withoutTails = {
    ...description,
    logs: {
      stdout: { ...description.logs.stdout, tail: '' },
      stderr: { ...description.logs.stderr, tail: '' },
    },
  };
  const show = renderJobDescription(withoutTails, PLAIN, 110).join('\n');
  const logs = (['stdout', 'stderr'] as const).map(
    (stream) =>
      html`<h2>${stream} <span class="muted">${description.logs[stream].file}</span></h2><pre class="log" id="${stream}">${shownLines(description.logs[stream].tail)}</pre>`,
  );
  return html`<section class="job" data-id="${description.id}" data-status="${state.status}">
<p><span class="state s-${state.status}">${describeJobState(state)}</span> <b>${description.name}</b> <span class="muted">(${description.driver})</span></p>
${progressHtml(description)}<pre class="show">${show}</pre>${logs}</section>`;
}

/** Before its first description (an unfinished job not looked at before): what the poll knows. */
export function jobPlaceholder(view: JobView): SafeHtml {
  return html`<section class="job" data-id="${view.id}" data-status="${view.state.status}">
<p><span class="state s-${view.state.status}">${describeJobState(view.state)}</span> <b>${view.name}</b></p>
<p class="muted">The full description comes with the next poll.</p></section>`;
}

export function notTracked(id: string): SafeHtml {
  return html`<p class="error">No tracked job has the id ${id}.</p>`;
}
