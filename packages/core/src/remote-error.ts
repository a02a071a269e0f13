/**
 * An error as it crossed a process boundary: name, message, stack, code and the whole cause chain
 * kept as plain data (JSON.stringify of an Error gives `{}`, which is how remote errors get lost).
 */
export interface RemoteError {
  name: string;
  message: string;
  stack?: string;
  code?: string | number;
  cause?: RemoteError;
  /** Members of an AggregateError. */
  errors?: RemoteError[];
}

const MAX_CAUSE_DEPTH = 16;

/** Captures any thrown value (Error or not) as a RemoteError, without ever throwing itself. */
export function toRemoteError(value: unknown, depth = 0): RemoteError {
  if (!(value instanceof Error)) {
    return { name: 'NonErrorThrown', message: safeString(value) };
  }
  const remote: RemoteError = { name: value.name || 'Error', message: value.message };
  if (typeof value.stack === 'string') remote.stack = value.stack;
  const code = (value as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') remote.code = code;
  if (value.cause !== undefined && depth < MAX_CAUSE_DEPTH)
    remote.cause = toRemoteError(value.cause, depth + 1);
  if (value instanceof AggregateError && depth < MAX_CAUSE_DEPTH) {
    remote.errors = value.errors.map((member) => toRemoteError(member, depth + 1));
  }
  return remote;
}

/** The remote error's text as a user reads it: 'Name: message' plus the remote stack and causes. */
export function formatRemoteError(remote: RemoteError, indent = ''): string {
  const head = remote.stack?.startsWith(`${remote.name}`)
    ? remote.stack
    : `${remote.name}: ${remote.message}${remote.stack ? `\n${stackFrames(remote.stack)}` : ''}`;
  let text = head
    .split('\n')
    .map((line) => indent + line)
    .join('\n');
  if (remote.cause)
    text += `\n${indent}Caused by: ${formatRemoteError(remote.cause, `${indent}  `).trimStart()}`;
  return text;
}

function stackFrames(stack: string): string {
  return stack
    .split('\n')
    .filter((line) => line.trimStart().startsWith('at '))
    .join('\n');
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return Object.prototype.toString.call(value);
  }
}
