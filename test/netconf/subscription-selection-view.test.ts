// Incremental on-change (src/netconf/subscriptions/selection-view.ts): a change of one BGP neighbor is
// read again only inside that neighbor's list entry, a change the selection cannot hold is not read at
// all, and anything else reads the whole selection; the edits are the same either way. The reads are
// real libyang xpath evaluations over a stand-in operational datastore.
import type { DataTree } from 'libyang-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvaluationFilter } from '../../src/netconf/evaluation-pool.js';
import { configChangeEvent, type NotificationEvent } from '../../src/netconf/notifications.js';
import { affectedBy, narrowToNeighbors, SelectionView } from '../../src/netconf/subscriptions/selection-view.js';
import { onChangeReportable } from '../../src/netconf/subscriptions/subscriptions.js';
import { patchEdits } from '../../src/netconf/subscriptions/yang-patch.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';

const BMPD_NS = 'urn:bmpd:yang:bmpd';
let model: YangModel;
const moduleOf = (ns: string) => model.modules.find((m) => m.namespace === ns && m.implemented)?.name ?? null;
const namespaceOf = (module: string) => model.modules.find((x) => x.name === module)?.namespace ?? null;
const names = { moduleOf: (ns: string) => moduleOf(ns), namespaceOf: (m: string) => namespaceOf(m) };

beforeAll(async () => { model = await loadYangModel(); });
afterAll(() => model.context.destroy());

function operational(descriptions: Record<string, string>, serverStatus = 'up'): string {
  const neighbors = ['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((a, i) =>
    `<neighbor><address>${a}</address><remote-as>${65001 + i}</remote-as>${descriptions[a] ? `<description>${descriptions[a]}</description>` : ''}` +
    `<state><session-state>idle</session-state></state></neighbor>`).join('');
  return `<bgp xmlns="${BMPD_NS}"><as-number>65000</as-number><bmp><server><id>1</id><address>127.0.1.1</address><port-number>8000</port-number>` +
    `<state><status>${serverStatus}</status></state></server></bmp>${neighbors}</bgp>`;
}

/** A view over `state()`, recording the filter of every read. */
function viewOf(filter: EvaluationFilter, state: () => string): { view: SelectionView; reads: EvaluationFilter[] } {
  const reads: EvaluationFilter[] = [];
  const view = new SelectionView({
    context: model.context, filter, moduleOf, namespaceOf,
    read: (f) => {
      reads.push(f);
      const tree: DataTree = model.context.parseData(state(), { format: 'xml', validate: false, strict: true });
      try {
        if (f === undefined) return Promise.resolve(tree.print({ format: 'xml' }));
        if (f.xpath === null) return Promise.resolve('');
        const selected = tree.select(f.xpath, f.namespaces as Record<string, string>);
        try { return Promise.resolve(selected.print({ format: 'xml' })); } finally { selected.free(); }
      } finally {
        tree.free();
      }
    },
    edits: (changes, after) => patchEdits(changes, after, namespaceOf,
      (c) => onChangeReportable(c.schemaPath), new Set()),
  });
  return { view, reads };
}

/** The netconf-config-change the server publishes for the change from `before` to `after` (configuration XML). */
function configChange(before: string, after: string): NotificationEvent {
  const parse = (xml: string) => model.context.parseData(`<bgp xmlns="${BMPD_NS}"><as-number>65000</as-number>${xml}</bgp>`, { format: 'xml', validate: false, strict: true });
  const a = parse(before);
  const b = parse(after);
  const diff = a.diff(b);
  try {
    return configChangeEvent(null, diff.changes(), namespaceOf);
  } finally {
    diff.free();
    a.free();
    b.free();
  }
}
const neighbor = (address: string, more = '') => `<neighbor><address>${address}</address><remote-as>65001</remote-as>${more}</neighbor>`;

describe('what a change touched', () => {
  it('a neighbor\'s own configuration or session state names that neighbor; anything else is everything', () => {
    const two = neighbor('127.0.0.2') + neighbor('127.0.0.3');
    expect(affectedBy(configChange(two, neighbor('127.0.0.2') + neighbor('127.0.0.3', '<description>x</description>')))).toEqual(new Set(['127.0.0.3']));
    expect(affectedBy(configChange(two, neighbor('127.0.0.2', '<shutdown/>') + neighbor('127.0.0.4')))).toEqual(new Set(['127.0.0.2', '127.0.0.3', '127.0.0.4']));
    expect(affectedBy(configChange(two, `${two}<bmp><server><id>1</id><address>127.0.1.1</address><port-number>8000</port-number></server></bmp>`))).toBe('all');
    expect(affectedBy(configChange(two, `<router-id>1.2.3.4</router-id>${two}`))).toBe('all');
    expect(affectedBy({ name: 'bgp-neighbor-state-change', xml: `<bgp-neighbor-state-change xmlns="${BMPD_NS}"><address>127.0.0.2</address><state>established</state></bgp-neighbor-state-change>` }))
      .toEqual(new Set(['127.0.0.2']));
    expect(affectedBy({ name: 'bgp-neighbor-state-change', xml: `<bgp-neighbor-state-change xmlns="${BMPD_NS}"><address>127.0.0.2</address><vrf>red</vrf></bgp-neighbor-state-change>` })).toBe('all');
    expect(affectedBy({ name: 'bmp-server-state-change', xml: '<bmp-server-state-change/>' })).toBe('all');
  });

  it('a plain selection is narrowed to the neighbors\' entries, kept predicates and all; others are not', () => {
    const ns = { b: BMPD_NS };
    const one = new Set(['127.0.0.3']);
    expect(narrowToNeighbors({ xpath: '/b:bgp/b:neighbor[b:remote-as != 5]/b:state', namespaces: ns }, one, names))
      .toEqual({ xpath: "/b:bgp/b:neighbor[b:remote-as != 5][b:address='127.0.0.3']/b:state", namespaces: ns });
    expect(narrowToNeighbors({ xpath: '/b:bgp', namespaces: ns }, one, names))
      .toEqual({ xpath: "/b:bgp/b:neighbor[b:address='127.0.0.3']", namespaces: ns });
    expect(narrowToNeighbors(undefined, one, names))
      .toEqual({ xpath: "/bmpd:bgp/bmpd:neighbor[bmpd:address='127.0.0.3']", namespaces: { bmpd: BMPD_NS } });
    expect(narrowToNeighbors({ xpath: '/b:bgp/b:as-number | /b:bgp/b:bmp', namespaces: ns }, one, names)).toBe('disjoint');
    expect(narrowToNeighbors({ xpath: '//b:neighbor', namespaces: ns }, one, names)).toBeNull();
    const many = (n: number) => new Set(Array.from({ length: n }, (_, i) => `127.0.1.${i}`));
    expect(narrowToNeighbors({ xpath: '/b:bgp/b:neighbor', namespaces: ns }, many(64), names)).not.toBeNull();
    expect(narrowToNeighbors({ xpath: '/b:bgp/b:neighbor', namespaces: ns }, many(65), names)).toBeNull();
    expect(narrowToNeighbors({ xpath: '/b:bgp/b:neighbor[count(../b:neighbor) > 1] | /b:bgp/*', namespaces: ns }, one, names)).toBeNull();
  });
});

describe('SelectionView', () => {
  it('a neighbor\'s change reads only its entry and yields the same edits a full read would', async () => {
    let descriptions: Record<string, string> = {};
    const filter = { xpath: '/b:bgp/b:neighbor', namespaces: { b: BMPD_NS } };
    const { view, reads } = viewOf(filter, () => operational(descriptions));
    const full = viewOf(filter, () => operational(descriptions));
    await view.refresh();
    await full.view.refresh();
    descriptions = { '127.0.0.3': 'peer three' };
    view.markChanged(new Set(['127.0.0.3']));
    full.view.markChanged('all');
    await view.refresh();
    await full.view.refresh();
    expect(reads.at(-1)?.xpath).toBe("/b:bgp/b:neighbor[b:address='127.0.0.3']");
    expect(view.editsSince(0)).toEqual(full.view.editsSince(0));
    expect(view.editsSince(0)).toEqual([expect.objectContaining({ operation: 'create', target: '/bmpd:bgp/neighbor=127.0.0.3/description' })]);
    // The view holds the new value: the next change of that neighbor is a replace.
    descriptions = { '127.0.0.3': 'peer 3' };
    view.markChanged(new Set(['127.0.0.3']));
    await view.refresh();
    expect(view.editsSince(1)).toEqual([expect.objectContaining({ operation: 'replace', target: '/bmpd:bgp/neighbor=127.0.0.3/description' })]);
    expect(view.tree.print({ format: 'xml' })).toContain('<description>peer 3</description>');
    view.close();
    full.view.close();
  });

  it('a change the selection cannot hold is not read; an unnarrowable one reads the whole selection', async () => {
    let status = 'up';
    const { view, reads } = viewOf({ xpath: '/b:bgp/b:bmp', namespaces: { b: BMPD_NS } }, () => operational({}, status));
    await view.refresh();
    view.markChanged(new Set(['127.0.0.3']));
    await view.refresh();
    expect(reads.length).toBe(1);
    expect(view.version).toBe(0);
    status = 'down';
    view.markChanged('all');
    await view.refresh();
    expect(reads.length).toBe(2);
    expect(reads[1]?.xpath).toBe('/b:bgp/b:bmp');
    expect(view.editsSince(0)).toEqual([expect.objectContaining({ operation: 'replace', target: '/bmpd:bgp/bmp/server=1/state/status' })]);
    view.close();
  });

  it('a deleted neighbor is one delete edit; edits since an old version are joined, and none are kept forever', async () => {
    let present = true;
    const state = () => present ? operational({}) : operational({}).replace(/<neighbor><address>127\.0\.0\.4<\/address>.*?<\/neighbor>/, '');
    const { view } = viewOf({ xpath: '/b:bgp/b:neighbor', namespaces: { b: BMPD_NS } }, state);
    await view.refresh();
    present = false;
    view.markChanged(new Set(['127.0.0.4']));
    await view.refresh();
    expect(view.editsSince(0)).toEqual([expect.objectContaining({ operation: 'delete', target: '/bmpd:bgp/neighbor=127.0.0.4' })]);
    for (let i = 0; i < 70; i++) {
      present = !present;
      view.markChanged(new Set(['127.0.0.4']));
      await view.refresh();
    }
    expect(view.version).toBe(71);
    expect(view.editsSince(70)).toHaveLength(1);
    expect(view.editsSince(0)).toBeNull();
    view.close();
  });
});
