// startAgent runs dist/: it must refuse a dist/ that is not built from the current sources.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { staleDistFile } from './agent.js';

let root = '';

/**
 * A project whose sources were edited at `editedAt` (seconds) and compiled at `builtAt` (null: no
 * output), its last `tsc -b` at `lastBuild`.
 */
function project(files: Record<string, { editedAt: number; builtAt: number | null }>, lastBuild = 2000): string {
  root = mkdtempSync(join(tmpdir(), 'bmpd-stale-dist-'));
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeFileSync(join(root, 'dist', 'tsconfig.tsbuildinfo'), '{}');
  utimesSync(join(root, 'dist', 'tsconfig.tsbuildinfo'), lastBuild, lastBuild);
  for (const [name, { editedAt, builtAt }] of Object.entries(files)) {
    const source = join(root, 'src', name);
    mkdirSync(join(source, '..'), { recursive: true });
    writeFileSync(source, 'export {};\n');
    utimesSync(source, editedAt, editedAt);
    if (builtAt === null) continue;
    const output = join(root, 'dist', 'src', name.replace(/\.ts$/, '.js'));
    mkdirSync(join(output, '..'), { recursive: true });
    writeFileSync(output, 'export {};\n');
    utimesSync(output, builtAt, builtAt);
  }
  return root;
}

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('staleDistFile', () => {
  it('accepts a dist/ built after every source', () => {
    expect(staleDistFile(project({ 'a.ts': { editedAt: 1000, builtAt: 2000 }, 'sub/b.ts': { editedAt: 1500, builtAt: 2000 } }))).toBeNull();
  });

  it('names a source edited after its build', () => {
    expect(staleDistFile(project({ 'a.ts': { editedAt: 1000, builtAt: 2000 }, 'sub/b.ts': { editedAt: 3000, builtAt: 2000 } }))).toBe(join('src', 'sub', 'b.ts'));
  });

  it('accepts a source touched but unchanged: tsc -b left its output and rewrote its build info', () => {
    expect(staleDistFile(project({ 'a.ts': { editedAt: 2500, builtAt: 1000 } }, 3000))).toBeNull();
  });

  it('names a source that was never built', () => {
    expect(staleDistFile(project({ 'a.ts': { editedAt: 1000, builtAt: 2000 }, 'sub/b.ts': { editedAt: 1000, builtAt: null } }))).toBe(join('src', 'sub', 'b.ts'));
  });
});
