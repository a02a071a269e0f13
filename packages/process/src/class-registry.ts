import { HpcError, InvalidOptionError } from '@hpc/core';

/**
 * Classes that may be revived from files, under explicit stable ids. The registry is one per
 * process (held on globalThis under a registered symbol) so that the user's copy of @hpc/process
 * and the node-runner's bundled copy share it.
 */
// biome-ignore lint/suspicious/noExplicitAny: a registry holds constructors of any shape.
export type AnyClass = abstract new (...args: any[]) => object;

export interface RegisterOptions {
  /** Stable id written into files. Defaults to the class's name; give one when names may clash. */
  id?: string;
  /** The module that defines (and registers) the class: pass `import.meta.url`. Lets drivers import it on the node. */
  module?: string;
}

export interface RegisteredClass {
  readonly id: string;
  readonly ctor: AnyClass;
  readonly module: string | undefined;
}

interface Registry {
  byId: Map<string, RegisteredClass>;
  byCtor: WeakMap<AnyClass, RegisteredClass>;
}

const REGISTRY_KEY = Symbol.for('@hpc/class-registry@1');
const ID_PATTERN = /^[A-Za-z_$][\w$.:/@+-]{0,199}$/;

function registry(): Registry {
  const holder = globalThis as { [REGISTRY_KEY]?: Registry };
  holder[REGISTRY_KEY] ??= { byId: new Map(), byCtor: new WeakMap() };
  return holder[REGISTRY_KEY];
}

export class ClassRegistrationError extends HpcError {
  readonly _tag = 'ClassRegistrationError';
  constructor(
    message: string,
    readonly classId: string,
  ) {
    super(message);
  }
}

/** Registers a class so files may hold its instances. Idempotent for the same class. */
export function registerClass<C extends AnyClass>(ctor: C, options: RegisterOptions = {}): C {
  if (typeof ctor !== 'function' || typeof ctor.prototype !== 'object') {
    throw new InvalidOptionError({
      option: 'registerClass(ctor)',
      value: ctor,
      allowed: 'a class (a constructor function)',
      remedy: 'pass the class itself, e.g. registerClass(MyProcess), not an instance or its name',
    });
  }
  const id = options.id ?? ctor.name;
  if (!ID_PATTERN.test(id)) {
    throw new ClassRegistrationError(
      `cannot register class under id ${JSON.stringify(id)}: ids are 1-200 characters of letters, digits and _$.:/@+- (pass { id: 'my-lab/MyProcess' })`,
      id,
    );
  }
  const { byId, byCtor } = registry();
  const existing = byId.get(id);
  if (existing && existing.ctor !== ctor && !isReloadOfSameModule(existing, options.module)) {
    throw new ClassRegistrationError(
      `class id '${id}' is already registered by another class${existing.module ? ` (from ${existing.module})` : ''}; give one of them an explicit id: registerProcess(${ctor.name}, { id: '...' })`,
      id,
    );
  }
  const previous = byCtor.get(ctor);
  if (previous && previous.id !== id) byId.delete(previous.id);
  const entry: RegisteredClass = { id, ctor, module: options.module ?? existing?.module };
  byId.set(id, entry);
  byCtor.set(ctor, entry);
  return ctor;
}

/** A module evaluated again (test runners, hot reload) re-registers its class: the new one wins. */
function isReloadOfSameModule(existing: RegisteredClass, module: string | undefined): boolean {
  return module !== undefined && existing.module === module;
}

export function registeredClassOf(ctor: AnyClass): RegisteredClass | undefined {
  return registry().byCtor.get(ctor);
}

export function registeredClassById(id: string): RegisteredClass | undefined {
  return registry().byId.get(id);
}

export function registeredClassIds(): string[] {
  return [...registry().byId.keys()].sort();
}

/** Forgets one class (tests, plugins being unloaded). */
export function unregisterClass(id: string): boolean {
  const { byId, byCtor } = registry();
  const entry = byId.get(id);
  if (!entry) return false;
  byId.delete(id);
  byCtor.delete(entry.ctor);
  return true;
}

declare module '@hpc/core' {
  /** This file's error tags, for `isHpcError(error, tag)` (checked at compile time). */
  interface HpcErrorTags {
    ClassRegistrationError: ClassRegistrationError;
  }
}
