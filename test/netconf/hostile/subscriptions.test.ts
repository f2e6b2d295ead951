// Issue 14: what a hostile YANG-push subscriber costs everyone else. One session holds 32 on-change
// subscriptions with 32 distinct filters, each selecting every one of 1,000 neighbors, while another
// session changes a neighbor every 100 ms. Unbounded, every change cost 32 full evaluations queued in
// the evaluation workers in front of everyone's reads, and 32 parses and diffs of the whole selection
// on the main thread. Bounded (src/netconf/subscriptions/fair-share.ts, selection-view.ts), the probe
// session's <get-config> is answered within 1 s throughout, the agent's memory stays bounded, and the
// hostile subscriber still gets its updates, coalesced.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SUBSCRIPTIONS_PER_SESSION } from '../../../src/netconf/subscriptions/subscriptions.js';
import { rpcXml, type NcTestClient } from '../nc-client.js';
import { BMPD_NS, ok, Probe, PROBE_BOUND_MS, RssGrowth, startHostileAgent, type HostileAgent } from './harness.js';

const MiB = 2 ** 20;
const NEIGHBORS = 1000;
const SN = 'urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications';
const YP = 'urn:ietf:params:xml:ns:yang:ietf-yang-push';
const address = (i: number) => `127.1.${(i >> 8) & 255}.${i & 255}`;

function thousandNeighbors(): string {
  const entries: string[] = [];
  for (let i = 0; i < NEIGHBORS; i++) entries.push(`<neighbor><address>${address(i)}</address><remote-as>${64512 + i}</remote-as><shutdown/></neighbor>`);
  return `<bgp xmlns="${BMPD_NS}"><as-number>65000</as-number>${entries.join('')}</bgp>`;
}

let agent: HostileAgent;
beforeAll(async () => { agent = await startHostileAgent([], thousandNeighbors()); }, 120_000);
afterAll(async () => agent?.stop());

/** The rpc-reply to `xml`, counting the notifications that arrive before it. */
async function rpcAmidNotifications(client: NcTestClient, xml: string, seen: { notifications: number }): Promise<string> {
  client.send(xml);
  for (;;) {
    const message = await client.nextMessage(60_000);
    if (!message.includes('<notification')) return message;
    seen.notifications++;
  }
}

describe('a hostile YANG-push subscriber', () => {
  it('32 on-change subscriptions with distinct filters over 1,000 neighbors under steady changes: the probe is answered within 1 s, memory bounded', async () => {
    const rss = RssGrowth.start(agent);
    const probe = await Probe.start(agent);
    const hostile = await agent.session();
    const writer = await agent.session();
    const seen = { notifications: 0 };
    let changes = 0;
    let growth: number;
    try {
      for (let i = 0; i < MAX_SUBSCRIPTIONS_PER_SESSION; i++) {
        const reply = await rpcAmidNotifications(hostile, rpcXml(`s${i}`, `<establish-subscription xmlns="${SN}">` +
          `<datastore xmlns="${YP}" xmlns:ds="urn:ietf:params:xml:ns:yang:ietf-datastores">ds:operational</datastore>` +
          `<datastore-xpath-filter xmlns="${YP}" xmlns:b="${BMPD_NS}">/b:bgp/b:neighbor[b:remote-as != ${i}]</datastore-xpath-filter>` +
          `<on-change xmlns="${YP}"><sync-on-start>false</sync-on-start></on-change></establish-subscription>`), seen);
        expect(reply).toMatch(/<id [^>]*>\d+<\/id>/);
      }
      // Steady changes: one neighbor every 100 ms for 6 s, sent without waiting for their replies (the
      // changes keep coming however slow the agent gets); every one must have been applied after.
      const end = performance.now() + 6_000;
      while (performance.now() < end) {
        const k = changes++;
        writer.send(rpcXml(`w${k}`, `<edit-config><target><running/></target><config><bgp xmlns="${BMPD_NS}"><neighbor>` +
          `<address>${address(k % NEIGHBORS)}</address><description>change ${k}</description></neighbor></bgp></config></edit-config>`));
        await new Promise((r) => setTimeout(r, 100));
      }
      for (let k = 0; k < changes; k++) ok(await writer.nextMessage(60_000));
      // What the hostile session was sent meanwhile (its client buffers it all).
      const drain = await rpcAmidNotifications(hostile, rpcXml('last', '<get-config><source><running/></source><filter type="subtree">' +
        `<bgp xmlns="${BMPD_NS}"><as-number/></bgp></filter></get-config>`), seen);
      expect(drain).toContain('<as-number>65000</as-number>');
    } finally {
      growth = rss.stop();
      hostile.end();
      writer.end();
    }
    const probeMax = await probe.stop();
    expect(changes).toBeGreaterThan(40);
    expect(probe.latencies.length).toBeGreaterThan(50);
    expect(probeMax).toBeLessThan(PROBE_BOUND_MS);
    expect(growth).toBeLessThan(300 * MiB);
    // The hostile subscriber is still served, within its share (its 32 selections take turns).
    expect(seen.notifications).toBeGreaterThan(0);
  }, 180_000);
});
