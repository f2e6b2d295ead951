// The view of running that oper state hangs on (src/agent/config-snapshot.ts BmpdRunningView) as
// the agent takes it, from the reconciler's index (RunningIndex.view), against runningView, which
// prints running whole: equal after every change, applied or refused, on both reconcile paths.
// Running as written, not as applied: an entry without an address for its update-source, or one
// whose VRF address family is refused, is in both or neither. A change sequence is random but
// seeded (prng), so a failure names its seed and step and replays.
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { prng } from '../../tools/bgp-loadgen/prng.mjs';
import { runningView, type ConfigEnvironment } from '../../src/agent/config-snapshot.js';
import { Reconciler, type ReconcileTargets } from '../../src/agent/reconciler.js';
import { Datastores } from '../../src/datastore/datastores.js';
import { commitOrDiscard } from '../datastore/commit-or-discard.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';

const NS = 'urn:bmpd:yang:bmpd';
const NC = 'urn:ietf:params:xml:ns:netconf:base:1.0';
const SESSION = 1;

const ENV: ConfigEnvironment = {
  // 'lo' has addresses, 'dummy9' none: an entry using it is written but not applied as written.
  interfaceAddress: (name, family) => (name === 'lo' ? (family === 4 ? '127.0.23.1' : '::1') : null),
  hostIpv4Addresses: () => [{ address: '127.0.23.9', loopback: true }],
};

let model: YangModel;
let ds: Datastores;
let reconciler: Reconciler;
/** True: the data plane refuses every change (the commit fails, running stays). */
let refusing = false;

/** Targets that take or refuse a change without running anything: the view depends on the index alone. */
const targets: ReconcileTargets = {
  speaker: {
    applyConfig: async () => { if (refusing) throw new Error('refused by the test'); },
    applyNeighborChanges: async () => { if (refusing) throw new Error('refused by the test'); },
  },
  engine: { applyConfig: async () => undefined, applyActivationChanges: async () => undefined },
};

beforeAll(async () => {
  model = await loadYangModel();
});
afterAll(() => {
  ds?.close();
  model.context.destroy();
});
beforeEach(async () => {
  ds?.close();
  refusing = false;
  reconciler = new Reconciler(targets, pino({ level: 'silent' }), { env: ENV });
  ds = await Datastores.open({ context: model.context, stateDir: null, apply: (change) => reconciler.reconcile(change).then(() => undefined) });
});

function expectViewOfRunning(where: string): void {
  expect(reconciler.view(), where).toEqual(runningView(ds.tree('running')));
}

function bgp(inner: string): string {
  return `<bgp xmlns="${NS}" xmlns:nc="${NC}">${inner}</bgp>`;
}

/** Edit candidate and commit; a refusal (validation, conflict, the data plane) is discarded. Whether it was applied. */
const commit = (config: string): Promise<boolean> => commitOrDiscard(ds, config, SESSION);

const GLOBAL_ADDRESSES = ['127.0.23.100', '127.0.23.7', '127.0.23.20', '127.0.24.1', '::23:1', '::23:a', '2001:db8::1'];
const VRF_ADDRESSES = ['127.0.23.100', '127.0.23.200', '::23:1', '::23:200'];
const VRFS = ['red', 'blue', 'a-vrf'];

function neighborBody(random: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  let body = '';
  const r = random();
  if (r < 0.5) body += `<remote-as>${pick([65001, 65002, 65003])}</remote-as>`;
  else if (r < 0.8) body += '<peer-group>clients</peer-group>';
  else body += '<peer-group>nogroup-as</peer-group>'; // a group without remote-as: the must refuses it
  if (random() < 0.3) body += `<update-source>${pick(['lo', 'dummy9', '127.0.23.1'])}</update-source>`;
  if (random() < 0.3) body += random() < 0.5 ? '<bmp-activate><all/></bmp-activate>' : `<bmp-activate><server>${pick([1, 2, 3])}</server></bmp-activate>`;
  if (random() < 0.1) body += '<shutdown/>';
  return body;
}

/** One random edit of /bgp: mostly neighbor entries (the neighbor path), sometimes the rest (the full path). */
function randomEdit(random: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const r = random();
  const remove = random() < 0.35;
  if (r < 0.4) {
    const address = pick(GLOBAL_ADDRESSES);
    return remove
      ? bgp(`<neighbor nc:operation="remove"><address>${address}</address></neighbor>`)
      : bgp(`<neighbor nc:operation="replace"><address>${address}</address>${neighborBody(random)}</neighbor>`);
  }
  if (r < 0.7) {
    const vrf = pick(VRFS);
    const afi = pick(['ipv4', 'ipv6']);
    const address = pick(VRF_ADDRESSES);
    // A VRF that is not there yet is created with its rd (mandatory) by the same edit.
    const entry = remove
      ? `<neighbor nc:operation="remove"><address>${address}</address></neighbor>`
      : `<neighbor nc:operation="replace"><address>${address}</address>${neighborBody(random)}</neighbor>`;
    return bgp(`<vrf><name>${vrf}</name><rd>65000:${VRFS.indexOf(vrf) + 1}</rd><address-family><afi>${afi}</afi>${entry}</address-family></vrf>`);
  }
  if (r < 0.78) {
    const vrf = pick(VRFS);
    return bgp(`<vrf nc:operation="remove"><name>${vrf}</name></vrf>`);
  }
  if (r < 0.86) {
    const id = pick([1, 2, 3]);
    return remove
      ? bgp(`<bmp><server nc:operation="remove"><id>${id}</id></server></bmp>`)
      : bgp(`<bmp><server><id>${id}</id><address>127.0.23.${10 + id}</address><port-number>5000</port-number></server></bmp>`);
  }
  if (r < 0.93) {
    // 256 is the default: set explicitly it is 'configured', removed it is not.
    return remove
      ? bgp('<bmp><buffer-size nc:operation="remove"/></bmp>')
      : bgp(`<bmp><buffer-size>${pick([256, 1024, 2048])}</buffer-size></bmp>`);
  }
  return bgp(`<peer-group><name>clients</name><remote-as>${pick([65100, 65101])}</remote-as>${random() < 0.5 ? '<update-source>dummy9</update-source>' : ''}</peer-group>`);
}

const BASE = bgp(
  '<as-number>65000</as-number>' +
  '<peer-group><name>clients</name><remote-as>65100</remote-as></peer-group><peer-group><name>nogroup-as</name></peer-group>' +
  '<neighbor><address>127.0.23.100</address><peer-group>clients</peer-group></neighbor>' +
  '<neighbor><address>::23:1</address><remote-as>65001</remote-as><update-source>dummy9</update-source></neighbor>' +
  '<vrf><name>red</name><rd>65000:1</rd><address-family><afi>ipv4</afi><neighbor><address>127.0.23.200</address><remote-as>65002</remote-as></neighbor></address-family></vrf>',
);

describe('the index\'s view of running equals a print of running', () => {
  it('over hand-picked changes: no /bgp, startup, neighbors without an address to bind, buffer-size at its default, a refused commit, a rollback', async () => {
    expectViewOfRunning('empty');
    // What loading a startup file does (Datastores.open): running replaced whole, cause 'startup'.
    const startup = model.context.parseData(BASE, { validate: true, configOnly: true, strict: true });
    await ds.replaceRunning(startup, 'startup', 0);
    expectViewOfRunning('startup');
    expect(reconciler.view().neighbors.map((n) => n.address)).toEqual(['127.0.23.100', '::23:1', '127.0.23.200']);
    const rollbackPoint = ds.snapshotRunning();

    expect(await commit(bgp('<bmp><buffer-size>256</buffer-size></bmp>'))).toBe(true);
    expect(reconciler.view().bufferSizeConfigured).toBe(256);
    expectViewOfRunning('buffer-size set to its default');

    expect(await commit(bgp('<neighbor><address>127.0.23.5</address><remote-as>65009</remote-as><update-source>dummy9</update-source></neighbor>'))).toBe(true);
    expect(reconciler.view().neighbors.map((n) => n.address)).toEqual(['127.0.23.5', '127.0.23.100', '::23:1', '127.0.23.200']);
    expectViewOfRunning('a neighbor whose update-source has no address');

    // The same address and update-source in the global table and in a VRF: ambiguous, refused.
    const ambiguous = '<remote-as>65002</remote-as><update-source>127.0.23.1</update-source>';
    expect(await commit(bgp(`<neighbor><address>127.0.23.200</address>${ambiguous}</neighbor>` +
      `<vrf><name>red</name><address-family><afi>ipv4</afi><neighbor><address>127.0.23.200</address>${ambiguous}</neighbor></address-family></vrf>`))).toBe(false);
    expectViewOfRunning('an ambiguous neighbor refused');

    refusing = true;
    expect(await commit(bgp('<neighbor><address>127.0.23.6</address><remote-as>65009</remote-as></neighbor>'))).toBe(false);
    expect(await commit(bgp('<as-number>65001</as-number>'))).toBe(false);
    refusing = false;
    expect(reconciler.view().neighbors.map((n) => n.address)).not.toContain('127.0.23.6');
    expectViewOfRunning('refused by the data plane, on either path');

    await ds.replaceRunning(rollbackPoint, 'rollback', 0);
    expect(reconciler.view().bufferSizeConfigured).toBe(null);
    expectViewOfRunning('rolled back');

    expect(await commit(bgp('<vrf nc:operation="remove"><name>red</name></vrf>'))).toBe(true);
    expectViewOfRunning('a vrf removed');
    expect(await commit(`<bgp xmlns="${NS}" xmlns:nc="${NC}" nc:operation="remove"/>`)).toBe(true);
    expect(reconciler.view()).toEqual({ bgp: false, bufferSizeConfigured: null, servers: [], neighbors: [] });
    expectViewOfRunning('no /bgp');
  });

  for (const seed of [1, 2, 3, 4]) {
    it(`over 120 random changes, seed ${seed}`, async () => {
      const random = prng(seed);
      expect(await commit(BASE)).toBe(true);
      let applied = 0;
      for (let step = 0; step < 120; step++) {
        refusing = random() < 0.08;
        // Sometimes two edits in one commit: several entries, or entries and the rest together.
        const edits = random() < 0.25 ? [randomEdit(random), randomEdit(random)] : [randomEdit(random)];
        let ok = true;
        for (const edit of edits) {
          try {
            await ds.editConfig('candidate', edit, {}, SESSION);
          } catch {
            ok = false;
          }
        }
        if (ok) {
          try {
            await ds.commit(SESSION);
            applied++;
          } catch { /* refused: running as it was */ }
        }
        await ds.discardChanges(SESSION);
        expectViewOfRunning(`seed ${seed} step ${step}: ${edits.join(' + ')}`);
      }
      refusing = false;
      // The sequence exercised something: most changes went through, and some neighbors remain.
      expect(applied).toBeGreaterThan(40);
    });
  }
});
