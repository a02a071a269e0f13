import { describe, expect, it } from 'vitest';
import { importsOf, sourceFiles, targetPackage, workspacePackages } from './workspace.ts';

/**
 * The target graph (docs: the README's dependency rule, issue 11):
 * core ← process ← serializer ← container ← runner ← local-driver, slurm-driver ← apps (cli, node-runner).
 * A package may use only packages on a lower layer; apps may use any package, never another app.
 */
const LAYERS: Record<string, number> = {
  '@hpc/core': 0,
  '@hpc/process': 1,
  '@hpc/serializer': 2,
  '@hpc/container': 3,
  '@hpc/runner': 4,
  '@hpc/local-driver': 5,
  '@hpc/slurm-driver': 5,
  '@hpc/cli': 6,
  '@hpc/node-runner': 6,
};

interface Edge {
  from: string;
  to: string;
  /** 'package.json' or the source file that imports it. */
  where: string;
}

function edges(): Edge[] {
  const packages = workspacePackages();
  const found: Edge[] = [];
  for (const pkg of packages) {
    for (const to of pkg.declared) found.push({ from: pkg.name, to, where: `${pkg.dir}/package.json` });
    for (const file of sourceFiles(pkg.dir)) {
      for (const specifier of importsOf(file)) {
        const to = targetPackage(file, specifier, packages);
        if (to && to !== pkg.name) found.push({ from: pkg.name, to, where: file });
      }
    }
  }
  return found;
}

const all = edges();
const key = (e: Edge) => `${e.from} -> ${e.to}`;
const live = all;

describe('dependency direction', () => {
  it('knows every workspace package and app', () => {
    const unknown = workspacePackages()
      .map((p) => p.name)
      .filter((name) => !(name in LAYERS));
    expect(unknown, 'add new packages to LAYERS (and the README graph)').toEqual([]);
  });

  it('no package imports an app', () => {
    const apps = new Set(
      workspacePackages()
        .filter((p) => p.kind === 'app')
        .map((p) => p.name),
    );
    const packages = new Set(
      workspacePackages()
        .filter((p) => p.kind === 'package')
        .map((p) => p.name),
    );
    const bad = live
      .filter((e) => packages.has(e.from) && apps.has(e.to))
      .map((e) => `${key(e)} (${e.where})`);
    expect(bad).toEqual([]);
  });

  it('every edge points down the layers (no upward or sideways edge)', () => {
    const bad = live
      .filter((e) => (LAYERS[e.to] ?? Number.POSITIVE_INFINITY) >= (LAYERS[e.from] ?? -1))
      .map((e) => `${key(e)} (${e.where})`);
    expect([...new Set(bad)]).toEqual([]);
  });

  it('the package graph has no cycle', () => {
    const next = new Map<string, Set<string>>();
    for (const e of all) next.set(e.from, (next.get(e.from) ?? new Set()).add(e.to));
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (node: string, path: string[]) => {
      if (state.get(node) === 'done') return;
      if (state.get(node) === 'open') {
        cycles.push([...path.slice(path.indexOf(node)), node].join(' -> '));
        return;
      }
      state.set(node, 'open');
      for (const to of next.get(node) ?? []) visit(to, [...path, node]);
      state.set(node, 'done');
    };
    for (const node of next.keys()) visit(node, []);
    expect(cycles).toEqual([]);
  });

  it('sees the imports (the scan is not empty)', () => {
    expect(all.some((e) => e.from === '@hpc/slurm-driver' && e.to === '@hpc/core')).toBe(true);
  });
});
