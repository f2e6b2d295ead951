// Issue 10 item 7: the startup file survives crashes and failed saves
// honestly. Temporary files of a save a crash interrupted are removed at
// start; a save that fails is logged with its cause and file, and the client's
// error names what failed (with the error code) but no server path.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Datastores } from '../../src/datastore/datastores.js';
import { DatastoreError } from '../../src/datastore/errors.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';

let model: YangModel;
let dir: string;
beforeAll(async () => { model = await loadYangModel(); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function capturedLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString())); done(); } });
  return { logger: pino({ level: 'info' }, sink), lines };
}

const CONFIG = '<bgp xmlns="urn:bmpd:yang:bmpd"><as-number>65000</as-number></bgp>';

describe('startup file', () => {
  it('removes the temporary files of interrupted saves at start, and says so', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bmpd-startup-'));
    writeFileSync(join(dir, 'startup.xml'), CONFIG);
    writeFileSync(join(dir, '.startup.xml.4242.tmp'), '<bgp xmlns="urn:bmpd:yang:bmpd"><as-n');
    writeFileSync(join(dir, '.startup.xml.77.tmp'), '');
    writeFileSync(join(dir, 'users.json'), '{"users":[]}');
    const { logger, lines } = capturedLogger();
    const ds = await Datastores.open({ context: model.context, stateDir: dir, logger });
    expect(readdirSync(dir).sort()).toEqual(['startup.xml', 'users.json']);
    expect(lines.find((l) => l.msg === 'removed temporary files of an interrupted startup save')?.files).toEqual(
      expect.arrayContaining(['.startup.xml.4242.tmp', '.startup.xml.77.tmp']));
    expect(ds.tree('running').print({ format: 'xml' })).toContain('<as-number>65000</as-number>');
    ds.close();
  });

  it('a failed save is logged with its cause and file; the client sees what failed, no path; startup stays', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bmpd-startup-'));
    writeFileSync(join(dir, 'startup.xml'), CONFIG);
    const { logger, lines } = capturedLogger();
    const ds = await Datastores.open({ context: model.context, stateDir: dir, logger });
    // A directory where the save's temporary file goes: the save fails (EISDIR) even for root.
    mkdirSync(join(dir, `.startup.xml.${process.pid}.tmp`));
    await ds.editConfig('running', '<bgp xmlns="urn:bmpd:yang:bmpd"><as-number>65001</as-number></bgp>', {}, 1);
    const failure = await ds.copyConfig('startup', { datastore: 'running' }, 1).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(DatastoreError);
    const message = (failure as DatastoreError).errors.map((e) => e.message).join(' ');
    expect(message).toContain('the startup datastore could not be saved (EISDIR)');
    expect(message).not.toContain(dir);
    expect(message).not.toContain('/');
    const logged = lines.find((l) => l.msg === 'the startup datastore could not be saved');
    expect(logged?.file).toBe(join(dir, 'startup.xml'));
    expect(JSON.stringify(logged?.err)).toContain('EISDIR');
    expect(readFileSync(join(dir, 'startup.xml'), 'utf8')).toBe(CONFIG);
    expect(ds.tree('startup').print({ format: 'xml' })).toContain('<as-number>65000</as-number>');
    ds.close();
  });
});
