import { RETRY_CAUSES, type RetryCause, type SubmitOptions } from '@hpc/core';
import { UsageError } from './cli-errors.ts';
import { shown } from './output-safety.ts';
import { listOption, type OptionValues, stringOption } from './parse-command-line.ts';

/** What `--retry N` retries when --retry-on is not given: the failures that are not the job's own fault. */
const DEFAULT_RETRY_ON: readonly RetryCause[] = [
  'out-of-memory',
  'timeout',
  'node-fail',
  'preempted',
  'lost',
];

/** `--max-restarts`, `--retry`/`--retry-on`, `--after`/`--after-any`/`--after-not-ok` as SubmitOptions. */
export function longJobOptions(values: OptionValues): SubmitOptions {
  const options: SubmitOptions = {};
  const maxRestarts = wholeNumber(values, 'max-restarts', 0);
  if (maxRestarts !== undefined) options.maxRestarts = maxRestarts;
  const maxAttempts = wholeNumber(values, 'retry', 1);
  const retryOn = stringOption(values, 'retry-on');
  if (retryOn !== undefined && maxAttempts === undefined)
    throw new UsageError(
      '--retry-on needs --retry <attempts> (e.g. --retry 3 --retry-on out-of-memory)',
      'submit',
    );
  if (maxAttempts !== undefined)
    options.retry = { maxAttempts, on: retryOn === undefined ? DEFAULT_RETRY_ON : retryCauses(retryOn) };
  for (const [flag, key] of [
    ['after', 'after'],
    ['after-any', 'afterAny'],
    ['after-not-ok', 'afterNotOk'],
  ] as const) {
    const ids = listOption(values, flag).flatMap((value) => value.split(','));
    const cleaned = ids.map((id) => id.trim()).filter(Boolean);
    if (ids.length && !cleaned.length)
      throw new UsageError(`--${flag} expects job ids (e.g. --${flag} 4711)`, 'submit');
    if (cleaned.length) options[key] = cleaned;
  }
  return options;
}

function wholeNumber(values: OptionValues, flag: string, min: number): number | undefined {
  const text = stringOption(values, flag);
  if (text === undefined) return undefined;
  const value = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > 100)
    throw new UsageError(
      `--${flag} expects a whole number from ${min} to 100, got '${shown(text)}'`,
      'submit',
    );
  return value;
}

function retryCauses(text: string): RetryCause[] {
  const causes = text.split(',').map((cause) => cause.trim());
  for (const cause of causes)
    if (!(RETRY_CAUSES as readonly string[]).includes(cause))
      throw new UsageError(
        `--retry-on: '${shown(cause)}' is not a failure that can be retried; use a comma list of ${RETRY_CAUSES.join(', ')}`,
        'submit',
      );
  return causes as RetryCause[];
}
