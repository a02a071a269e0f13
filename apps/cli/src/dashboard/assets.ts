import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The page's script and stylesheet: files of this package (src/dashboard/assets, copied to
 * dist/dashboard-assets by the build), read once. Nothing is fetched from the network.
 */
export const ASSET_TYPES: Readonly<Record<string, string>> = {
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

function assetDir(): string {
  for (const relative of ['./dashboard-assets/', './assets/']) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  throw new Error('the dashboard assets are missing next to the hpc program (reinstall @hpc/cli)');
}

const cache = new Map<string, string>();

export function readAsset(name: string): string | undefined {
  if (!(name in ASSET_TYPES)) return undefined;
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(`${assetDir()}${name}`, 'utf8');
    cache.set(name, text);
  }
  return text;
}
