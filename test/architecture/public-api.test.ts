import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT, workspacePackages } from './workspace.ts';

/**
 * Each package's public API, pinned: the names its entry point exports and their kinds. A change
 * here is a change users see: update the snapshot (vitest -u) on purpose, and the package README.
 */
type Kind = 'class' | 'function' | 'const' | 'type' | 'enum' | 'namespace';

const entries = workspacePackages()
  .map((p) => ({ name: p.name, entry: join(ROOT, p.dir, 'src', 'index.ts') }))
  .filter(({ entry }) => ts.sys.fileExists(entry));

const program = ts.createProgram(
  entries.map((e) => e.entry),
  {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2023,
    customConditions: ['@hpc/source'],
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  },
);
const checker = program.getTypeChecker();

function kindOf(symbol: ts.Symbol): Kind {
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  const f = target.flags;
  if (f & ts.SymbolFlags.Class) return 'class';
  if (f & ts.SymbolFlags.Function) return 'function';
  if (f & ts.SymbolFlags.Enum) return 'enum';
  if (f & ts.SymbolFlags.Variable) return 'const';
  if (f & ts.SymbolFlags.Module) return 'namespace';
  return 'type';
}

function publicApi(entry: string): Record<string, Kind> {
  const source = program.getSourceFile(entry);
  const module = source && checker.getSymbolAtLocation(source);
  if (!module) throw new Error(`cannot read the exports of ${entry}`);
  const api: Record<string, Kind> = {};
  for (const symbol of checker.getExportsOfModule(module).sort((a, b) => a.name.localeCompare(b.name)))
    api[symbol.name] = kindOf(symbol);
  return api;
}

describe('public API', () => {
  it('reads every package entry point', () => {
    expect(entries.map((e) => e.name)).toContain('@hpc/core');
  });

  it.each(entries)('$name', ({ entry }) => {
    expect(publicApi(entry)).toMatchSnapshot();
  });
});
