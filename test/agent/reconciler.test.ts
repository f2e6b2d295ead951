// The reconciler's neighbor path against its full path (src/agent/reconciler.ts): a commit that
// only adds, changes or removes neighbor entries must leave the speaker and the engine exactly
// where reading running in full and applying whole snapshots leaves them. Two real pipelines
// take every commit of one datastore: A through the Reconciler, B through snapshotsFromRunning +
// applyConfig (what the agent did before). The speakers are never started (no socket is opened);
// the BMP servers are configured but not activated.
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { classify, Reconciler, IDLE_SPEAKER, type ReconcilePath } from '../../src/agent/reconciler.js';
import { runningView, snapshotsFromRunning, type ConfigEnvironment } from '../../src/agent/config-snapshot.js';
import { neighborConflicts } from '../../src/agent/neighbor-conflicts.js';
import { BgpSpeaker } from '../../src/bgp/speaker.js';
import { BmpEngine } from '../../src/bmp/engine.js';
import { speakerForBmp } from '../../src/bmp/engine-speaker.js';
import { realStations } from '../../src/bmp/engine-station.js';
import { Datastores } from '../../src/datastore/datastores.js';
import { DatastoreError } from '../../src/datastore/errors.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';

const NS = 'urn:bmpd:yang:bmpd';
const NC = 'urn:ietf:params:xml:ns:netconf:base:1.0';
const SESSION = 1;

/** Interfaces from a table the test can change (a host whose addresses move). */
const interfaces: Record<string, string> = { 'lo/4': '127.0.22.1', 'lo/6': '::1' };
const ENV: ConfigEnvironment = {
  interfaceAddress: (name, family) => interfaces[`${name}/${family}`] ?? null,
  hostIpv4Addresses: () => [{ address: '127.0.22.9', loopback: true }],
};

interface Pipeline {
  speaker: BgpSpeaker;
  engine: BmpEngine;
}

function pipeline(): Pipeline {
  const speaker = new BgpSpeaker(IDLE_SPEAKER);
  const engine = new BmpEngine({
    speaker: speakerForBmp(speaker),
    logger: pino({ level: 'silent' }),
    stations: realStations(),
    sysName: 'reconciler-test',
    sysDescr: 'reconciler-test',
  });
  return { speaker, engine };
}

let model: YangModel;
let ds: Datastores;
let a: Pipeline;
let b: Pipeline;
let reconciler: Reconciler;
let paths: ReconcilePath[];

beforeAll(async () => {
  model = await loadYangModel();
});
afterAll(() => {
  model.context.destroy();
});

beforeEach(async () => {
  ds?.close();
  for (const p of [a, b]) if (p) { await p.engine.stop(); await p.speaker.stop(); }
  interfaces['lo/4'] = '127.0.22.1';
  a = pipeline();
  b = pipeline();
  reconciler = new Reconciler(a, pino({ level: 'silent' }), { env: ENV });
  paths = [];
  ds = await Datastores.open({
    context: model.context,
    stateDir: null,
    apply: async (change) => {
      try {
        await reconciler.reconcile(change);
      } finally {
        paths.push(reconciler.lastPath!);
      }
      const full = snapshotsFromRunning(change.after, ENV);
      await b.speaker.applyConfig(full.speaker ?? IDLE_SPEAKER);
      await b.engine.applyConfig(full.bmp);
    },
  });
  await commit(BASE);
  expect(paths).toEqual(['full']);
  expectSameAsFullPath();
});

afterAll(async () => {
  ds?.close();
  for (const p of [a, b]) if (p) { await p.engine.stop(); await p.speaker.stop(); }
});

function bgp(inner: string): string {
  return `<bgp xmlns="${NS}" xmlns:nc="${NC}">${inner}</bgp>`;
}

function neighbor(address: string, inner = '<remote-as>65001</remote-as>'): string {
  return `<neighbor><address>${address}</address>${inner}</neighbor>`;
}

function vrfNeighbor(vrf: string, afi: 'ipv4' | 'ipv6', address: string, inner = '<remote-as>65002</remote-as>'): string {
  return `<vrf><name>${vrf}</name><address-family><afi>${afi}</afi>${neighbor(address, inner)}</address-family></vrf>`;
}

const BASE = bgp(
  '<as-number>65000</as-number>' +
  '<bmp><server><id>1</id><address>127.0.22.10</address><port-number>5000</port-number></server>' +
  '<server><id>2</id><address>127.0.22.11</address><port-number>5000</port-number></server></bmp>' +
  '<peer-group><name>clients</name><remote-as>65100</remote-as><passive>true</passive><bmp-activate><all/></bmp-activate></peer-group>' +
  Array.from({ length: 20 }, (_, i) => neighbor(`127.0.22.${100 + i}`, i % 2 === 0
    ? '<peer-group>clients</peer-group>'
    : '<remote-as>65001</remote-as><bmp-activate><server>1</server></bmp-activate>')).join('') +
  neighbor('::22:1', '<remote-as>65003</remote-as><address-family><name>ipv6-unicast</name></address-family>') +
  '<vrf><name>red</name><rd>65000:22</rd>' +
  '<address-family><afi>ipv4</afi>' + neighbor('127.0.22.200', '<remote-as>65200</remote-as><bmp-activate><server>2</server></bmp-activate>') + '</address-family>' +
  '<address-family><afi>ipv6</afi>' + neighbor('::22:200', '<remote-as>65201</remote-as>') + '</address-family></vrf>' +
  '<vrf><name>blue</name><rd>65000:23</rd></vrf>',
);

async function commit(config: string): Promise<ReconcilePath> {
  const before = paths.length;
  await ds.editConfig('candidate', config, {}, SESSION);
  await ds.commit(SESSION);
  expect(paths.length).toBe(before + 1);
  return paths.at(-1)!;
}

/** A commit the agent refuses: the error, with running and both pipelines as they were. */
async function refusedCommit(config: string): Promise<DatastoreError> {
  const before = paths.length;
  await ds.editConfig('candidate', config, {}, SESSION);
  const err = await ds.commit(SESSION).then(() => null, (e: unknown) => e);
  expect(paths.length).toBe(before + 1);
  await ds.discardChanges(SESSION);
  expect(err).toBeInstanceOf(DatastoreError);
  return err as DatastoreError;
}

function sorted<T>(items: Iterable<T>, key: (item: T) => string): T[] {
  return [...items].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
}

/** What each pipeline's speaker and engine run, in comparable form. */
function observed(p: Pipeline) {
  const engine = p.engine.snapshot();
  return {
    configured: sorted(p.speaker.configuredNeighbors().entries(), ([k]) => k),
    sessions: sorted(p.speaker.snapshot(), (s) => s.key).map((s) => ({ key: s.key, remoteAs: s.remoteAs, description: s.description, adminShutdown: s.adminShutdown })),
    neighborsConfigured: engine.neighborsConfigured,
    activations: sorted(engine.neighbors, (n) => n.neighbor).map((n) => ({ neighbor: n.neighbor, configured: n.configuredServers })),
  };
}

function expectSameAsFullPath(): void {
  const running = ds.tree('running');
  expect(reconciler.snapshots()).toEqual(snapshotsFromRunning(running, ENV));
  expect(reconciler.view()).toEqual(runningView(running));
  expect(observed(a)).toEqual(observed(b));
}

describe('a commit of neighbor entries only takes the neighbor path and ends where the full path ends', () => {
  it('adds a global neighbor, inheriting from its peer-group', async () => {
    expect(await commit(bgp(neighbor('127.0.22.150', '<peer-group>clients</peer-group><description>new</description>')))).toBe('neighbors');
    expectSameAsFullPath();
    const added = a.speaker.configuredNeighbors().get('127.0.22.150');
    expect(added).toMatchObject({ remoteAs: 65100, passive: true, description: 'new' });
    expect(a.engine.snapshot().neighbors.find((n) => n.neighbor === '127.0.22.150')?.configuredServers).toEqual([1, 2]);
  });

  it('changes remote-as, timers, shutdown and bmp-activate of one neighbor', async () => {
    expect(await commit(bgp(neighbor('127.0.22.101',
      '<remote-as>65011</remote-as><timers><keepalive>10</keepalive><hold-time>30</hold-time></timers><shutdown/><bmp-activate><server>2</server></bmp-activate>')))).toBe('neighbors');
    expectSameAsFullPath();
    expect(a.speaker.configuredNeighbors().get('127.0.22.101')).toMatchObject({ remoteAs: 65011, shutdown: true, timers: { keepalive: 10, holdTime: 30 } });
    expect(a.engine.snapshot().neighbors.find((n) => n.neighbor === '127.0.22.101')?.configuredServers).toEqual([1, 2]);
  });

  it('removes a leaf and then a whole neighbor, and its activation with it', async () => {
    expect(await commit(bgp(neighbor('127.0.22.103', '<bmp-activate nc:operation="delete"/>')))).toBe('neighbors');
    expectSameAsFullPath();
    expect(a.engine.snapshot().neighbors.some((n) => n.neighbor === '127.0.22.103')).toBe(false);
    expect(await commit(bgp('<neighbor nc:operation="delete"><address>127.0.22.104</address></neighbor>'))).toBe('neighbors');
    expectSameAsFullPath();
    expect(a.speaker.configuredNeighbors().has('127.0.22.104')).toBe(false);
    expect(a.engine.snapshot().neighbors.some((n) => n.neighbor === '127.0.22.104')).toBe(false);
  });

  it('adds, changes and removes VRF neighbors, one address under both afis of a VRF merged into one session', async () => {
    expect(await commit(bgp(vrfNeighbor('blue', 'ipv4', '127.0.22.201')))).toBe('full'); // the afi entry is new
    expectSameAsFullPath();
    expect(await commit(bgp(vrfNeighbor('blue', 'ipv4', '127.0.22.202', '<remote-as>65202</remote-as><bmp-activate><all/></bmp-activate>')))).toBe('neighbors');
    expectSameAsFullPath();
    // The same address under red's ipv6 afi, with other settings: one session, both families, a problem.
    expect(await commit(bgp(vrfNeighbor('red', 'ipv6', '127.0.22.200', '<remote-as>65299</remote-as>')))).toBe('neighbors');
    expectSameAsFullPath();
    expect(a.speaker.configuredNeighbors().get('red|127.0.22.200')).toMatchObject({ remoteAs: 65200, addressFamilies: ['ipv4-unicast', 'ipv6-unicast'] });
    expect(reconciler.snapshots().problems.map((p) => p.path)).toContain("/bmpd:bgp/vrf[name='red']/address-family[afi='ipv6']/neighbor[address='127.0.22.200']");
    // Removing the first entry leaves the second's settings.
    expect(await commit(bgp(`<vrf><name>red</name><address-family><afi>ipv4</afi><neighbor nc:operation="delete"><address>127.0.22.200</address></neighbor></address-family></vrf>`))).toBe('neighbors');
    expectSameAsFullPath();
    expect(a.speaker.configuredNeighbors().get('red|127.0.22.200')).toMatchObject({ remoteAs: 65299, addressFamilies: ['ipv6-unicast'] });
  });

  it('takes several neighbors in one commit, global and VRF together', async () => {
    expect(await commit(bgp(neighbor('127.0.22.160') + neighbor('127.0.22.161', '<peer-group>clients</peer-group>') +
      neighbor('127.0.22.102', '<description>changed</description>') + vrfNeighbor('red', 'ipv4', '127.0.22.210')))).toBe('neighbors');
    expectSameAsFullPath();
  });

  it('resolves an update-source interface for the entry it reads, and reads in full once the interface moved', async () => {
    expect(await commit(bgp(neighbor('127.0.22.170', '<remote-as>65001</remote-as><update-source>lo</update-source>')))).toBe('neighbors');
    expectSameAsFullPath();
    expect(a.speaker.configuredNeighbors().get('127.0.22.170')?.updateSource).toBe('127.0.22.1');
    interfaces['lo/4'] = '127.0.22.2';
    // The full path would restart 127.0.22.170 on its new address: so must this unrelated commit.
    expect(await commit(bgp(neighbor('127.0.22.171')))).toBe('full');
    expectSameAsFullPath();
    expect(a.speaker.configuredNeighbors().get('127.0.22.170')?.updateSource).toBe('127.0.22.2');
  });
});

describe('ambiguous neighbors are refused on the neighbor path as on the full path', () => {
  it('refuses the same address in two instances with one update-source, naming the later entry', async () => {
    expect(await commit(bgp(neighbor('127.0.22.180', '<remote-as>65001</remote-as><update-source>127.0.22.1</update-source>')))).toBe('neighbors');
    const conflicting = bgp(vrfNeighbor('red', 'ipv4', '127.0.22.180', '<remote-as>65002</remote-as><update-source>127.0.22.1</update-source>'));
    const before = observed(a);
    const err = await refusedCommit(conflicting);
    expect(paths.at(-1)).toBe('neighbors');
    // What the check over every neighbor says of the tree that was refused.
    await ds.editConfig('candidate', conflicting, {}, SESSION);
    const wouldBe = snapshotsFromRunning(ds.tree('candidate'), ENV);
    await ds.discardChanges(SESSION);
    const full = neighborConflicts(wouldBe.speaker!).refuse;
    expect(full).not.toBeNull();
    expect(err.errors[0]).toMatchObject({ tag: 'operation-failed', appTag: 'ambiguous-neighbor', path: full!.path, message: full!.message });
    expect(err.errors[0]!.path).toBe("/bmpd:bgp/vrf[name='red']/address-family[afi='ipv4']/neighbor[address='127.0.22.180']");
    expect(observed(a)).toEqual(before);
    expectSameAsFullPath();
  });

  it('refuses a change of update-source that makes two neighbors ambiguous, and lets them through without one', async () => {
    expect(await commit(bgp(neighbor('127.0.22.181') + vrfNeighbor('red', 'ipv4', '127.0.22.181', '<remote-as>65002</remote-as><update-source>127.0.22.3</update-source>')))).toBe('neighbors');
    const err = await refusedCommit(bgp(neighbor('127.0.22.181', '<update-source>127.0.22.3</update-source>')));
    expect(err.errors[0]).toMatchObject({ appTag: 'ambiguous-neighbor', path: "/bmpd:bgp/vrf[name='red']/address-family[afi='ipv4']/neighbor[address='127.0.22.181']" });
    expectSameAsFullPath();
    // Without any update-source the two only warn (the seed's own ::2 case): accepted.
    expect(await commit(bgp(vrfNeighbor('red', 'ipv4', '127.0.22.181', '<update-source nc:operation="delete"/>')))).toBe('neighbors');
    expectSameAsFullPath();
    expect(a.speaker.configuredNeighbors().has('red|127.0.22.181')).toBe(true);
  });
});

describe('anything but neighbor entries takes the full path', () => {
  it('reads in full for a peer-group, a global leaf, a server or a new VRF', async () => {
    expect(await commit(bgp('<peer-group><name>clients</name><remote-as>65101</remote-as></peer-group>'))).toBe('full');
    expectSameAsFullPath();
    expect(a.speaker.configuredNeighbors().get('127.0.22.100')?.remoteAs).toBe(65101);
    expect(await commit(bgp('<router-id>127.0.22.8</router-id>'))).toBe('full');
    expectSameAsFullPath();
    expect(await commit(bgp('<bmp><server><id>3</id><address>127.0.22.12</address><port-number>5000</port-number></server></bmp>'))).toBe('full');
    expectSameAsFullPath();
    expect(a.engine.snapshot().neighbors.find((n) => n.neighbor === '127.0.22.100')?.configuredServers).toEqual([1, 2, 3]);
    expect(await commit(bgp('<vrf><name>green</name><rd>65000:24</rd><address-family><afi>ipv4</afi>' + neighbor('127.0.22.220') + '</address-family></vrf>'))).toBe('full');
    expectSameAsFullPath();
  });

  it('classifies by cause and by every path of the diff', () => {
    const entry = { operation: 'create', path: "/bmpd:bgp/neighbor[address='127.0.22.5']", schemaPath: '', nodeType: 'list', value: null, previousValue: null, inherited: false } as const;
    const ancestor = { ...entry, operation: 'none', path: '/bmpd:bgp', nodeType: 'container' } as const;
    const vrfKey = { ...entry, operation: 'none', path: "/bmpd:bgp/vrf[name='red']/name", nodeType: 'leaf', inherited: true } as const;
    const neighborsOnly = classify({ cause: 'commit', changes: [ancestor, vrfKey, entry, { ...entry, path: `${entry.path}/remote-as`, nodeType: 'leaf' }] }, true);
    expect(neighborsOnly.path).toBe('neighbors');
    expect(neighborsOnly.path === 'neighbors' && [...neighborsOnly.entries.keys()]).toEqual(["/bmpd:bgp/neighbor[address='127.0.22.5']"]);
    expect(classify({ cause: 'copy-config', changes: [entry] }, true)).toMatchObject({ path: 'full' });
    expect(classify({ cause: 'startup', changes: [entry] }, true)).toMatchObject({ path: 'full' });
    expect(classify({ cause: 'rollback', changes: [entry] }, true)).toMatchObject({ path: 'full' });
    expect(classify({ cause: 'commit', changes: [entry] }, false)).toMatchObject({ path: 'full' });
    // A 'none' on a leaf that is not a list key (a default flag flipping) is not taken as context.
    expect(classify({ cause: 'commit', changes: [entry, { ...entry, operation: 'none', path: '/bmpd:bgp/listen/port', nodeType: 'leaf' }] }, true)).toMatchObject({ path: 'full' });
    expect(classify({ cause: 'commit', changes: [entry, { ...entry, path: "/bmpd:bgp/peer-group[name='clients']/remote-as", nodeType: 'leaf' }] }, true)).toMatchObject({ path: 'full' });
    expect(classify({ cause: 'commit', changes: [{ ...entry, path: "/bmpd:bgp/vrf[name='red']/address-family[afi='ipv4']" }] }, true)).toMatchObject({ path: 'full' });
    expect(classify({ cause: 'commit', changes: [ancestor] }, true)).toMatchObject({ path: 'full' });
  });
});

describe('a change that cannot be applied is rolled back', () => {
  it('restores the speaker and keeps running when the engine refuses, on either path', async () => {
    const before = observed(a);
    const snapshots = reconciler.snapshots();
    await a.engine.stop(); // from now on the engine refuses every configuration
    const onNeighbors = await refusedCommit(bgp(neighbor('127.0.22.190') + neighbor('127.0.22.105', '<remote-as>65555</remote-as>')));
    expect(paths.at(-1)).toBe('neighbors');
    expect(onNeighbors.errors[0]).toMatchObject({ tag: 'operation-failed', message: 'the configuration could not be applied: BMP engine stopped' });
    expect(a.speaker.configuredNeighbors().has('127.0.22.190')).toBe(false);
    expect(a.speaker.configuredNeighbors().get('127.0.22.105')?.remoteAs).toBe(65001);
    expect(observed(a).configured).toEqual(before.configured);
    expect(reconciler.snapshots()).toEqual(snapshots);

    const onFull = await refusedCommit(bgp('<as-number>65009</as-number>' + neighbor('127.0.22.191')));
    expect(paths.at(-1)).toBe('full');
    expect(onFull.errors[0]).toMatchObject({ tag: 'operation-failed', message: 'the configuration could not be applied: BMP engine stopped' });
    expect(observed(a).configured).toEqual(before.configured);
    expect(reconciler.snapshots()).toEqual(snapshotsFromRunning(ds.tree('running'), ENV));
  });
});
