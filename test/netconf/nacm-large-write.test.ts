// NACM on a large write (issue 10): the write guard of a session that rules restrict reads every
// change the write makes (RFC 8341 §3.4.5). For a write of 1 MiB or more, adopted from an evaluation
// worker's result, that list is made in a worker too (the diff of the target against the result) and
// checked a slice per event-loop turn; at 100,000 neighbors, made and checked on the main thread, it
// held every other session 1–1.5 s. The decisions must be those of the main thread's list: a denied
// node anywhere in the write refuses all of it, named in the error, with every datastore unchanged.
import type { DataTree, DiffChange } from 'libyang-wasm';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Datastores, type DatastoreName } from '../../src/datastore/datastores.js';
import { DatastoreError } from '../../src/datastore/errors.js';
import type { AccessControl } from '../../src/netconf/access-control.js';
import { EvaluationPool } from '../../src/netconf/evaluation-pool.js';
import { NACM_NS } from '../../src/netconf/nacm.js';
import type { SessionInfo } from '../../src/netconf/session-control.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';
import { accessControlFor, sessionOf } from '../support/nacm-rig.js';

const BMPD = 'urn:bmpd:yang:bmpd';
/** Over a MiB of text: a large write. */
const NEIGHBORS = 6_500;
const DENIED = '127.1.3.7';
const neighbor = (i: number, as = 64512 + (i % 100)): string =>
  `<neighbor><address>127.1.${i >> 8}.${i & 255}</address><remote-as>${as}</remote-as><description>${'provisioned in bulk '.repeat(3)}${i}</description></neighbor>`;
const bgp = (entries: string[]): string => `<bgp xmlns="${BMPD}"><as-number>65000</as-number>${entries.join('')}</bgp>`;
const range = (from: number, to: number, as?: number): string[] => Array.from({ length: to - from }, (_, k) => neighbor(from + k, as));
/** 127.1.3.7 is neighbor 775. */
const WITHOUT_DENIED = (as?: number): string[] => [...range(0, 775, as), ...range(776, NEIGHBORS, as)];

// writers may write anything but the neighbor 127.1.3.7; admin everything.
const NACM = `<nacm xmlns="${NACM_NS}"><enable-nacm>true</enable-nacm>
  <groups><group><name>writers</name><user-name>writer</user-name></group><group><name>admin</name><user-name>admin</user-name></group></groups>
  <rule-list><name>writers</name><group>writers</group>
    <rule><name>not-that-neighbor</name><module-name>bmpd</module-name><path xmlns:b="${BMPD}">/b:bgp/b:neighbor[b:address='${DENIED}']</path>
      <access-operations>create update delete</access-operations><action>deny</action></rule>
    <rule><name>write-all</name><module-name>*</module-name><access-operations>*</access-operations><action>permit</action></rule>
  </rule-list>
  <rule-list><name>admin</name><group>admin</group>
    <rule><name>permit-all</name><module-name>*</module-name><access-operations>*</access-operations><action>permit</action></rule>
  </rule-list>
</nacm>`;

const NAMES: readonly DatastoreName[] = ['running', 'candidate', 'startup'];
const sessions = new Map<number, SessionInfo>([[1, sessionOf(1, 'writer')], [2, sessionOf(2, 'admin')]]);
const WRITER = 1;
const ADMIN = 2;

let model: YangModel;
let treeMethods: DataTree;
let ds: Datastores;
let pool: EvaluationPool;
let access: AccessControl;
/** The change lists the large write guard asked for. */
const listed: (readonly DiffChange[])[] = [];

beforeAll(async () => {
  model = await loadYangModel();
  treeMethods = Object.getPrototypeOf(model.context.emptyTree()) as DataTree;
  access = accessControlFor(model, { session: (id) => sessions.get(id), running: () => ds.tree('running') });
  ds = await Datastores.open({
    context: model.context, stateDir: null,
    apply: async (change) => { if (change.changes.some((c) => c.path.startsWith('/ietf-netconf-acm:'))) access.load(change.after); },
    authorizeWrite: (w) => access.authorizeWrite(w),
    authorizeLargeWrite: (w) => access.authorizeLargeWrite({ ...w, changes: async () => { const c = await w.changes(); listed.push(c); return c; } }),
    checkSteps: (steps) => pool.checkWrite(steps),
    checkDiff: (base, chunks) => pool.checkDiff(base, chunks),
  });
  pool = new EvaluationPool({ datastores: ds, logger: pino({ level: 'silent' }), workers: 2 });
  await pool.start();
  await ds.editConfig('running', NACM + bgp([]), {}, 0);
}, 60_000);
afterEach(() => {
  vi.restoreAllMocks();
  listed.length = 0;
});
afterAll(async () => {
  await pool?.close();
  ds?.close();
  model?.context.destroy();
});

const printed = (): string[] => NAMES.map((name) => ds.tree(name).print({ format: 'xml', withDefaults: 'report-all-tagged' }));

async function outcome(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
    return 'ok';
  } catch (err) {
    if (err instanceof DatastoreError) return err.errors.map((e) => ({ tag: e.tag, message: e.message }));
    throw err;
  }
}

describe('NACM on a large write', () => {
  it('checks every change of the write with the list made in a worker, and refuses a denied node anywhere in it', async () => {
    const mainThreadDiff = vi.spyOn(treeMethods, 'diff');
    for (const target of ['candidate', 'running'] as const) {
      const before = printed();
      const denied = await outcome(() => ds.editConfig(target, bgp(range(0, NEIGHBORS)), {}, WRITER));
      expect(denied, target).toEqual([{ tag: 'access-denied', message: `create of /bmpd:bgp/neighbor[address='${DENIED}'] is denied` }]);
      expect(printed(), target).toEqual(before);
      // The list the guard read: every created node, the denied neighbor's among them.
      expect(listed, target).toHaveLength(1);
      expect(listed[0]!.filter((c) => c.nodeType === 'list' && c.operation === 'create'), target).toHaveLength(NEIGHBORS);
      listed.length = 0;
    }
    expect(mainThreadDiff).not.toHaveBeenCalled();
  }, 120_000);

  it('permits a large write that touches no denied node; the agent\'s own write needs no list', async () => {
    const mainThreadDiff = vi.spyOn(treeMethods, 'diff');
    expect(await outcome(() => ds.editConfig('running', bgp(WITHOUT_DENIED()), {}, WRITER))).toBe('ok');
    expect(ds.tree('running').paths('/bmpd:bgp/bmpd:neighbor')).toHaveLength(NEIGHBORS - 1);
    expect(listed).toHaveLength(1);
    // The writer's large update of every neighbor but the denied one: permitted, each one an update.
    expect(await outcome(() => ds.editConfig('candidate', bgp(WITHOUT_DENIED(65001)), {}, WRITER))).toBe('ok');
    expect(listed).toHaveLength(2);
    expect(listed[1]!.filter((c) => c.operation === 'replace')).toHaveLength(NEIGHBORS - 1);
    // Admin's write of the denied neighbor: checked too (NACM is on), and permitted.
    expect(await outcome(() => ds.editConfig('candidate', bgp(range(0, NEIGHBORS, 65002)), {}, ADMIN))).toBe('ok');
    expect(listed).toHaveLength(3);
    // The agent's own write (a session NACM does not apply to): no list is asked for.
    expect(await outcome(() => ds.editConfig('candidate', bgp(range(0, NEIGHBORS, 65004)), {}, 0))).toBe('ok');
    expect(listed).toHaveLength(3);
    await ds.commit(ADMIN);
    expect(ds.tree('running').paths(`/bmpd:bgp/bmpd:neighbor[bmpd:address='${DENIED}']/bmpd:remote-as`).length).toBe(1);
    // Every diff above was made in a worker.
    expect(mainThreadDiff).not.toHaveBeenCalled();
    // Now the denied neighbor exists: the writer's large update of it is an update, and refused.
    const before = printed();
    expect(await outcome(() => ds.editConfig('running', bgp(range(0, NEIGHBORS, 65003)), {}, WRITER)))
      .toEqual([{ tag: 'access-denied', message: `update of /bmpd:bgp/neighbor[address='${DENIED}']/remote-as is denied` }]);
    expect(ds.tree('running').print({ format: 'xml' })).toContain('<remote-as>65004</remote-as>');
    expect(printed()).toEqual(before);
  }, 120_000);

  it('checks the list a slice per event-loop turn', async () => {
    const changes: DiffChange[] = Array.from({ length: 10_000 }, (_, i) => ({
      operation: 'create', path: `/bmpd:bgp/neighbor[address='127.2.${i >> 8}.${i & 255}']`, schemaPath: '/bmpd:bgp/bmpd:neighbor',
      nodeType: 'list', value: null, previousValue: null, inherited: false,
    }));
    let turns = 0;
    let checked = false;
    const count = () => {
      turns++;
      if (!checked) setImmediate(count);
    };
    const check = access.authorizeLargeWrite({ target: 'candidate', sessionId: WRITER, changes: async () => changes }).then(() => { checked = true; });
    setImmediate(count);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(checked).toBe(false);
    await check;
    // 10,000 changes in slices of 4,096: at least two turns given to others.
    expect(turns).toBeGreaterThanOrEqual(2);
  });
});
