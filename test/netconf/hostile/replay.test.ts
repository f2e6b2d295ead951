// Issue 10: what a replay to a new subscriber costs everyone else. The replay buffer is full (the
// agent starts with BMPD_TEST_REPLAY_FILL's 100,000 synthetic events and replay-buffer-size 100000;
// the 16 MiB byte budget keeps the newest ~50,000), then two sessions replay all of it at once: one
// RFC 5277 create-subscription that reads as fast as it can, one RFC 8639 establish-subscription
// whose reader stops, then reads in short bursts, then at full speed. Meanwhile a third session
// commits, which publishes live events, and the probe's small <get-config> must be answered within
// 1 s throughout. Sent in one synchronous loop, the replay held every session for its whole length;
// and a slow RFC 8639 reader's queued output passed the suspension bound, so the rest of its replay
// was dropped. Now (src/netconf/replay.ts replayInSlices) the replay goes in ~8 ms slices and waits
// for a slow reader: every replayed event arrives once and in order, then replayComplete
// (replay-completed), then the live events held meanwhile, in order; the agent's memory stays bounded.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchDirs } from '../../support/scratch.js';
import { rpcXml, type NcTestClient } from '../nc-client.js';
import { BMPD_NS, ok, PROBE_BOUND_MS, ProcessProbe, RssGrowth, startHostileAgent, type HostileAgent } from './harness.js';

const MiB = 2 ** 20;
const FILL = 100_000;
const LIVE = 20;
const SN = 'urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications';
const NOTIFICATIONS = 'urn:ietf:params:xml:ns:netconf:notification:1.0';
const tempDir = scratchDirs();

let agent: HostileAgent;
beforeAll(async () => {
  const stateDir = tempDir('hostile-replay');
  writeFileSync(join(stateDir, 'startup.xml'), `<netconf-server xmlns="${BMPD_NS}"><replay-buffer-size>${FILL}</replay-buffer-size></netconf-server>`);
  agent = await startHostileAgent([], undefined, { stateDir, env: { BMPD_TEST_REPLAY_FILL: String(FILL) } });
}, 120_000);
afterAll(async () => agent?.stop());

/** What one subscriber saw, in arrival order: synthetic event indices, the live events' numbers (neighbor 127.0.41.k), and where replay completed. */
interface Seen {
  readonly synthetic: number[];
  readonly live: number[];
  /** Index in `order` of replayComplete / replay-completed, -1 while not seen. */
  completedAt: number;
  /** 'other': the stream's own events (session start and end, the harness's commit); 'unexpected': not a notification, or subscription-suspended. */
  readonly order: ('synthetic' | 'live' | 'other' | 'complete' | 'unexpected')[];
}

/** One notification, by plain string search (a hundred thousand of them go through the test's own thread, beside its probe). */
function classify(message: string, seen: Seen): void {
  if (!message.startsWith(`<notification xmlns="${NOTIFICATIONS}"`) || message.includes('<subscription-suspended')) {
    seen.order.push('unexpected');
    return;
  }
  const synthetic = message.indexOf("'127.2.");
  const live = message.indexOf("'127.0.41.");
  if (synthetic >= 0) {
    const [high, low] = message.slice(synthetic + 7, message.indexOf("'", synthetic + 7)).split('.');
    seen.synthetic.push(Number(high) * 256 + Number(low));
    seen.order.push('synthetic');
  } else if (live >= 0) {
    seen.live.push(Number(message.slice(live + 10, message.indexOf("'", live + 10))));
    seen.order.push('live');
  } else if (message.includes('<replayComplete') || message.includes('<replay-completed')) {
    seen.completedAt = seen.order.length;
    seen.order.push('complete');
  } else {
    seen.order.push('other');
  }
}

/** Reads notifications until `done` (or the timeout), classifying each. */
async function readUntil(client: NcTestClient, seen: Seen, done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    for (const message of await client.nextMessages(Math.max(1, deadline - performance.now()))) classify(message, seen);
  }
}

const newSeen = (): Seen => ({ synthetic: [], live: [], completedAt: -1, order: [] });

describe('replay of a full buffer to two subscribers, one of them slow', () => {
  it('is sent in slices: the probe is answered within 1 s, memory bounded, every event once and in order, then replayComplete, then the live ones', async () => {
    const rss = RssGrowth.start(agent);
    // In a process of its own: this thread decodes two replays of ~50,000 notifications each.
    const probe = await ProcessProbe.start(agent);
    const fast = await agent.session();
    const slow = await agent.session();
    const writer = await agent.session();
    const fastSeen = newSeen();
    const slowSeen = newSeen();
    let growth: number;
    try {
      ok(await fast.rpc(rpcXml('f', `<create-subscription xmlns="${NOTIFICATIONS}"><startTime>2000-01-01T00:00:00Z</startTime></create-subscription>`)));
      const established = await slow.rpc(rpcXml('s', `<establish-subscription xmlns="${SN}"><stream>NETCONF</stream>` +
        '<replay-start-time>2000-01-01T00:00:00Z</replay-start-time></establish-subscription>'));
      const id = /<id [^>]*>(\d+)<\/id>/.exec(established)?.[1];
      expect(id).toBeDefined();
      slow.channel.pause(); // the slow subscriber stops reading: SSH stops granting it window
      // Live events while both replays are under way: each commit publishes a netconf-config-change.
      for (let k = 0; k < LIVE; k++) {
        ok(await writer.rpc(rpcXml(`w${k}`, `<edit-config><target><running/></target><config><bgp xmlns="${BMPD_NS}"><neighbor>` +
          `<address>127.0.41.${k}</address><remote-as>65009</remote-as><shutdown/></neighbor></bgp></config></edit-config>`)));
      }
      const fastDone = readUntil(fast, fastSeen, () => fastSeen.live.length === LIVE, 45_000);
      // The slow one: 2 s not reading at all, then 2 s in bursts of 10 ms every 100 ms, then as fast as it can.
      await new Promise((r) => setTimeout(r, 2_000));
      // Its replay waits for it: what was sent is what SSH and the socket buffers took, not the ~50,000 events.
      const state = await writer.rpc(rpcXml('state', `<get><filter type="subtree"><subscriptions xmlns="${SN}"/></filter></get>`));
      const sentWhilePaused = Number(new RegExp(`<id>${id}</id>[\\s\\S]*?<sent-event-records>(\\d+)<`).exec(state)?.[1]);
      expect(sentWhilePaused).toBeGreaterThan(0);
      expect(sentWhilePaused).toBeLessThan(25_000);
      const slowReading = readUntil(slow, slowSeen, () => slowSeen.live.length === LIVE, 45_000);
      for (let i = 0; i < 20; i++) {
        slow.channel.resume();
        await new Promise((r) => setTimeout(r, 10));
        slow.channel.pause();
        await new Promise((r) => setTimeout(r, 90));
      }
      slow.channel.resume();
      await Promise.all([fastDone, slowReading]);
    } finally {
      growth = rss.stop();
      fast.end();
      slow.end();
      writer.end();
    }
    const probeMax = await probe.stop();
    expect(probe.latencies.length).toBeGreaterThan(20);
    expect(probeMax).toBeLessThan(PROBE_BOUND_MS);
    // Sent in one loop (and one SSH write each), two replays grew it by 191-197 MiB; sliced, by 58-75.
    expect(growth).toBeLessThan(150 * MiB);

    for (const seen of [fastSeen, slowSeen]) {
      // The buffer kept the newest synthetic events (its byte budget dropped the oldest): each once, in order, up to the last.
      // (The addresses number them modulo 65,536.)
      expect(seen.synthetic.length).toBeGreaterThan(30_000);
      const last = FILL - 1;
      expect(seen.synthetic).toEqual(Array.from(seen.synthetic, (_, i) => (last - (seen.synthetic.length - 1) + i) % 65_536));
      // Replayed events, then the completion, then the live events, once each and in order.
      const completed = seen.completedAt;
      expect(completed).toBeGreaterThan(0);
      expect(seen.order.slice(0, completed).every((kind) => kind !== 'live')).toBe(true);
      expect(seen.order.slice(completed + 1).filter((kind) => kind === 'live').length).toBe(LIVE);
      expect(seen.live).toEqual(Array.from({ length: LIVE }, (_, k) => k));
      expect(seen.order.filter((kind) => kind === 'complete').length).toBe(1);
      expect(seen.order.filter((kind) => kind === 'unexpected')).toEqual([]);
    }
  }, 120_000);
});
