import { isHpcError } from '@hpc/core';
import {
  isProcess,
  Process,
  registerClass,
  registeredClassById,
  registeredClassIds,
  registeredClassOf,
  registerProcess,
  unregisterClass,
} from '@hpc/process';
import { describe, expect, it } from 'vitest';

describe('class registry', () => {
  it('registers under the class name by default, or an explicit id, with the module', () => {
    class Alpha {}
    registerClass(Alpha, { module: 'file:///a.js' });
    expect(registeredClassById('Alpha')).toMatchObject({ id: 'Alpha', ctor: Alpha, module: 'file:///a.js' });
    class Beta {}
    registerClass(Beta, { id: 'lab/beta@2' });
    expect(registeredClassOf(Beta)?.id).toBe('lab/beta@2');
    expect(registeredClassIds()).toEqual(expect.arrayContaining(['Alpha', 'lab/beta@2']));
  });

  it('is idempotent for the same class and lets a reloaded module replace its class', () => {
    class Gamma {}
    registerClass(Gamma, { id: 'gamma', module: 'file:///g.js' });
    registerClass(Gamma, { id: 'gamma', module: 'file:///g.js' });
    const Reloaded = class Gamma {};
    registerClass(Reloaded, { id: 'gamma', module: 'file:///g.js' });
    expect(registeredClassById('gamma')?.ctor).toBe(Reloaded);
  });

  it('refuses a second class under a taken id, naming both and the fix', () => {
    class Delta {}
    registerClass(Delta, { id: 'delta', module: 'file:///one.js' });
    const Other = class Delta {};
    let error: unknown;
    try {
      registerClass(Other, { module: 'file:///two.js', id: 'delta' });
    } catch (e) {
      error = e;
    }
    expect(isHpcError(error, 'ClassRegistrationError')).toBe(true);
    expect(String(error)).toMatch(/'delta' is already registered.*one\.js.*explicit id/);
  });

  it('refuses ids with spaces, quotes or newlines', () => {
    class Eps {}
    for (const id of ['', 'has space', 'quote"', 'new\nline', '1starts-with-digit']) {
      expect(() => registerClass(Eps, { id })).toThrow(/cannot register class under id/);
    }
  });

  it('registerProcess accepts only Process subclasses', () => {
    class NotAProcess {
      run() {}
    }
    expect(() => registerProcess(NotAProcess)).toThrow(/does not extend Process.*registerClass/);
    class Real extends Process {
      run() {
        return 1;
      }
    }
    registerProcess(Real, { id: 'real' });
    expect(isProcess(new Real())).toBe(true);
    expect(isProcess({ run() {} })).toBe(false);
    expect(unregisterClass('real')).toBe(true);
    expect(registeredClassById('real')).toBeUndefined();
  });

  it('shares one registry and one Process brand across copies of the package (global symbols)', () => {
    const registry = (globalThis as Record<symbol, { byId: Map<string, unknown> }>)[
      Symbol.for('@hpc/class-registry@1')
    ];
    expect(registry?.byId.has('Alpha')).toBe(true);
    const foreign = Object.create({ [Symbol.for('@hpc/process')]: true, run() {} });
    expect(isProcess(foreign)).toBe(true);
  });
});
