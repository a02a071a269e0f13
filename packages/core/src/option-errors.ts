import { HpcError, type HpcErrorOptions } from './errors.ts';
import { escapeUnsafeText } from './safe-text.ts';

export interface InvalidOptionDetails extends HpcErrorOptions {
  /** Which option, as the caller wrote it: 'limit', 'compression.level', 'SLURMDriver.pollMs'. */
  option: string;
  /** The refused value. */
  value: unknown;
  /** What is allowed, in words: 'an integer of at least 1', "'gzip' or 'blosc'". */
  allowed: string;
  /** What to do instead; defaults to "pass <allowed>". */
  remedy?: string;
  /** The whole message, where a package's wording is established (it must name the value and the fix). */
  message?: string;
}

/**
 * An option given to an @hpc API (a constructor, a function's options object, a parsed text) has a
 * value it cannot use: the one vocabulary for bad options in every package. Job settings (the
 * SubmitOptions and slurmArgs of a job) are refused with `InvalidJobSettingError` instead.
 */
export class InvalidOptionError extends HpcError {
  readonly _tag = 'InvalidOption';
  readonly option: string;
  readonly value: unknown;
  readonly allowed: string;
  readonly remedy: string;

  constructor(details: InvalidOptionDetails) {
    const remedy = details.remedy ?? `pass ${details.allowed}`;
    super(
      details.message ??
        `invalid option ${escapeUnsafeText(details.option)} = ${describeValue(details.value)}: expected ${details.allowed}; ${remedy}`,
      details,
    );
    this.option = details.option;
    this.value = details.value;
    this.allowed = details.allowed;
    this.remedy = remedy;
  }
}

/**
 * A broken internal invariant of @hpc itself (not something the caller did): a bug to report, with
 * the invariant named in `invariant`.
 */
export class InternalError extends HpcError {
  readonly _tag = 'Internal';
  constructor(
    readonly invariant: string,
    options: HpcErrorOptions = {},
  ) {
    super(
      `internal error in @hpc: ${invariant} (this is a bug; please report it with the stack trace)`,
      options,
    );
  }
}

/** The refused value as a message shows it: quoted, unsafe characters escaped, cut at 120. */
export function describeValue(value: unknown): string {
  let text: string;
  try {
    text =
      typeof value === 'string'
        ? JSON.stringify(value)
        : typeof value === 'bigint'
          ? `${value}n`
          : String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  const safe = escapeUnsafeText(text);
  return safe.length > 120 ? `${safe.slice(0, 117)}...` : safe;
}
