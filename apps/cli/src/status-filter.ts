import { globToRegExp, JOB_STATUSES, type JobStatus } from '@hpc/core';
import { UsageError } from './cli-errors.ts';
import type { JobView } from './job-view.ts';
import type { OptionValues } from './parse-command-line.ts';

export { globToRegExp };

/** `hpc status --state failed,timeout --name 'fit*'`: which rows to keep. */
export interface StatusFilter {
  states?: ReadonlySet<JobStatus>;
  name?: RegExp;
}

/** The filter the options ask for; undefined without --state and --name. Bad values are usage errors. */
export function statusFilterOf(values: OptionValues, command = 'status'): StatusFilter | undefined {
  const stateValues = values.state as string[] | undefined;
  const nameValue = values.name as string | undefined;
  if (!stateValues?.length && nameValue === undefined) return undefined;
  const filter: StatusFilter = {};
  if (stateValues?.length) {
    const states = new Set<JobStatus>();
    for (const word of stateValues.flatMap((value) => value.split(','))) {
      const state = word.trim().toLowerCase();
      if (!(JOB_STATUSES as readonly string[]).includes(state))
        throw new UsageError(
          `--state ${JSON.stringify(word)} is not a job state; use one or more of: ${JOB_STATUSES.join(', ')}`,
          command,
        );
      states.add(state as JobStatus);
    }
    filter.states = states;
  }
  if (nameValue !== undefined) filter.name = globToRegExp(nameValue);
  return filter;
}

export function applyStatusFilter(views: readonly JobView[], filter: StatusFilter | undefined): JobView[] {
  if (!filter) return [...views];
  return views.filter(
    (view) =>
      (!filter.states || filter.states.has(view.state.status)) &&
      (!filter.name || filter.name.test(view.name)),
  );
}
