import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is test/architecture/workspace.ts). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface WorkspacePackage {
  name: string;
  /** 'packages/core', 'apps/cli'. */
  dir: string;
  kind: 'package' | 'app';
  /** Workspace packages named in dependencies, peerDependencies or devDependencies. */
  declared: string[];
}

/** Every workspace package and app, from its package.json. */
export function workspacePackages(): WorkspacePackage[] {
  const found: WorkspacePackage[] = [];
  for (const group of ['packages', 'apps'] as const) {
    for (const entry of readdirSync(join(ROOT, group)).sort()) {
      const dir = `${group}/${entry}`;
      let manifest: Record<string, Record<string, string> | string | undefined>;
      try {
        manifest = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8'));
      } catch {
        continue;
      }
      const deps = ['dependencies', 'peerDependencies', 'devDependencies'].flatMap((key) =>
        Object.keys((manifest[key] as Record<string, string> | undefined) ?? {}),
      );
      found.push({
        name: manifest.name as string,
        dir,
        kind: group === 'packages' ? 'package' : 'app',
        declared: [...new Set(deps.filter((d) => d.startsWith('@hpc/') && d !== manifest.name))].sort(),
      });
    }
  }
  return found;
}

/** Every TypeScript source file under `<dir>/src` (no .d.ts), as paths relative to the root. */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (folder: string) => {
    let entries: string[];
    try {
      entries = readdirSync(folder);
    } catch {
      return;
    }
    for (const entry of entries.sort()) {
      const path = join(folder, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|mts|tsx)$/.test(entry) && !entry.endsWith('.d.ts')) out.push(relative(ROOT, path));
    }
  };
  walk(join(ROOT, dir, 'src'));
  return out.map((p) => p.split(sep).join('/'));
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;

/** The module specifiers a source file imports (static, dynamic, side-effect and re-exports). */
export function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8').replace(/^\s*(\/\/.*|\*.*|\/\*.*)$/gm, '');
  return [...text.matchAll(IMPORT)].map((m) => m[1] as string);
}

/** The workspace package a specifier in `file` reaches, or undefined for node: and npm modules. */
export function targetPackage(
  file: string,
  specifier: string,
  packages: WorkspacePackage[],
): string | undefined {
  if (specifier.startsWith('@hpc/')) {
    const [scope, name] = specifier.split('/');
    return `${scope}/${name}`;
  }
  if (!specifier.startsWith('.')) return undefined;
  const target = relative(ROOT, resolve(ROOT, file, '..', specifier))
    .split(sep)
    .join('/');
  return packages.find((p) => target === p.dir || target.startsWith(`${p.dir}/`))?.name;
}
