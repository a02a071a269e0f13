import type { AnyClass, RegisterOptions } from './class-registry.ts';
import { ClassRegistrationError, registerClass } from './class-registry.ts';
import type { RunContext } from './run-context.ts';

const PROCESS_BRAND = Symbol.for('@hpc/process');

/**
 * The user's task. Subclass it, keep the data the task needs in fields, and implement `run()`.
 * The object is serialized with its fields and rebuilt on the compute node without running the
 * constructor, so `run()` must rely on fields, not on constructor side effects.
 */
export abstract class Process<Result = unknown> {
  /** Does the work. May be sync or async; its return value becomes the job's result. */
  abstract run(ctx: RunContext): Result | Promise<Result>;

  /**
   * Optional: called when the scheduler warns of the time limit (SIGUSR1) or the job is
   * cancelled, before `ctx.signal` aborts. Save what is needed to resume.
   */
  checkpoint?(ctx: RunContext): void | Promise<void>;
}
Object.defineProperty(Process.prototype, PROCESS_BRAND, { value: true });

/** True for instances of any Process subclass, even from another copy of this package. */
export function isProcess(value: unknown): value is Process {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [PROCESS_BRAND]?: boolean })[PROCESS_BRAND] === true &&
    typeof (value as { run?: unknown }).run === 'function'
  );
}

/**
 * Registers a Process subclass: one line in the module that defines it.
 *   registerProcess(MyProcess, { module: import.meta.url });
 */
export function registerProcess<C extends AnyClass>(ctor: C, options: RegisterOptions = {}): C {
  if (!(PROCESS_BRAND in (ctor.prototype as object))) {
    throw new ClassRegistrationError(
      `${ctor.name || 'this class'} does not extend Process; use registerClass() for data classes`,
      options.id ?? ctor.name,
    );
  }
  return registerClass(ctor, options);
}
