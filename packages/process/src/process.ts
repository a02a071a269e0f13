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
   * Optional: makes the Process restartable. Called at the scheduler's time-limit warning
   * (SIGUSR1) or on preemption, after `ctx.signal` aborted with 'time-limit': bring the fields to
   * a state to resume from. The object itself (its fields as they are now) is then saved and run
   * again (`ctx.restarts` > 0), up to `maxRestarts`; return another Process to run that instead.
   * On a cancel it is called too, but nothing is restarted.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: an async hook that returns nothing is Promise<void>.
  checkpoint?(ctx: RunContext): void | Process | Promise<void | Process>;
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
