import { stat } from 'node:fs/promises';
import { extname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as hpcContainer from '@hpc/container';
import * as hpcCore from '@hpc/core';
import * as hpcProcess from '@hpc/process';
import { type AnyClass, isProcess, type Process, registeredClassOf } from '@hpc/process';
import { installModuleHooks } from '@hpc/runner';
import * as hpcSerializer from '@hpc/serializer';
import { UsageError, UserModuleError } from './cli-errors.ts';

const MODULE_EXTENSIONS = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts']);

let hooksInstalled = false;

/**
 * Lets user modules load here exactly as on a compute node (the node-runner's own hooks): `.ts`
 * with full TypeScript transforms, and `@hpc/*` imports answered by this CLI's copies when the
 * user's project has none installed.
 */
function ensureModuleHooks(): void {
  if (hooksInstalled) return;
  installModuleHooks({
    '@hpc/core': hpcCore,
    '@hpc/process': hpcProcess,
    '@hpc/serializer': hpcSerializer,
    '@hpc/container': hpcContainer,
  });
  hooksInstalled = true;
}

/** Imports a module the user named on the command line (it registers its Process classes). */
export async function importUserModule(file: string, cwd: string): Promise<Record<string, unknown>> {
  const path = resolve(cwd, file);
  const extension = extname(path);
  if (!MODULE_EXTENSIONS.has(extension)) {
    throw new UsageError(
      `'${file}' is not a JavaScript or TypeScript module (expected .js, .mjs, .ts or .mts)`,
      'submit',
    );
  }
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new UserModuleError(`module file not found: ${file} (looked at ${path})`, file);
  ensureModuleHooks();
  try {
    return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new UserModuleError(
      `importing ${file} failed: ${(error as Error)?.message ?? String(error)}`,
      file,
      { cause: error },
    );
  }
}

/** Modules the compute node must import, as the node-runner expects them: file URLs or package names. */
export function toNodeImport(specifier: string, cwd: string): string {
  if (specifier.startsWith('file:') || specifier.startsWith('data:')) return specifier;
  if (specifier.startsWith('.') || isAbsolute(specifier)) return pathToFileURL(resolve(cwd, specifier)).href;
  return specifier;
}

/** What the module offers to submit: a registered Process subclass, or a ready Process instance. */
export type ProcessExport =
  | { exportName: string; kind: 'class'; ctor: AnyClass }
  | { exportName: string; kind: 'instance'; instance: Process };

/**
 * Picks the export to submit: the one named by --export, else the only Process class or instance the
 * module exports (the default export wins when it is one). Explains every way this can go wrong.
 */
export function pickProcessExport(
  exports: Record<string, unknown>,
  file: string,
  exportName?: string,
): ProcessExport {
  if (exportName !== undefined) {
    if (!Object.hasOwn(exports, exportName)) {
      throw new UserModuleError(
        `${file} has no export named '${exportName}'; it exports: ${listNames(Object.keys(exports))}`,
        file,
      );
    }
    const found = asProcessExport(exportName, exports[exportName]);
    if (!found)
      throw new UserModuleError(
        `${file}: export '${exportName}' is not a Process subclass or instance (it is ${describe(exports[exportName])})`,
        file,
      );
    return checkRegistered(found, file);
  }
  const candidates = Object.entries(exports)
    .map(([name, value]) => asProcessExport(name, value))
    .filter((found): found is ProcessExport => found !== undefined);
  const unique = dedupe(candidates);
  const preferred = unique.find((found) => found.exportName === 'default');
  if (preferred) return checkRegistered(preferred, file);
  if (unique.length === 1) return checkRegistered(unique[0] as ProcessExport, file);
  if (unique.length === 0) {
    throw new UserModuleError(
      `${file} exports no Process subclass (exports: ${listNames(Object.keys(exports))}); export a class that extends Process and register it: registerProcess(MyProcess, { module: import.meta.url })`,
      file,
    );
  }
  throw new UsageError(
    `${file} exports several Processes (${unique.map((found) => found.exportName).join(', ')}): choose one with --export ${unique[0]?.exportName}`,
    'submit',
  );
}

/** Builds the Process: `new Class(...args)` for a class, the instance itself otherwise. */
export function buildProcess(found: ProcessExport, args: unknown[] | undefined, file: string): Process {
  if (found.kind === 'instance') {
    if (args !== undefined)
      throw new UsageError(
        `--args cannot be used: ${file} exports '${found.exportName}' as a ready instance, not a class`,
        'submit',
      );
    return found.instance;
  }
  try {
    return processFromArgs(found.ctor, args ?? []);
  } catch (error) {
    const cause = (error as Error).cause;
    throw new UserModuleError((error as Error).message, file, cause === undefined ? {} : { cause });
  }
}

/** `new Class(...args)`, checked to be a Process; a constructor that throws is named with its arguments. */
export function processFromArgs(ctor: AnyClass, args: readonly unknown[]): Process {
  const Ctor = ctor as unknown as new (...params: unknown[]) => unknown;
  let instance: unknown;
  try {
    instance = new Ctor(...args);
  } catch (error) {
    throw new Error(
      `new ${ctor.name}(${JSON.stringify(args).slice(1, -1)}) threw: ${(error as Error)?.message ?? String(error)}`,
      { cause: error },
    );
  }
  if (!isProcess(instance)) throw new Error(`new ${ctor.name}() did not return a Process`);
  return instance;
}

/** --args: a JSON array is spread into the constructor, any other JSON value is its one argument. */
export function parseConstructorArgs(text: string | undefined): unknown[] | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `--args must be JSON (e.g. '["hello", 3]'), got '${text}': ${(error as Error).message}`,
      'submit',
    );
  }
  return Array.isArray(value) ? value : [value];
}

/** The abstract base Process itself has no run() on its prototype, so a re-export of it never qualifies. */
function asProcessExport(name: string, value: unknown): ProcessExport | undefined {
  if (
    typeof value === 'function' &&
    typeof value.prototype === 'object' &&
    value.prototype !== null &&
    isProcess(value.prototype)
  ) {
    return { exportName: name, kind: 'class', ctor: value as AnyClass };
  }
  if (isProcess(value)) return { exportName: name, kind: 'instance', instance: value };
  return undefined;
}

function checkRegistered(found: ProcessExport, file: string): ProcessExport {
  const ctor = found.kind === 'class' ? found.ctor : (found.instance.constructor as AnyClass);
  if (!registeredClassOf(ctor)) {
    throw new UserModuleError(
      `${ctor.name} in ${file} extends Process but is not registered: add registerProcess(${ctor.name}, { module: import.meta.url }) after the class`,
      file,
    );
  }
  return found;
}

/** `export default MyProcess` plus `export class MyProcess` is one candidate, not two. */
function dedupe(candidates: ProcessExport[]): ProcessExport[] {
  const seen = new Map<unknown, ProcessExport>();
  for (const found of candidates) {
    const key = found.kind === 'class' ? found.ctor : found.instance;
    const previous = seen.get(key);
    if (!previous || found.exportName === 'default') seen.set(key, found);
  }
  return [...seen.values()];
}

function listNames(names: string[]): string {
  return names.length ? names.join(', ') : '(nothing)';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return `a function (${value.name || 'anonymous'})`;
  if (typeof value === 'object')
    return `an object (${Object.getPrototypeOf(value)?.constructor?.name ?? 'no prototype'})`;
  return `a ${typeof value}`;
}
