// How the evaluation pool shares its workers between reads and writes (issue 10): a write or a
// validation does not take the last idle worker, so while an expensive filter holds one of two workers
// a small read still finds the other; the validation runs once a second worker is free, and its
// outcome is the datastore's.
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Datastores } from '../../src/datastore/datastores.js';
import { EvaluationPool } from '../../src/netconf/evaluation-pool.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';

const NS = 'urn:bmpd:yang:bmpd';
const EXPENSIVE = { xpath: 'count(//*[count(//*) > 0]) > 0' };

let model: YangModel;
let ds: Datastores;
let pool: EvaluationPool;

beforeAll(async () => {
  model = await loadYangModel();
  ds = await Datastores.open({ context: model.context, stateDir: null });
  const entries: string[] = [];
  for (let i = 0; i < 2_000; i++) entries.push(`<neighbor><address>127.1.${i >> 8}.${i & 255}</address><remote-as>65001</remote-as><shutdown/></neighbor>`);
  await ds.editConfig('running', `<bgp xmlns="${NS}"><as-number>65000</as-number>${entries.join('')}</bgp>`, {}, 1);
  // The evaluation limit long enough for every step below to happen while the filter runs.
  pool = new EvaluationPool({ datastores: ds, logger: pino({ level: 'silent' }), workers: 2, timeoutMs: 4_000 });
  await pool.start();
}, 60_000);

afterAll(async () => {
  await pool?.close();
  ds?.close();
  model?.context.destroy();
});

it('a validation waits while taking a worker would leave none to the reads; a read meanwhile is served at once', async () => {
  const read = () => pool.evaluate({ source: 'running', state: [], filter: { xpath: `/bmpd:bgp/bmpd:as-number`, namespaces: { bmpd: NS } }, mode: 'explicit', access: null });
  // Both workers warm, then one held by the filter until its limit.
  await Promise.all([read(), read()]);
  const filter = pool.evaluate({ source: 'running', state: [], filter: EXPENSIVE, mode: 'explicit', access: null }).then(() => 'answered', () => 'cut off');
  await new Promise((resolve) => setTimeout(resolve, 200));
  let validatedAt: number | null = null;
  const validation = pool.checkValid('running', { result: false }).then((outcome) => { validatedAt = performance.now(); return outcome; });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const t0 = performance.now();
  expect(await read()).toContain('<as-number>65000</as-number>');
  const readAt = performance.now();
  expect(readAt - t0).toBeLessThan(1_000);
  // The validation has not taken the idle worker: it waits for the filter's.
  expect(validatedAt).toBeNull();
  expect(await validation).toEqual({ version: ds.version('running'), errors: [], chunks: null, xml: null });
  expect(await filter).toBe('cut off');
  expect(validatedAt!).toBeGreaterThan(readAt);
}, 60_000);
