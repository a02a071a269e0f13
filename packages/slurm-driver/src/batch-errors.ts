import { HpcError, type HpcErrorOptions } from '@hpc/core';

/**
 * sbatch refused (or never answered for) one slice of a batch split over several arrays. The
 * slices already queued were cancelled in one scancel and the batch folder was removed; when that
 * scancel failed too, the message lists exactly which arrays still exist (their tasks then fail
 * at once: their folder is gone).
 */
export class BatchSubmissionError extends HpcError {
  readonly _tag = 'BatchSubmissionError';
  constructor(
    /** The slice sbatch did not queue (0-based) and how many the batch has. */
    readonly slice: number,
    readonly slices: number,
    /** The arrays that were queued before it. */
    readonly queued: readonly string[],
    /** Whether those were cancelled (scancel answered 0); false: they still exist. */
    readonly cancelled: boolean,
    /** Set when sbatch's answer was lost: the slice may have been queued after all. */
    readonly uncertainToken: string | undefined,
    readonly batchDir: string,
    options: HpcErrorOptions,
  ) {
    const cause = options.cause instanceof Error ? options.cause.message : String(options.cause);
    const done =
      queued.length === 0
        ? 'nothing was queued'
        : cancelled
          ? `the arrays already queued (${queued.join(', ')}) were cancelled`
          : `the arrays already queued STILL EXIST: ${queued.join(', ')} (cancel them with 'scancel ${queued.join(' ')}')`;
    const end = uncertainToken
      ? `; sbatch's answer for this slice was lost, so it may have been queued (comment hpc:${uncertainToken}, see 'squeue --me -o "%i %k"'): ${batchDir} is kept until a status poll (after 5 minutes) cancels whatever carries the batch's token and removes it`
      : `, and ${batchDir} was removed`;
    super(
      `slice ${slice + 1} of ${slices} of the batch was not submitted (${cause}); ${done}${end}`,
      options,
    );
  }
}

declare module '@hpc/core' {
  /** This file's error tags, for `isHpcError(error, tag)` (checked at compile time). */
  interface HpcErrorTags {
    BatchSubmissionError: BatchSubmissionError;
  }
}
