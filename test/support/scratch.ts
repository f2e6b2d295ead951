// Temporary directories of one test file, removed after its last test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * Call at the top of a test file, before its own afterAll: the returned function makes
 * bmpd-NAME-XXXXXX directories, and an afterAll removes them all once the file's other afterAll
 * hooks (vitest runs them last-registered first) have stopped whatever wrote into them.
 */
export function scratchDirs(): (name: string) => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return (name) => {
    const d = mkdtempSync(join(tmpdir(), `bmpd-${name}-`));
    dirs.push(d);
    return d;
  };
}
