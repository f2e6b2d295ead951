import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serializeParts, type BmpMessage, routeMonitoringHeader } from '../../src/bmp/codec/index.js';
import { StationSession, type StationConfig, type StationOptions } from '../../src/bmp/station.js';
import { bgpNotification, bgpOpen, bgpUpdate, perPeerHeader } from '../../src/bmp/testing/test-buffers.js';
import { interfaceAddress } from '../../src/net/interfaces.js';
import { startCapture } from '../net/capture.js';
import { TestCollector, sleep, until, type CollectorSession } from '../support/collector.js';

// Loopback range of this test file: 127.0.5.30-39 (collector .30, update-source .31). Real clock, short delays.
const HOST = '127.0.5.30';
const SOURCE = '127.0.5.31';

const peer = perPeerHeader({ address: '127.0.3.1' });

let collector: TestCollector;
const stations: StationSession[] = [];
beforeEach(async () => {
  collector = await TestCollector.start(HOST);
});
afterEach(async () => {
  await Promise.all(stations.splice(0).map((s) => s.stop()));
  await collector.close();
});

function station(config: Partial<StationConfig> = {}, options: Partial<StationOptions> = {}): StationSession {
  const s = new StationSession(
    { id: 1, address: HOST, port: collector.port, dscp: 5, updateSource: SOURCE, initialDelay: 0.01, failureRetryDelay: 0.2, flappingDelay: 1, ...config },
    { sysName: 'bmpd-1', sysDescr: 'bmpd station test', closeTimeoutMs: 300, ...options },
  );
  s.on('error', () => undefined);
  stations.push(s);
  return s;
}

async function up(s: StationSession): Promise<void> {
  const before = collector.sessions.length;
  s.start();
  await until(() => s.status === 'up' && collector.sessions.length > before, 'station up');
}

/**
 * `s` up with its Initiation delivered, then the collector stops reading that session; and a
 * Route Monitoring message of 1,000 prefixes (its header and UPDATE) to fill the queue with.
 */
async function stalledSession(s: StationSession): Promise<{ first: CollectorSession; header: Buffer; update: Buffer }> {
  await up(s);
  await until(() => collector.last!.messages.length === 1, 'Initiation');
  const first = collector.last!;
  first.socket.pause();
  const update = bgpUpdate({ prefixes: Array.from({ length: 1000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`), nextHop: '127.0.3.1', asPath: [65030] });
  return { first, header: routeMonitoringHeader(peer, update.length), update };
}

describe('StationSession with a real collector', () => {
  it('Initiation first, then queued messages in order, then Termination on stop', async () => {
    const s = station();
    await up(s);
    const update = bgpUpdate({ prefixes: ['203.0.113.0/24'], nextHop: '127.0.3.1', asPath: [65030] });
    const sent: BmpMessage[] = [
      { type: 'peerUp', peer, localAddress: '127.0.5.31', localPort: 179, remotePort: 40000, sentOpen: bgpOpen({ asn: 65000, bgpId: '127.0.5.31' }), receivedOpen: bgpOpen({ asn: 65030, bgpId: '127.0.3.1' }), information: [] },
      { type: 'routeMonitoring', peer, update },
      { type: 'statisticsReport', peer, stats: [{ kind: 'counter', statType: 0, value: 3 }, { kind: 'gauge', statType: 7, value: 1n }] },
      { type: 'peerDown', peer, down: { reason: 'remoteNotification', notification: bgpNotification(6, 2) } },
    ];
    let written = 0;
    for (const m of sent) expect(s.send(serializeParts(m), () => written++)).toBe(true);
    // The hot path: a prebuilt header plus the UPDATE, shared with other stations.
    expect(s.send([routeMonitoringHeader(peer, update.length), update])).toBe(true);
    await s.stop(4, 'server removed');
    await until(() => collector.last!.closed, 'collector sees the close');
    const got = collector.last!.messages;
    expect(got.map((m) => m.type)).toEqual(['initiation', 'peerUp', 'routeMonitoring', 'statisticsReport', 'peerDown', 'routeMonitoring', 'termination']);
    expect(got.slice(1, 5)).toEqual(sent);
    expect(got[6]).toEqual({ type: 'termination', information: [{ kind: 'reason', reason: 4 }, { kind: 'string', text: 'server removed' }] });
    expect(written).toBe(4);
    const st = s.state();
    expect(st.messagesSent).toBe(7);
    expect(st.bytesSent).toBe(collector.last!.bytes);
    expect(st.lastStatisticsAt).not.toBeNull();
    expect(st.status).toBe('down');
  });

  it('binds to the update-source address and marks the SYN with the DSCP (tshark)', async () => {
    const cap = await startCapture({ filter: `tcp port ${collector.port}`, fields: ['ip.src', 'ip.dsfield.dscp', 'tcp.flags.syn', 'tcp.flags.ack'] });
    const s = station({ dscp: 46 });
    await up(s);
    expect(collector.last!.socket.remoteAddress).toBe(SOURCE);
    expect(s.state().localAddress).toBe(SOURCE);
    const rows = await cap.stop();
    const syn = rows.find((r) => r[2] === '1' && r[3] === '0');
    expect(syn, JSON.stringify(rows)).toEqual([SOURCE, '46', '1', '0']);
  });

  it('a collector that stops reading causes backpressure at the high-water mark, and drain once it reads again', async () => {
    const highWater = 1024 * 1024;
    const s = station({}, { highWaterBytes: highWater, maxQueueBytes: 64 * 1024 * 1024 });
    await up(s);
    await until(() => collector.last!.messages.length === 1, 'Initiation');
    collector.last!.socket.pause();
    const events: string[] = [];
    let queuedAtBackpressure = -1;
    s.on('backpressure', (q) => {
      events.push('backpressure');
      queuedAtBackpressure = q;
    });
    s.on('drain', (q) => events.push(`drain ${q <= highWater / 2}`));
    const update = bgpUpdate({ prefixes: Array.from({ length: 1000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`), nextHop: '127.0.3.1', asPath: [65030] });
    const header = routeMonitoringHeader(peer, update.length);
    let sent = 0;
    // Send until the station pushes back; the kernel's socket buffers absorb the first megabytes.
    while (!events.includes('backpressure')) {
      expect(s.send([header, update])).toBe(true);
      sent++;
      if (sent % 50 === 0) await sleep(5);
      if (sent > 20_000) throw new Error('no backpressure');
    }
    expect(queuedAtBackpressure).toBeGreaterThanOrEqual(highWater);
    expect(queuedAtBackpressure).toBeLessThan(highWater + header.length + update.length);
    expect(s.state().queuedBytes).toBe(queuedAtBackpressure);
    collector.last!.socket.resume();
    await until(() => events.includes('drain true'), 'drain', 10_000);
    await until(() => collector.last!.messages.length === 1 + sent, 'every message delivered', 10_000);
    expect(events).toEqual(['backpressure', 'drain true']);
  });

  it('overflow: the default policy resets with Termination out-of-resources and reconnects', async () => {
    const s = station({}, { highWaterBytes: 256 * 1024, maxQueueBytes: 1024 * 1024 });
    const downs: string[] = [];
    s.on('down', (d) => downs.push(d.reason));
    const { first, header, update } = await stalledSession(s);
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      if (!s.send([header, update])) break;
      accepted++;
      if (i % 50 === 0) await sleep(2);
    }
    expect(s.state().queuedBytes).toBeLessThanOrEqual(1024 * 1024);
    expect(s.send([header, update])).toBe(false); // dropped while the reset is under way
    // The stuck collector never takes the Termination: the close times out and the station
    // connects again at once (bmpd's buffer is not the collector's failure: no flap).
    await until(() => collector.sessions.length === 2 && s.status === 'up', 'reconnected', 10_000);
    expect(downs).toEqual(['reset']);
    expect(s.state()).toMatchObject({ flaps: 0, consecutiveFailures: 0 });
    first.socket.resume();
    await until(() => first.closed, 'first session closed');
    // What the first collector session did receive is well framed (the decoder would have thrown otherwise).
    expect(first.messages.length).toBeGreaterThan(1);
    expect(first.messages.length).toBeLessThanOrEqual(1 + accepted);
    await until(() => collector.last!.messages.length === 1, 'fresh Initiation');
    expect(collector.last!.messages[0]!.type).toBe('initiation');
  });

  it('a bound changed at run time reaches the session already open (buffer-size is read at every message)', async () => {
    let bound = 256 * 1024;
    const overflows: number[] = [];
    const s = station({}, { highWaterBytes: () => bound, maxQueueBytes: () => bound, onOverflow: (st) => overflows.push(st.queuedBytes) });
    await up(s);
    await until(() => collector.last!.messages.length === 1, 'Initiation');
    collector.last!.socket.pause();
    const update = bgpUpdate({ prefixes: Array.from({ length: 1000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`), nextHop: '127.0.3.1', asPath: [65030] });
    const header = routeMonitoringHeader(peer, update.length);
    const size = header.length + update.length;
    /** Sends while the next message fits under `limit` (the kernel's socket buffers absorb the first megabytes). */
    const fillTo = async (limit: number): Promise<void> => {
      for (let sent = 1; s.state().queuedBytes + size <= limit; sent++) {
        expect(s.send([header, update])).toBe(true);
        if (sent % 50 === 0) await sleep(5);
        if (sent > 40_000) throw new Error('the queue does not grow');
      }
    };
    await fillTo(256 * 1024);
    bound = 1024 * 1024; // raised: the open session takes four times as much
    await fillTo(1024 * 1024);
    expect(s.state().queuedBytes).toBeGreaterThan(1024 * 1024 - size);
    expect(overflows).toEqual([]);
    bound = 512 * 1024; // lowered below what is queued: the next message overflows
    expect(s.send([header, update])).toBe(false);
    expect(overflows).toHaveLength(1);
  });

  it('messages-sent counts what was written, never what a reset dropped', async () => {
    const s = station({}, { highWaterBytes: 1024 * 1024, maxQueueBytes: 1024 * 1024 });
    const { first, header, update } = await stalledSession(s);
    let queued = 1; // the Initiation
    for (let i = 0; s.state().queuedBytes < 512 * 1024; i++) {
      expect(s.send([header, update])).toBe(true);
      queued++;
      if (i % 50 === 0) await sleep(5);
    }
    s.reset(2, 'buffer limit reached');
    first.socket.resume();
    await until(() => first.closed && collector.sessions.length === 2 && collector.last!.messages.length === 1, 'first session drained, second has its Initiation');
    // Every message of the first session the collector got (Termination included), plus the new Initiation.
    expect(s.state().messagesSent).toBe(first.messages.length + 1);
    expect(first.messages.length).toBeLessThan(queued + 1);
    expect(first.messages.at(-1)!.type).toBe('termination');
  });

  it('overflow: a reset while the collector still reads delivers Termination reason 2 right behind the last complete message', async () => {
    let overflowCalls = 0;
    const s = station({}, {
      highWaterBytes: 64 * 1024,
      maxQueueBytes: 128 * 1024,
      onOverflow: (st) => {
        overflowCalls++;
        st.reset(2, 'out of resources');
      },
    });
    await up(s);
    const update = bgpUpdate({ prefixes: Array.from({ length: 1000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`), nextHop: '127.0.3.1', asPath: [65030] });
    const header = routeMonitoringHeader(peer, update.length);
    const first = collector.last!;
    // Synchronous burst: nothing drains between sends, so the queue overflows although the collector reads.
    let n = 0;
    while (s.send([header, update])) n++;
    expect(overflowCalls).toBe(1);
    await until(() => first.closed, 'first session closed');
    const types = first.messages.map((m) => m.type);
    expect(types[0]).toBe('initiation');
    expect(types[types.length - 1]).toBe('termination');
    expect(first.messages[first.messages.length - 1]).toEqual({ type: 'termination', information: [{ kind: 'reason', reason: 2 }, { kind: 'string', text: 'out of resources' }] });
    expect(types.length - 2).toBeLessThanOrEqual(n);
  });

  it('a collector killed mid-stream: down, then reconnect after failure-retry-delay', async () => {
    const s = station();
    const downs: string[] = [];
    s.on('down', (d) => downs.push(d.reason));
    await up(s);
    for (let i = 0; i < 100; i++) s.send(serializeParts({ type: 'statisticsReport', peer, stats: [{ kind: 'counter', statType: 1, value: i }] }));
    collector.last!.socket.destroy();
    const downAt = Date.now();
    await until(() => downs.length === 1, 'down');
    expect(s.state().nextAttemptInMs).toBeGreaterThan(100);
    await until(() => collector.sessions.length === 2 && s.status === 'up', 'reconnect');
    expect(Date.now() - downAt).toBeGreaterThanOrEqual(190);
    await until(() => collector.last!.messages.length === 1, 'Initiation on the new session');
    expect(collector.last!.messages[0]!.type).toBe('initiation');
    expect(s.state().connectionAttempts).toBe(2);
  });

  it('logs the seed debug lines on topic server', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    const logger = pino({ level: 'debug' }, sink);
    const s = station({}, { logger });
    await up(s);
    await sleep(20);
    const t = `${HOST}/${collector.port}`;
    const msgs = lines.filter((l) => l.topic === 'server').map((l) => l.msg);
    expect(msgs).toEqual([
      `BMP server connection attempt timer expired for server 1 - ${t}`,
      `BMP server 1 active open process success - ${t}`,
      'TCP KA interval is set to 15',
      `Register read/write notification callbacks with BMP server 1 TCB - ${t}`,
      `Initiation msg sent to BMP server 1 - ${t}`,
      `BMP server 1 connection - ${t} up, invoke refresh event`,
    ]);
    expect(lines.every((l) => l.server === 1)).toBe(true);
  });
});

describe('interfaceAddress', () => {
  it('resolves lo to its IPv4 address, IPv6 on request, and null for an unknown interface', () => {
    expect(interfaceAddress('lo')).toBe('127.0.0.1');
    expect(interfaceAddress('lo', 6)).toBe('::1');
    expect(interfaceAddress('no-such-if0')).toBeNull();
  });
});
