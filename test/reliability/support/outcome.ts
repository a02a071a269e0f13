/**
 * What one operation on a damaged crate gave: the right value, a typed HpcError, a wrong value
 * (the failure this suite exists to find), an untyped error, or (seen from the parent) a hang or
 * a crash of the process that ran it.
 */
import { isHpcError } from '@hpc/core';

export type OpOutcome =
  | { kind: 'correct' }
  | { kind: 'typed'; tag: string; namesFile: boolean; message: string }
  | { kind: 'wrong'; detail: string }
  | { kind: 'untyped'; name: string; message: string }
  | { kind: 'hang'; afterMs: number }
  | { kind: 'crash'; detail: string };

/** Worst first: a case's outcome is the worst of its operations'. */
const SEVERITY: OpOutcome['kind'][] = ['hang', 'crash', 'wrong', 'untyped', 'typed', 'correct'];

export function worstOf(outcomes: readonly OpOutcome[]): OpOutcome {
  return (
    [...outcomes].sort((a, b) => SEVERITY.indexOf(a.kind) - SEVERITY.indexOf(b.kind))[0] ?? {
      kind: 'correct',
    }
  );
}

/** JS errors a user must never see from a loader: they say nothing about the file. */
const WasmRuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: ErrorConstructor } })
  .WebAssembly.RuntimeError;
const UNTYPED = [RangeError, TypeError, SyntaxError, ReferenceError, WasmRuntimeError];

/** Typed means an HpcError with a string `_tag` that is none of the engine's own error classes. */
export function classifyError(error: unknown, file: string): OpOutcome {
  const typed =
    isHpcError(error) &&
    typeof (error as { _tag?: unknown })._tag === 'string' &&
    !UNTYPED.some((kind) => error instanceof kind);
  const message = error instanceof Error ? error.message : String(error);
  if (typed) {
    return {
      kind: 'typed',
      tag: (error as { _tag: string })._tag,
      namesFile: message.includes(file),
      message: message.slice(0, 300),
    };
  }
  const name = error instanceof Error ? `${error.constructor.name}` : typeof error;
  return { kind: 'untyped', name, message: message.slice(0, 300) };
}
