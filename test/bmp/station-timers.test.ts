import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StationSession, type StationConfig } from '../../src/bmp/station.js';
import { ManualClock } from '../../src/bmp/testing/manual-clock.js';
import { freePort } from '../bgp/integration/daemons.js';
import { TestCollector, sleep, until } from '../support/collector.js';

// Loopback range of this test file: 127.0.5.20-29. Timers run on a manual
// clock; connections are real.
const HOST = '127.0.5.20';

let collector: TestCollector;
let clock: ManualClock;
const stations: StationSession[] = [];

beforeEach(async () => {
  collector = await TestCollector.start(HOST);
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
  const before = collector.sessions.length;
  clock.advance(advanceMs);
  await until(() => s.status === 'up' && collector.sessions.length === before + 1, 'session up');
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
    expect(collector.sessions).toHaveLength(0);
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
    expect(collector.sessions).toHaveLength(1);
    await bringUp(s, 1);
    expect(s.state().tcb).not.toBe(firstTcb);
    expect(s.state().connectionAttempts).toBe(2);
  });

  it('flapping-delay: the second consecutive failure waits flapping-delay, and every later one', async () => {
    const s = station();
    s.start();
    await bringUp(s, 20_000);
    await collectorDrops(s); // failure 1
    expect(s.state()).toMatchObject({ nextAttemptInMs: 40_000, consecutiveFailures: 1, flapping: false });
    await bringUp(s, 40_000);
    clock.advance(119_999); // up just under flapping-delay: not stable
    await collectorDrops(s); // failure 2
    expect(s.state()).toMatchObject({ flapping: true, nextAttemptInMs: 120_000, consecutiveFailures: 2 });
    clock.advance(119_999);
    await sleep(100);
    expect(collector.sessions).toHaveLength(2);
    await bringUp(s, 1);
    await collectorDrops(s); // failure 3: still flapping, the session did not last
    expect(s.state()).toMatchObject({ nextAttemptInMs: 120_000, consecutiveFailures: 3 });
  });

  it('flapping-delay: failures however far apart count until a session stays up flapping-delay seconds', async () => {
    const s = station();
    s.start();
    await bringUp(s, 20_000);
    await collectorDrops(s); // failure 1
    await bringUp(s, 40_000);
    clock.advance(100_000); // 140 s after the first failure, but this session is not stable yet
    await collectorDrops(s);
    expect(s.state()).toMatchObject({ consecutiveFailures: 2, flapping: true, nextAttemptInMs: 120_000 });
  });

  it('flapping-delay: a session up for flapping-delay seconds is stable and clears the failure history', async () => {
    const s = station();
    s.start();
    await bringUp(s, 20_000);
    await collectorDrops(s);
    await bringUp(s, 40_000);
    await collectorDrops(s);
    expect(s.state().flapping).toBe(true);
    await bringUp(s, 120_000);
    clock.advance(119_999);
    expect(s.state()).toMatchObject({ flapping: true, consecutiveFailures: 2 });
    clock.advance(1);
    expect(s.state()).toMatchObject({ flapping: false, consecutiveFailures: 0 });
    await collectorDrops(s);
    expect(s.state().nextAttemptInMs).toBe(40_000);
  });

  it('a changed flapping-delay is the stable period of the next session', async () => {
    const s = station();
    s.start();
    await bringUp(s, 20_000);
    await collectorDrops(s);
    s.updateConfig({ id: 1, address: HOST, port: collector.port, dscp: 0, updateSource: null, initialDelay: 20, failureRetryDelay: 40, flappingDelay: 60 });
    await bringUp(s, 40_000);
    clock.advance(60_000);
    expect(s.state()).toMatchObject({ consecutiveFailures: 0 });
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
    expect(s.state()).toMatchObject({ flapping: true, nextAttemptInMs: 120_000, consecutiveFailures: 2 });
  });

  it('reset connects again at once, counts no flap and no failure', async () => {
    const s = station();
    const downs: string[] = [];
    s.on('down', (d) => downs.push(d.reason));
    s.start();
    await bringUp(s, 20_000);
    s.reset(2, 'buffer limit reached');
    await until(() => s.status === 'up' && collector.sessions.length === 2, 'reconnected without moving the clock');
    expect(downs).toEqual(['reset']);
    expect(s.state()).toMatchObject({ flaps: 0, consecutiveFailures: 0, connectionAttempts: 2 });
    expect(collector.sessions[0]!.messages.at(-1)).toEqual({ type: 'termination', information: [{ kind: 'reason', reason: 2 }, { kind: 'string', text: 'buffer limit reached' }] });
  });

  it('reset while waiting for the next attempt makes it now', async () => {
    const s = station();
    s.start();
    expect(s.state().nextAttemptInMs).toBe(20_000);
    s.reset(0, 'reset by operator');
    await until(() => s.status === 'up' && collector.sessions.length === 1, 'connected without moving the clock');
  });

  it('after a reset, a failed reconnection retries after 1, 2, 4, 8 and 16 s, then the failure timers take over', async () => {
    const s = station();
    s.start();
    await bringUp(s, 20_000);
    await collector.close(); // nobody listens any more: every attempt is refused
    s.reset(2, 'buffer limit reached');
    const waits: number[] = [];
    for (let attempt = 2; attempt <= 7; attempt++) {
      await until(() => s.state().connectionAttempts === attempt && s.state().nextAttemptInMs !== null, `attempt ${attempt} fails`);
      waits.push(s.state().nextAttemptInMs!);
      clock.advance(s.state().nextAttemptInMs!);
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16_000, 40_000]);
    expect(s.state()).toMatchObject({ consecutiveFailures: 1, flaps: 0 });
    collector = await TestCollector.start(HOST); // afterEach closes it
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
    expect(collector.sessions).toHaveLength(0);
  });
});
