import { existsSync, readFileSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Makes user modules load on a compute node exactly as written:
 * - `import { Process } from '@hpc/process'` resolves to the runner's own bundled copy when the
 *   user's project has no node_modules copy (a node with only Node and this file);
 * - `.ts` modules get full TypeScript transforms (constructor parameter properties, enums), which
 *   Node's built-in type stripping refuses.
 */
const RUNTIME = Symbol.for('@hpc/runtime');
const BUNDLED_SCHEME = 'hpc-bundled:';
const TYPESCRIPT_FILE = /\.(ts|mts)$/;

export type BundledModules = Record<string, Record<string, unknown>>;

/**
 * @param bundled  modules this program carries, by specifier, used when the user's project has none
 * @param besideFiles  specifiers resolved to files shipped beside the bundle when not installed
 *                     (e.g. 'h5wasm/node' → <dist>/h5wasm/hdf5_hl.js)
 */
export function installModuleHooks(bundled: BundledModules, besideFiles: Record<string, string> = {}): void {
  silenceTransformWarning();
  (globalThis as { [RUNTIME]?: BundledModules })[RUNTIME] = bundled;
  const transformTypes = process.features.typescript !== 'transform';
  module.registerHooks({
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
        if (Object.hasOwn(bundled, specifier))
          return { url: `${BUNDLED_SCHEME}${specifier}`, shortCircuit: true };
        const beside = besideFiles[specifier];
        if (beside && existsSync(fileURLToPath(beside))) return { url: beside, shortCircuit: true };
        throw error;
      }
    },
    load(url, context, nextLoad) {
      if (url.startsWith(BUNDLED_SCHEME)) {
        return {
          format: 'module',
          shortCircuit: true,
          source: reexportSource(url.slice(BUNDLED_SCHEME.length), bundled),
        };
      }
      if (transformTypes && url.startsWith('file:') && TYPESCRIPT_FILE.test(url)) {
        const source = readFileSync(fileURLToPath(url), 'utf8');
        enableSourceMaps();
        return {
          format: 'module',
          shortCircuit: true,
          // The transform moves lines (enums, parameter properties): its source map puts the
          // user's own line numbers back into remote stacks.
          source: module.stripTypeScriptTypes(source, { mode: 'transform', sourceUrl: url, sourceMap: true }),
        };
      }
      return nextLoad(url, context);
    },
  });
}

/** Stack traces use source maps from the first TypeScript module on (cost: only when a stack is read). */
function enableSourceMaps(): void {
  const withSupport = module as { setSourceMapsSupport?: (enabled: boolean) => void };
  if (withSupport.setSourceMapsSupport) withSupport.setSourceMapsSupport(true);
  else process.setSourceMapsEnabled(true);
}

function reexportSource(name: string, bundled: BundledModules): string {
  const names = Object.keys(bundled[name] ?? {}).filter((key) => /^[A-Za-z_$][\w$]*$/.test(key));
  const lines = [`const m = globalThis[Symbol.for('@hpc/runtime')][${JSON.stringify(name)}];`];
  for (const key of names) lines.push(`export const ${key} = m.${key};`);
  return lines.join('\n');
}

/** Node warns on every use of the (stable in practice) transform; keep job logs free of it. */
function silenceTransformWarning(): void {
  const listeners = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'ExperimentalWarning' && warning.message.includes('stripTypeScriptTypes')) return;
    for (const listener of listeners) listener(warning);
  });
}
