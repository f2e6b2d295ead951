import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StationSession, type StationConfig } from '../../src/bmp/station.js';
import { ManualClock } from '../../src/bmp/testing/manual-clock.js';
import { freePort } from '../bgp/integration/daemons.js';
import { TestCollector, sleep, until } from './collector.js';

// Loopback range of this test file: 127.0.5.20-29. Timers run on a manual
// clock; connections are real.
const HOST = '127.0.5.20';

let collector: TestCollector;
let clock: ManualClock;
const stations: StationSession[] = [];

beforeEach(async () => {
  collector = await new TestCollector(HOST).listen();
  clock = new ManualClock();
});
afterEach(async () => {
  for (const s of stations.splice(0)) {
    const stopping = s.stop();
    clock.advance(10_000); // lets a stuck close time out
    await stopping;
  }
  await collector.close();
});

// The seed's timers: initial-delay 20, failure-retry-delay 40, flapping-delay 120.
function station(overrides: Partial<StationConfig> = {}, port = collector.port): StationSession {
  const s = new StationSession(
    { id: 1, address: HOST, port, dscp: 0, updateSource: null, initialDelay: 20, failureRetryDelay: 40, flappingDelay: 120, ...overrides },
    { sysName: 'bmpd-test', sysDescr: 'bmpd timers test', clock },
  );
  s.on('error', () => undefined);
  stations.push(s);
  return s;
}

async function bringUp(s: StationSession, advanceMs: number): Promise<void> {
  const before = collector.connections.length;
  clock.advance(advanceMs);
  await until(() => s.status === 'up' && collector.connections.length === before + 1, 'session up');
}

/** The collector drops the current session; resolves once the station noticed. */
async function collectorDrops(s: StationSession): Promise<void> {
  collector.last!.socket.destroy();
  await until(() => s.status === 'down' && s.state().nextAttemptInMs !== null, 'station down and rescheduled');
}

describe('StationSession timers (manual clock)', () => {
  it('makes the first attempt after initial-delay, not before, and sends Initiation first', async () => {
    const s = station();
    s.start();
    expect(s.state().nextAttemptInMs).toBe(20_000);
    clock.advance(19_999);
    await sleep(100);
    expect(collector.connections).toHaveLength(0);
    expect(s.state().connectionAttempts).toBe(0);
    await bringUp(s, 1);
    await until(() => collector.last!.messages.length === 1, 'Initiation');
    expect(collector.last!.messages[0]).toEqual({
      type: 'initiation',
      information: [
        { kind: 'sysDescr', text: 'bmpd timers test' },
        { kind: 'sysName', text: 'bmpd-test' },
      ],
    });
    const st = s.state();
    expect(st.connectionAttempts).toBe(1);
    expect(st.tcb).toMatch(/^0x[0-9A-F]{10}$/);
    expect(st.upSince?.getTime()).toBe(clock.now());
    expect(st.localAddress).toBe(collector.last!.socket.remoteAddress);
    expect(st.localPort).toBe(collector.last!.socket.remotePort);
  });

  it('retries after failure-retry-delay once an established session fails', async () => {
    const s = station();
    const downs: string[] = [];
    s.on('down', (d) => downs.push(d.reason));
    s.start();
    await bringUp(s, 20_000);
    const firstTcb = s.state().tcb;
    await collectorDrops(s);
    expect(downs).toHaveLength(1);
    expect(s.state()).toMatchObject({ status: 'down', tcb: '0x0', nextAttemptInMs: 40_000, flaps: 1, flapping: false });
    clock.advance(39_999);
    await sleep(100);
    expect(collector.connections).toHaveLength(1);
    await bringUp(s, 1);
    expect(s.state().tcb).not.toBe(firstTcb);
    expect(s.state().connectionAttempts).toBe(2);
  });

  it('retries after flapping-delay once the session failed three times within 3 × failure-retry-delay', async () => {
    const s = station();
    s.start();
    await bringUp(s, 20_000);
    await collectorDrops(s); // failure 1 at t0
    expect(s.state().nextAttemptInMs).toBe(40_000);
    await bringUp(s, 40_000);
    await collectorDrops(s); // failure 2 at t0+40 s
    expect(s.state().nextAttemptInMs).toBe(40_000);
    await bringUp(s, 40_000);
    await collectorDrops(s); // failure 3 at t0+80 s: within the 120 s window
    expect(s.state()).toMatchObject({ flapping: true, nextAttemptInMs: 120_000, consecutiveFailures: 3 });
    clock.advance(119_999);
    await sleep(100);
    expect(collector.connections).toHaveLength(3);
    await bringUp(s, 1);
    await collectorDrops(s); // still flapping: the session did not last
    expect(s.state().nextAttemptInMs).toBe(120_000);
  });

  it('failures spread wider than the window do not make it flap', async () => {
    const s = station();
    s.start();
    await bringUp(s, 20_000);
    await collectorDrops(s);
    await bringUp(s, 40_000);
    clock.advance(50_000); // this session lives 50 s (not yet the 120 s stable period)
    await collectorDrops(s);
    await bringUp(s, 40_000);
    await collectorDrops(s); // third failure, but the first one is 130 s old
    expect(s.state()).toMatchObject({ flapping: false, nextAttemptInMs: 40_000 });
  });

  it('forgets the flapping once a session stays up for the stable period', async () => {
    const s = station();
    s.start();
    await bringUp(s, 20_000);
    for (let i = 0; i < 3; i++) {
      await collectorDrops(s);
      if (i < 2) await bringUp(s, 40_000);
    }
    expect(s.state().flapping).toBe(true);
    await bringUp(s, 120_000);
    clock.advance(119_999);
    expect(s.state().flapping).toBe(true);
    clock.advance(1);
    expect(s.state()).toMatchObject({ flapping: false, consecutiveFailures: 0 });
    await collectorDrops(s);
    expect(s.state().nextAttemptInMs).toBe(40_000);
  });

  it('a connection attempt that fails before establishing retries after failure-retry-delay, then flapping-delay when repeated', async () => {
    const deadPort = await freePort(HOST);
    const s = station({}, deadPort);
    s.start();
    clock.advance(20_000);
    await until(() => s.state().nextAttemptInMs !== null, 'first attempt fails');
    expect(s.state()).toMatchObject({ status: 'down', connectionAttempts: 1, nextAttemptInMs: 40_000, flaps: 0 });
    expect(s.state().lastError).toMatch(/ECONNREFUSED/);
    clock.advance(40_000);
    await until(() => s.state().connectionAttempts === 2 && s.state().nextAttemptInMs !== null, 'second attempt fails');
    expect(s.state().nextAttemptInMs).toBe(40_000);
    clock.advance(40_000);
    await until(() => s.state().connectionAttempts === 3 && s.state().nextAttemptInMs !== null, 'third attempt fails');
    expect(s.state()).toMatchObject({ flapping: true, nextAttemptInMs: 120_000 });
  });

  it('stop sends Termination (admin close), closes and schedules nothing', async () => {
    const s = station();
    s.start();
    await bringUp(s, 20_000);
    await s.stop();
    await until(() => collector.last!.closed, 'collector sees the close');
    expect(collector.last!.messages.map((m) => m.type)).toEqual(['initiation', 'termination']);
    expect(collector.last!.messages[1]).toEqual({ type: 'termination', information: [{ kind: 'reason', reason: 0 }] });
    expect(s.state()).toMatchObject({ status: 'down', nextAttemptAt: null, flaps: 0 });
    expect(clock.pending).toBe(0);
    s.start(); // a stopped station stays stopped
    expect(clock.pending).toBe(0);
  });

  it('stop while waiting for the initial delay cancels the attempt', async () => {
    const s = station();
    s.start();
    await s.stop();
    clock.advance(60_000);
    await sleep(100);
    expect(collector.connections).toHaveLength(0);
  });
});
