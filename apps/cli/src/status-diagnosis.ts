import { type Driver, isHpcError, isTerminalState, type JobFailedError } from '@hpc/core';
import type { JobView } from './job-view.ts';

/** At most this many jobs named on the command line get a diagnosis (each reads its job folder). */
const MAX_DIAGNOSED = 20;

/**
 * The diagnosis paragraph (JobFailedError.diagnosis) of each named job that ended without a
 * result, by id: `hpc status <id>` shows why under the table, as `hpc result` does.
 */
export async function diagnosesOf(driver: Driver, views: readonly JobView[]): Promise<Map<string, string>> {
  const diagnoses = new Map<string, string>();
  const ended = views.filter((view) => isTerminalState(view.state) && view.state.status !== 'completed');
  for (const view of ended.slice(0, MAX_DIAGNOSED)) {
    try {
      await driver.getResult(view.id);
    } catch (error) {
      if (isHpcError(error, 'JobFailedError')) diagnoses.set(view.id, (error as JobFailedError).diagnosis);
    }
  }
  return diagnoses;
}

/** Words of `text` in lines of at most `width` columns (a longer word gets a line of its own). */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
