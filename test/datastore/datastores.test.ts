import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Datastores, type RunningChange } from '../../src/datastore/datastores.js';
import { DatastoreError } from '../../src/datastore/errors.js';
import { CorruptStartupError } from '../../src/datastore/startup-file.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';

const NS = 'urn:bmpd:yang:bmpd';
const NC = 'urn:ietf:params:xml:ns:netconf:base:1.0';

function bgp(inner: string, attrs = ''): string {
  return `<bgp xmlns="${NS}" xmlns:nc="${NC}"${attrs}>${inner}</bgp>`;
}

function server(id: number, inner = '', attrs = ''): string {
  return `<server${attrs}><id>${id}</id>${inner}</server>`;
}

const BASE = bgp(`<as-number>65000</as-number><bmp>${server(1, '<address>127.0.1.1</address><port-number>8000</port-number><description>SERVER1</description>')}</bmp>`);

let model: YangModel;
const dirs: string[] = [];
const open: Datastores[] = [];

beforeAll(async () => { model = await loadYangModel(); });
afterEach(() => { while (open.length) open.pop()!.close(); });
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); model.context.destroy(); });

function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'bmpd-ds-'));
  dirs.push(d);
  return d;
}

async function datastores(opts: { stateDir?: string | null; apply?: (c: RunningChange) => Promise<void> } = {}): Promise<Datastores> {
  const ds = await Datastores.open({ context: model.context, stateDir: opts.stateDir ?? null, apply: opts.apply });
  open.push(ds);
  return ds;
}

function xml(ds: Datastores, name: 'running' | 'candidate' | 'startup'): string {
  return ds.tree(name).print({ format: 'xml', shrink: true });
}

async function rejected(p: Promise<unknown> | (() => unknown)): Promise<DatastoreError> {
  try {
    if (typeof p === 'function') p(); else await p;
  } catch (err) {
    expect(err).toBeInstanceOf(DatastoreError);
    return err as DatastoreError;
  }
  throw new Error('expected a DatastoreError, the operation succeeded');
}

describe('edit-config operations (RFC 6241 §7.2)', () => {
  it('merge creates the configuration and reads back through running', async () => {
    const ds = await datastores();
    await ds.editConfig('running', BASE, {}, 1);
    expect(xml(ds, 'running')).toContain('<address>127.0.1.1</address>');
    expect(xml(ds, 'running')).toContain('<as-number>65000</as-number>');
  });

  it('merge changes one leaf and keeps its siblings', async () => {
    const ds = await datastores();
    await ds.editConfig('running', BASE, {}, 1);
    await ds.editConfig('running', bgp(`<bmp>${server(1, '<port-number>9000</port-number>')}</bmp>`), {}, 1);
    const out = xml(ds, 'running');
    expect(out).toContain('<port-number>9000</port-number>');
    expect(out).toContain('<description>SERVER1</description>');
  });

  it('create of an existing entry fails with data-exists and the entry path', async () => {
    const ds = await datastores();
    await ds.editConfig('running', BASE, {}, 1);
    const err = await rejected(ds.editConfig('running', bgp(`<bmp>${server(1, '', ' nc:operation="create"')}</bmp>`), {}, 1));
    expect(err.errors[0]!.tag).toBe('data-exists');
    expect(err.errors[0]!.path).toBe("/bmpd:bgp/bmp/server[id='1']");
  });

  it('delete of a missing entry fails with data-missing; remove of it succeeds', async () => {
    const ds = await datastores();
    await ds.editConfig('running', BASE, {}, 1);
    const err = await rejected(ds.editConfig('running', bgp(`<bmp>${server(2, '', ' nc:operation="delete"')}</bmp>`), {}, 1));
    expect(err.errors[0]!.tag).toBe('data-missing');
    expect(err.errors[0]!.path).toBe("/bmpd:bgp/bmp/server[id='2']");
    await ds.editConfig('running', bgp(`<bmp>${server(2, '', ' nc:operation="remove"')}</bmp>`), {}, 1);
    expect(xml(ds, 'running')).toContain('<id>1</id>');
  });

  it('delete removes the entry', async () => {
    const ds = await datastores();
    await ds.editConfig('running', BASE, {}, 1);
    await ds.editConfig('running', bgp(`<bmp>${server(1, '', ' nc:operation="delete"')}</bmp>`), {}, 1);
    expect(xml(ds, 'running')).not.toContain('<server>');
  });

  it('replace of a list entry drops the leaves the new content does not name', async () => {
    const ds = await datastores();
    await ds.editConfig('running', BASE, {}, 1);
    await ds.editConfig('running', bgp(`<bmp>${server(1, '<address>127.0.1.1</address><port-number>8001</port-number>', ' nc:operation="replace"')}</bmp>`), {}, 1);
    const out = xml(ds, 'running');
    expect(out).toContain('<port-number>8001</port-number>');
    expect(out).not.toContain('SERVER1');
  });

  it('default-operation replace makes the edit the whole configuration', async () => {
    const ds = await datastores();
    await ds.editConfig('running', BASE, {}, 1);
    await ds.editConfig('running', bgp('<as-number>65001</as-number>'), { defaultOperation: 'replace' }, 1);
    const out = xml(ds, 'running');
    expect(out).toContain('<as-number>65001</as-number>');
    expect(out).not.toContain('<server>');
  });

  it('default-operation none only applies the operations the edit names', async () => {
    const ds = await datastores();
    await ds.editConfig('running', BASE, {}, 1);
    await ds.editConfig('running',
      bgp(`<as-number>1</as-number><bmp>${server(1, '<description nc:operation="delete">SERVER1</description>')}</bmp>`), { defaultOperation: 'none' }, 1);
    const out = xml(ds, 'running');
    expect(out).toContain('<as-number>65000</as-number>');
    expect(out).not.toContain('<description>');
  });

  it('continue-on-error applies the good parts and reports the bad ones', async () => {
    const ds = await datastores();
    await ds.editConfig('running', BASE, {}, 1);
    const res = await ds.editConfig('running', bgp(`<bmp>${server(1, '', ' nc:operation="create"')}${server(3, '<description>S3</description>')}</bmp>`),
      { errorOption: 'continue-on-error' }, 1);
    expect(res.errors.map((e) => e.tag)).toEqual(['data-exists']);
    expect(xml(ds, 'running')).toContain('<description>S3</description>');
  });

  it('rollback-on-error leaves the datastore as it was', async () => {
    const ds = await datastores();
    await ds.editConfig('running', BASE, {}, 1);
    const before = xml(ds, 'running');
    await rejected(ds.editConfig('running', bgp(`<bmp>${server(3, '<description>S3</description>')}${server(1, '', ' nc:operation="create"')}</bmp>`),
      { errorOption: 'rollback-on-error' }, 1));
    expect(xml(ds, 'running')).toBe(before);
  });

  it('test-only validates without applying; test-then-set refuses an invalid result', async () => {
    const ds = await datastores();
    await ds.editConfig('running', BASE, {}, 1);
    const before = xml(ds, 'running');
    await ds.editConfig('running', bgp(`<bmp>${server(2, '<description>S2</description>')}</bmp>`), { testOption: 'test-only' }, 1);
    expect(xml(ds, 'running')).toBe(before);
    // An activated server needs address and port-number (a must in the model).
    const err = await rejected(ds.editConfig('running', bgp(`<bmp>${server(2, '<activate/>')}</bmp>`), {}, 1));
    expect(err.errors[0]!.tag).toBe('operation-failed');
    expect(err.errors[0]!.appTag).toBe('must-violation');
    expect(xml(ds, 'running')).toBe(before);
  });

  it('test-option set on candidate skips validation until commit', async () => {
    const ds = await datastores();
    await ds.editConfig('candidate', BASE, {}, 1);
    await ds.editConfig('candidate', bgp(`<bmp>${server(2, '<activate/>')}</bmp>`), { testOption: 'set' }, 1);
    const err = await rejected(ds.commit(1));
    expect(err.errors[0]!.appTag).toBe('must-violation');
  });
});

describe('edit-config errors for bad content', () => {
  it('an unknown element is unknown-element', async () => {
    const ds = await datastores();
    const err = await rejected(ds.editConfig('running', bgp('<as-number>65000</as-number><no-such-leaf>1</no-such-leaf>'), {}, 1));
    expect(err.errors[0]!.tag).toBe('unknown-element');
    expect(err.errors[0]!.info.badElement).toBe('no-such-leaf');
  });

  it('an out-of-range value is invalid-value with the leaf path', async () => {
    const ds = await datastores();
    const err = await rejected(ds.editConfig('running', bgp(`<as-number>65000</as-number><bmp>${server(1, '<port-number>70000</port-number>')}</bmp>`), {}, 1));
    expect(err.errors[0]!.tag).toBe('invalid-value');
    expect(err.errors[0]!.path).toContain('port-number');
  });

  it('a list entry without its key is missing-element', async () => {
    const ds = await datastores();
    const err = await rejected(ds.editConfig('running', bgp('<as-number>65000</as-number><bmp><server><address>127.0.1.1</address></server></bmp>'), {}, 1));
    expect(err.errors[0]!.tag).toBe('missing-element');
  });

  it('a missing mandatory leaf is reported on validation', async () => {
    const ds = await datastores();
    const err = await rejected(ds.editConfig('running', bgp('<router-id>192.0.2.1</router-id>'), {}, 1));
    expect(err.errors[0]!.tag).toBe('missing-element');
    expect(err.errors[0]!.path).toContain('as-number');
  });

  it('an element of an unknown namespace is unknown-namespace', async () => {
    const ds = await datastores();
    const err = await rejected(ds.editConfig('running', '<foo xmlns="urn:example:nothing"/>', {}, 1));
    expect(err.errors[0]!.tag).toBe('unknown-namespace');
  });

  it('edit-config on startup is refused', async () => {
    const ds = await datastores();
    const err = await rejected(ds.editConfig('startup', BASE, {}, 1));
    expect(err.errors[0]!.tag).toBe('operation-not-supported');
  });
});

// RFC 6241 §7.2 needs no value to delete or remove a leaf; ncclient, Ansible and
// netopeer2's examples send `<description nc:operation="delete"/>`, whose empty
// value libyang alone would reject for a `length "1..80"` string or a number.
describe('edit-config delete/remove of a leaf given without its value', () => {
  const SERVER1 = "/bmpd:bgp/bmp/server[id='1']";
  const serverEdit = (inner: string): string => bgp(`<bmp>${server(1, inner)}</bmp>`);

  it('delete of a length-restricted string leaf removes it and keeps its siblings', async () => {
    const ds = await datastores();
    await ds.editConfig('running', BASE, {}, 1);
    await ds.editConfig('running', serverEdit('<description nc:operation="delete"/>'), {}, 1);
    const out = xml(ds, 'running');
    expect(out).not.toContain('<description>');
    expect(out).toContain('<port-number>8000</port-number>');
    expect(out).toContain('<address>127.0.1.1</address>');
  });

  it('remove of an absent leaf without a value succeeds and changes nothing', async () => {
    let applied = 0;
    const ds = await datastores({ apply: async () => { applied++; } });
    await ds.editConfig('running', bgp(`<as-number>65000</as-number><bmp>${server(1, '<port-number>8000</port-number>')}</bmp>`), {}, 1);
    const before = xml(ds, 'running');
    const appliedBefore = applied;
    expect(await ds.editConfig('running', serverEdit('<description nc:operation="remove"/>'), {}, 1)).toEqual({ errors: [] });
    expect(xml(ds, 'running')).toBe(before);
    expect(applied).toBe(appliedBefore);
  });

  it('delete of an absent leaf without a value is data-missing with the leaf path', async () => {
    const ds = await datastores();
    await ds.editConfig('running', bgp(`<as-number>65000</as-number><bmp>${server(1, '<port-number>8000</port-number>')}</bmp>`), {}, 1);
    const before = xml(ds, 'running');
    const err = await rejected(ds.editConfig('running', serverEdit('<description nc:operation="delete"/>'), {}, 1));
    expect(err.errors).toHaveLength(1);
    expect(err.errors[0]!.tag).toBe('data-missing');
    expect(err.errors[0]!.path).toBe(`${SERVER1}/description`);
    expect(xml(ds, 'running')).toBe(before);
  });

  it('delete of a numeric leaf (dscp, inet:dscp) without a value removes the explicit value', async () => {
    const ds = await datastores();
    await ds.editConfig('running', BASE, {}, 1);
    await ds.editConfig('running', serverEdit('<dscp>5</dscp>'), {}, 1);
    expect(xml(ds, 'running')).toContain('<dscp>5</dscp>');
    await ds.editConfig('running', serverEdit('<dscp nc:operation="delete"/>'), {}, 1);
    expect(xml(ds, 'running')).not.toContain('<dscp>');
    expect(xml(ds, 'running')).toContain('<description>SERVER1</description>');
  });

  it('an empty value under merge is still invalid-value with the leaf path', async () => {
    const ds = await datastores();
    await ds.editConfig('running', BASE, {}, 1);
    const before = xml(ds, 'running');
    const err = await rejected(ds.editConfig('running', serverEdit('<port-number nc:operation="merge"></port-number>'), {}, 1));
    expect(err.errors).toHaveLength(1);
    expect(err.errors[0]!.tag).toBe('invalid-value');
    expect(err.errors[0]!.path).toBe(`${SERVER1}/port-number`);
    expect(xml(ds, 'running')).toBe(before);
  });

  it('an empty leaf-list entry cannot be deleted: its value is what identifies it', async () => {
    const ds = await datastores();
    await ds.editConfig('running', BASE, {}, 1);
    const edit = bgp('<neighbor><address>127.0.1.2</address><bmp-activate><server nc:operation="delete"/></bmp-activate></neighbor>');
    const err = await rejected(ds.editConfig('running', edit, {}, 1));
    expect(err.errors[0]!.tag).toBe('invalid-value');
    expect(err.errors[0]!.path).toBe("/bmpd:bgp/neighbor[address='127.0.1.2']/bmp-activate/server");
  });
});

describe('candidate, commit and discard-changes', () => {
  it('commit hands the diff to the apply hook and makes candidate running', async () => {
    const seen: RunningChange[] = [];
    const paths: string[][] = [];
    const ds = await datastores({ apply: async (c) => { seen.push(c); paths.push(c.changes.map((x) => `${x.operation} ${x.path}`)); } });
    await ds.editConfig('candidate', BASE, {}, 1);
    expect(xml(ds, 'running')).toBe('');
    expect(ds.candidateModified).toBe(true);
    await ds.commit(1);
    expect(xml(ds, 'running')).toContain('SERVER1');
    expect(ds.candidateModified).toBe(false);
    expect(seen.map((c) => c.cause)).toEqual(['commit']);
    expect(paths[0]).toContain("create /bmpd:bgp");
  });

  it('a rejected commit leaves running and the apply hook decides', async () => {
    const ds = await datastores({ apply: async (c) => { if (c.cause === 'commit') throw new Error('engine refused'); } });
    await ds.editConfig('candidate', BASE, {}, 1);
    const err = await rejected(ds.commit(1));
    expect(err.errors[0]!.tag).toBe('operation-failed');
    expect(err.errors[0]!.message).toContain('engine refused');
    expect(xml(ds, 'running')).toBe('');
    expect(xml(ds, 'candidate')).toContain('SERVER1');
  });

  it('discard-changes brings candidate back to running', async () => {
    const ds = await datastores();
    await ds.editConfig('running', BASE, {}, 1);
    await ds.editConfig('candidate', bgp(`<bmp>${server(2, '<description>S2</description>')}</bmp>`), {}, 1);
    await ds.discardChanges(1);
    expect(xml(ds, 'candidate')).toBe(xml(ds, 'running'));
  });

  it('an unmodified candidate follows changes made to running', async () => {
    const ds = await datastores();
    await ds.editConfig('running', BASE, {}, 1);
    expect(xml(ds, 'candidate')).toBe(xml(ds, 'running'));
  });

  it('a commit with nothing changed does not call the apply hook', async () => {
    let calls = 0;
    const ds = await datastores({ apply: async () => { calls++; } });
    await ds.commit(1);
    expect(calls).toBe(0);
  });
});

describe('locks (RFC 6241 §7.5)', () => {
  it('a second lock is denied with the holder in error-info', async () => {
    const ds = await datastores();
    ds.lock('running', 5);
    const err = await rejected(() => ds.lock('running', 6));
    expect(err.errors[0]!.tag).toBe('lock-denied');
    expect(err.errors[0]!.info.sessionId).toBe(5);
  });

  it('edits of a datastore locked by another session are in-use', async () => {
    const ds = await datastores();
    ds.lock('running', 5);
    const err = await rejected(ds.editConfig('running', BASE, {}, 6));
    expect(err.errors[0]!.tag).toBe('in-use');
    await ds.editConfig('running', BASE, {}, 5);
    expect(xml(ds, 'running')).toContain('SERVER1');
  });

  it('only the owner unlocks; the lock dies with its session', async () => {
    const ds = await datastores();
    ds.lock('candidate', 5);
    expect((await rejected(() => ds.unlock('candidate', 6))).errors[0]!.tag).toBe('operation-failed');
    expect(ds.releaseSession(5)).toEqual(['candidate']);
    expect(ds.lockOwner('candidate')).toBeNull();
    expect((await rejected(() => ds.unlock('candidate', 5))).errors[0]!.tag).toBe('operation-failed');
  });

  it('a modified candidate cannot be locked; its locking session ending discards it', async () => {
    const ds = await datastores();
    await ds.editConfig('candidate', BASE, {}, 1);
    expect((await rejected(() => ds.lock('candidate', 2))).errors[0]!.tag).toBe('lock-denied');
    await ds.discardChanges(1);
    ds.lock('candidate', 2);
    await ds.editConfig('candidate', BASE, {}, 2);
    ds.releaseSession(2);
    expect(ds.candidateModified).toBe(false);
    expect(xml(ds, 'candidate')).toBe('');
  });
});

describe('copy-config, delete-config, validate and startup persistence', () => {
  it('copy-config running to startup persists, and a new start loads it into running', async () => {
    const dir = stateDir();
    const ds = await datastores({ stateDir: dir });
    await ds.editConfig('running', BASE, {}, 1);
    await ds.copyConfig('startup', { datastore: 'running' }, 1);
    expect(readFileSync(join(dir, 'startup.xml'), 'utf8')).toContain('SERVER1');
    expect(readdirSync(dir)).toEqual(['startup.xml']);
    const causes: string[] = [];
    const again = await datastores({ stateDir: dir, apply: async (c) => { causes.push(c.cause); } });
    expect(xml(again, 'running')).toContain('SERVER1');
    expect(xml(again, 'startup')).toContain('SERVER1');
    expect(causes).toEqual(['startup']);
  });

  it('a corrupt startup file stops the start with a clear error and stays untouched', async () => {
    const dir = stateDir();
    const bad = bgp('<as-number>65000</as-number><bmp><server><id>1</id><port-number>99999</port-number></server></bmp>');
    writeFileSync(join(dir, 'startup.xml'), bad);
    await expect(Datastores.open({ context: model.context, stateDir: dir })).rejects.toBeInstanceOf(CorruptStartupError);
    await expect(Datastores.open({ context: model.context, stateDir: dir })).rejects.toThrow(/startup\.xml is not valid: .*port-number/);
    expect(readFileSync(join(dir, 'startup.xml'), 'utf8')).toBe(bad);
  });

  it('copy-config with inline config validates it', async () => {
    const ds = await datastores();
    await ds.copyConfig('candidate', { config: BASE }, 1);
    expect(xml(ds, 'candidate')).toContain('SERVER1');
    const err = await rejected(ds.copyConfig('running', { config: bgp(`<bmp>${server(1)}</bmp>`) }, 1));
    expect(err.errors[0]!.tag).toBe('missing-element');
  });

  it('copy-config onto itself is invalid-value', async () => {
    const ds = await datastores();
    expect((await rejected(ds.copyConfig('running', { datastore: 'running' }, 1))).errors[0]!.tag).toBe('invalid-value');
  });

  it('delete-config empties startup on disk and refuses running', async () => {
    const dir = stateDir();
    const ds = await datastores({ stateDir: dir });
    await ds.copyConfig('startup', { config: BASE }, 1);
    await ds.deleteConfig('startup', 1);
    expect(readFileSync(join(dir, 'startup.xml'), 'utf8')).toBe('');
    expect((await rejected(ds.deleteConfig('running', 1))).errors[0]!.tag).toBe('operation-not-supported');
    expect(existsSync(join(dir, 'startup.xml'))).toBe(true);
  });

  it('validate reports the first invalid leaf of inline config', async () => {
    const ds = await datastores();
    await expect(ds.validate({ config: BASE })).resolves.toBeUndefined();
    const err = await rejected(ds.validate({ config: bgp(`<as-number>65000</as-number><bmp>${server(1, '<activate/>')}</bmp>`) }));
    expect(err.errors[0]!.appTag).toBe('must-violation');
  });
});

describe('canonical order of ordered-by system lists, and duplicate entries in one edit', () => {
  const servers = (ids: readonly number[]) => ids.map((id) => server(id, `<address>127.0.1.${id}</address>`)).join('');
  const neighbor = (address: string, activate: readonly number[]) =>
    `<neighbor><address>${address}</address><remote-as>65001</remote-as><bmp-activate>${activate.map((s) => `<server>${s}</server>`).join('')}</bmp-activate></neighbor>`;
  const config = (ids: readonly number[], neighbors: readonly string[]) =>
    bgp(`<as-number>65000</as-number><bmp>${servers(ids)}</bmp>${neighbors.join('')}`);
  const FORWARD = config([1, 2, 3], [neighbor('127.0.1.9', [1, 3]), neighbor('127.0.1.10', [2]), neighbor('::1', [1])]);
  const BACKWARD = config([3, 2, 1], [neighbor('::1', [1]), neighbor('127.0.1.10', [2]), neighbor('127.0.1.9', [3, 1])]);
  const idsOf = (text: string) => [...text.matchAll(/<id>(\d+)<\/id>/g)].map((m) => Number(m[1]));
  const neighborsOf = (text: string) => [...text.matchAll(/<neighbor><address>([^<]+)<\/address>/g)].map((m) => m[1]);

  it('edit-config to running and to candidate (test-option set) hold canonical trees', async () => {
    const a = await datastores();
    const b = await datastores();
    await a.editConfig('running', FORWARD, {}, 1);
    await b.editConfig('running', BACKWARD, {}, 1);
    expect(idsOf(xml(b, 'running'))).toEqual([1, 2, 3]);
    // Addresses by value: 127.0.1.9 before 127.0.1.10 (not text order), IPv4 before IPv6.
    expect(neighborsOf(xml(b, 'running'))).toEqual(['127.0.1.9', '127.0.1.10', '::1']);
    expect(xml(b, 'running')).toContain('<bmp-activate><server>1</server><server>3</server></bmp-activate>');
    expect(xml(b, 'running')).toBe(xml(a, 'running'));
    expect(xml(b, 'candidate')).toBe(xml(a, 'running'));

    const c = await datastores();
    await c.editConfig('candidate', config([2, 1], []), { testOption: 'set' }, 1);
    await c.editConfig('candidate', bgp(`<bmp>${servers([3])}</bmp>${neighbor('::1', [1])}${neighbor('127.0.1.10', [2])}${neighbor('127.0.1.9', [3, 1])}`), { testOption: 'set' }, 1);
    expect(xml(c, 'candidate')).toBe(xml(a, 'running'));
    await c.commit(1);
    expect(xml(c, 'running')).toBe(xml(a, 'running'));
  });

  it('an entry added later goes to its place, not to the end', async () => {
    const ds = await datastores();
    await ds.editConfig('running', config([1, 3], []), {}, 1);
    await ds.editConfig('running', bgp(`<bmp>${servers([2])}</bmp>`), {}, 1);
    expect(idsOf(xml(ds, 'running'))).toEqual([1, 2, 3]);
  });

  it('copy-config of inline config into running, candidate and startup is canonical', async () => {
    const dir = stateDir();
    const a = await datastores();
    await a.editConfig('running', FORWARD, {}, 1);
    const ds = await datastores({ stateDir: dir });
    for (const target of ['running', 'candidate', 'startup'] as const) {
      await ds.copyConfig(target, { config: BACKWARD }, 1);
      expect(xml(ds, target)).toBe(xml(a, 'running'));
    }
    expect(idsOf(readFileSync(join(dir, 'startup.xml'), 'utf8'))).toEqual([1, 2, 3]);
  });

  it('a startup file written by hand in another order loads canonical', async () => {
    const dir = stateDir();
    writeFileSync(join(dir, 'startup.xml'), BACKWARD);
    const a = await datastores();
    await a.editConfig('running', FORWARD, {}, 1);
    const ds = await datastores({ stateDir: dir });
    expect(xml(ds, 'startup')).toBe(xml(a, 'running'));
    expect(xml(ds, 'running')).toBe(xml(a, 'running'));
  });

  it.each([
    ['a server id twice', bgp(`<bmp>${server(3, '<description>A</description>')}${server(3, '<description>B</description>')}</bmp>`),
      "/bmpd:bgp/bmp/server[id='3']"],
    ['a bmp-activate server twice', bgp(neighbor('127.0.1.9', [1, 1])), "/bmpd:bgp/neighbor[address='127.0.1.9']/bmp-activate/server[.='1']"],
    ['one neighbor address in two spellings', bgp(neighbor('::1', [1]) + neighbor('0:0::1', [1])), "/bmpd:bgp/neighbor[address='::1']"],
    ['a leaf twice', bgp(`<bmp>${server(1, '<description>A</description><description>B</description>')}</bmp>`), "/bmpd:bgp/bmp/server[id='1']/description"],
  ])('%s is bad-element with its path, whatever the error-option, and changes nothing', async (_what, edit, path) => {
    const ds = await datastores();
    await ds.editConfig('running', FORWARD, {}, 1);
    const before = xml(ds, 'running');
    for (const errorOption of ['stop-on-error', 'continue-on-error', 'rollback-on-error'] as const) {
      const err = await rejected(ds.editConfig('running', edit, { errorOption }, 1));
      expect(err.errors).toHaveLength(1);
      expect(err.errors[0]!.tag).toBe('bad-element');
      expect(err.errors[0]!.path).toBe(path);
      expect(xml(ds, 'running')).toBe(before);
    }
  });
});
