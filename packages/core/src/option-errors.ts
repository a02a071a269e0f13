import { HpcError, type HpcErrorOptions } from './errors.ts';

/**
 * A bad option, in any package: which option, the value given, what is allowed, and what to do.
 * The one vocabulary for bad options (serializer codecs, driver options); job settings keep
 * InvalidJobSettingError.
 */
export class InvalidOptionError extends HpcError {
  readonly _tag = 'InvalidOption';
  readonly option: string;
  readonly value: unknown;
  /** What the option accepts, in words ("one of none, byte, bit", "an integer 0-9"). */
  readonly allowed: string;
  readonly remedy: string;
  constructor(
    fields: { option: string; value: unknown; allowed: string; remedy?: string; message?: string },
    options: HpcErrorOptions = {},
  ) {
    const remedy = fields.remedy ?? `use ${fields.allowed}`;
    super(fields.message ?? `invalid ${fields.option} ${describeValue(fields.value)}: ${remedy}`, options);
    this.option = fields.option;
    this.value = fields.value;
    this.allowed = fields.allowed;
    this.remedy = remedy;
  }
}

/** An invariant of @hpc's own code broke: a bug to report, never the user's input. */
export class InternalError extends HpcError {
  readonly _tag = 'Internal';
  constructor(detail: string, options: HpcErrorOptions = {}) {
    super(`internal error (a bug in @hpc, please report it): ${detail}`, options);
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  return String(value);
}
