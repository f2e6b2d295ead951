// Where a worker thread's script is: the compiled .js beside the module that starts it, also
// when that module runs from its TypeScript source (vitest), which a worker cannot load.
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** `script` (e.g. './evaluation-thread.js') next to `moduleUrl` (its import.meta.url) in dist/. */
export function workerScript(moduleUrl: string, script: string): URL {
  const here = fileURLToPath(moduleUrl);
  if (here.endsWith('.js')) return new URL(script, moduleUrl);
  let root = dirname(here);
  while (!existsSync(join(root, 'package.json'))) root = dirname(root);
  return pathToFileURL(join(root, 'dist', relative(root, dirname(here)), script));
}
