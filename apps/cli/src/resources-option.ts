import type { ResourcesChoice, SuggestedOption } from '@hpc/core';
import { UsageError } from './cli-errors.ts';
import { shown } from './output-safety.ts';
import { type OptionValues, stringOption } from './parse-command-line.ts';

/**
 * `--resources suggested` (mem and time from the class's history, as `hpc stats` suggests),
 * `suggested:mem` or `suggested:time` (only that one; the other stands as asked), `requested`.
 */
export function resourcesOption(values: OptionValues): ResourcesChoice | undefined {
  const text = stringOption(values, 'resources')?.trim();
  if (text === undefined) return undefined;
  if (text === 'suggested' || text === 'requested') return text;
  const match = /^suggested:([a-z,]+)$/.exec(text);
  const listed = match?.[1]?.split(',').filter(Boolean) ?? [];
  if (listed.length > 0 && listed.every((option) => option === 'mem' || option === 'time'))
    return { suggested: [...new Set(listed as SuggestedOption[])] };
  throw new UsageError(
    `--resources '${shown(text)}' is not a choice: use suggested (mem and time from this class's history, see hpc stats), suggested:mem or suggested:time for one of them, or requested`,
    'submit',
  );
}
