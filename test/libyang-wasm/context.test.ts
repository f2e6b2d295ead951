import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadLibyang, YangError, type Libyang, type YangContext } from 'libyang-wasm';

import { FIXTURES, IETF_MODULES } from './helpers.js';

describe('libyang-wasm context and modules', () => {
  let ly: Libyang;
  let ctx: YangContext;

  beforeAll(async () => {
    ly = await loadLibyang();
    ctx = ly.createContext({ searchDirs: [FIXTURES, IETF_MODULES] });
  });
  afterAll(() => ctx.destroy());

  it('loads the wasm module once and reports the libyang version', async () => {
    expect(await loadLibyang()).toBe(ly);
    expect(ly.version).toMatch(/^2\.1\.30 /);
    expect(ly.heapBytes()).toBeGreaterThanOrEqual(32 * 1024 * 1024);
    expect(ly.allocatedBytes()).toBeGreaterThan(0);
  });

  it('loads a module with its import, submodule and enabled features', () => {
    const info = ctx.loadModule('lwt-demo', null, ['tls']);
    expect(info).toEqual({
      name: 'lwt-demo',
      revision: '2026-01-02',
      namespace: 'urn:bmpd:test:lwt-demo',
      prefix: 'lwt',
      implemented: true,
      features: ['tls'],
      submodules: [{ name: 'lwt-demo-stats', revision: '2026-01-02' }],
    });
  });

  it('lists imported modules as not implemented', () => {
    const modules = ctx.modules();
    const types = modules.find((m) => m.name === 'lwt-types');
    expect(types).toMatchObject({ revision: '2026-01-01', implemented: false, prefix: 'lwtt' });
    expect(modules.find((m) => m.name === 'lwt-demo')?.implemented).toBe(true);
    // libyang's internal modules are part of every context
    expect(modules.map((m) => m.name)).toContain('ietf-yang-library');
  });

  it('throws YangError for a module that is not in the search directories', () => {
    let error: unknown;
    try {
      ctx.loadModule('no-such-module');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(YangError);
    const items = (error as YangError).items;
    expect(items.length).toBeGreaterThan(0);
    expect(items.some((i) => i.message.includes('no-such-module'))).toBe(true);
    expect(items.every((i) => i.level === 'error' || i.level === 'warning')).toBe(true);
  });

  it('rejects a syntactically broken module with the parser message', () => {
    expect(() => ctx.parseModule('module broken { namespace "urn:x"; prefix b; leaf x { type string; }')).toThrow(
      YangError,
    );
  });

  it('prints module text that parses again in a fresh context', () => {
    const text = ctx.moduleText('lwt-demo');
    expect(text).toMatch(/^module lwt-demo \{/);
    expect(text).toContain('include "lwt-demo-stats";');
    const fresh = ly.createContext({ searchDirs: [FIXTURES] });
    try {
      // The types module comes from the search dir, the submodule text from the first context.
      const info = fresh.parseModule(text, 'yang', ['*']);
      expect(info.name).toBe('lwt-demo');
      expect(info.features).toEqual(['tls']);
      expect(fresh.moduleText('lwt-demo')).toBe(text);
    } finally {
      fresh.destroy();
    }
  });

  it('prints submodules, YIN and the tree format', () => {
    expect(ctx.moduleText('lwt-demo-stats')).toMatch(/^submodule lwt-demo-stats \{[\s\S]*belongs-to lwt-demo/);
    expect(ctx.moduleText('lwt-types', '2026-01-01', 'yin')).toContain(
      '<module name="lwt-types"',
    );
    const tree = ctx.moduleTree('lwt-demo');
    expect(tree).toContain('module: lwt-demo');
    expect(tree).toContain('+--rw server* [id]');
    expect(() => ctx.moduleText('lwt-demo', '1999-01-01')).toThrow(/no module lwt-demo@1999-01-01/);
  });

  it('parses a YIN module and an in-memory YANG module', () => {
    const yin = ctx.moduleText('lwt-types', null, 'yin');
    const fresh = ly.createContext();
    try {
      expect(fresh.parseModule(yin, 'yin').name).toBe('lwt-types');
      const info = fresh.parseModule(
        'module mem { yang-version 1.1; namespace "urn:mem"; prefix m; feature f; leaf x { if-feature f; type string; } }',
      );
      expect(info).toMatchObject({ name: 'mem', revision: null, namespace: 'urn:mem', features: [] });
    } finally {
      fresh.destroy();
    }
  });

  it('refuses a search directory that does not exist', () => {
    expect(() => ly.createContext({ searchDirs: [`${FIXTURES}/missing`] })).toThrow(/does not exist/);
  });

  it('makes a destroyed context unusable', () => {
    const fresh = ly.createContext();
    fresh.destroy();
    fresh.destroy();
    expect(() => fresh.modules()).toThrow(/destroyed/);
  });
});
