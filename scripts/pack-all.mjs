#!/usr/bin/env node
/**
 * `pnpm pack:all [--out <dir>] [--no-build]`: packs every publishable workspace package (each one
 * not marked private) into one folder, `tarballs/` by default, and checks each tarball with
 * `tar tzf`: it ships LICENSE and README.md, and every file its `exports` and `bin` name.
 *
 * Builds once first (`turbo run build`, cached), then packs with lifecycle scripts off so `prepack`
 * (a rebuild, kept for a plain `pnpm pack` in one package) does not run again. pnpm writes
 * `publishConfig.exports` over `exports` (so the `@hpc/source` condition, which points at src/,
 * stays in the workspace) and real versions over `workspace:*`. Each package folder holds its own
 * copy of the root LICENSE (pnpm adds the root's only to some packages).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const out = resolve(outIndex >= 0 ? args[outIndex + 1] : join(REPO, 'tarballs'));

const run = (command, commandArgs) =>
  execFileSync(command, commandArgs, { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

if (!args.includes('--no-build')) {
  execFileSync('pnpm', ['exec', 'turbo', 'run', 'build'], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
run('pnpm', [
  '-r',
  '--workspace-concurrency=1',
  '--config.ignore-scripts=true',
  'pack',
  '--pack-destination',
  out,
]);

/** Every file a packed package.json points at, from `exports` (all conditions) and `bin`. */
function namedFiles(manifest) {
  const files = new Set();
  const walk = (value) => {
    if (typeof value === 'string') files.add(value.replace(/^\.\//, ''));
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(manifest.exports);
  walk(manifest.bin);
  return [...files];
}

const problems = [];
const tarballs = readdirSync(out)
  .filter((file) => file.endsWith('.tgz'))
  .sort();
for (const tarball of tarballs) {
  const file = join(out, tarball);
  const listed = new Set(
    run('tar', ['tzf', file])
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, '')),
  );
  const manifest = JSON.parse(run('tar', ['xzOf', file, 'package/package.json']));
  for (const needed of ['LICENSE', 'README.md', ...namedFiles(manifest)]) {
    if (!listed.has(needed)) problems.push(`${tarball}: does not ship ${needed}`);
  }
  const deps = JSON.stringify(manifest.dependencies ?? {});
  if (deps.includes('workspace:')) problems.push(`${tarball}: a workspace: dependency is left (${deps})`);
}
for (const problem of problems) console.error(`pack:all: ${problem}`);
if (problems.length) process.exit(1);
console.log(`${tarballs.length} tarballs in ${out}:\n${tarballs.map((t) => `  ${t}`).join('\n')}`);
