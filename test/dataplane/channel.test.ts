// The data plane's message channel (src/dataplane/): replies find their request, errors thrown in
// the data plane reach the caller with their name and message, events and replies arrive in the
// order the data plane sent them, and a data plane that is gone fails every request instead of
// leaving it pending. The real host (speaker and engine, idle) is driven both inline and in its
// worker thread (dist/, built by `npm test`'s pretest).
import { MessageChannel, threadId, type Worker } from 'node:worker_threads';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { IDLE_SPEAKER } from '../../src/agent/reconciler.js';
import { DataPlaneError, NEIGHBORS_PER_MESSAGE, type DataPlaneEvent, type DataPlaneMessage, type DataPlaneRequest, type RequestMessage } from '../../src/dataplane/channel.js';
import { ChannelClient, applySpeakerConfig, startDataPlane, type DataPlane, type DataPlaneMode } from '../../src/dataplane/data-plane.js';
import { neighborConfig } from '../bgp/integration/neighbor-config.js';

const logger = pino({ level: 'silent' });
let plane: DataPlane | null = null;
afterEach(async () => {
  await plane?.stop();
  plane = null;
});

describe.each<DataPlaneMode>(['inline', 'worker'])('the %s data plane', (mode) => {
  it('runs on the thread its mode says', async () => {
    plane = await startDataPlane({ mode, logger, sysName: 'r1', sysDescr: 'test' });
    if (mode === 'inline') expect(plane.threadId).toBe(threadId);
    else expect(plane.threadId).not.toBe(threadId);
  });

  it('gives each of several concurrent requests its own reply', async () => {
    plane = await startDataPlane({ mode, logger, sysName: 'r1', sysDescr: 'test' });
    const running = { bgp: true, bufferSizeConfigured: null, servers: [], neighbors: [] };
    const replies = await Promise.all([
      plane.request({ op: 'set-debug', enable: ['event', 'server'], disable: [] }),
      plane.request({ op: 'reset-server', server: 7 }),
      plane.request({ op: 'oper-state', running }),
      plane.request({ op: 'clear-counters', server: 3 }),
      plane.request({ op: 'reset-neighbor', neighbor: '127.0.9.9', soft: false }),
      plane.request({ op: 'set-debug', enable: [], disable: ['event'] }),
    ]);
    expect(replies[0]).toEqual(['event', 'server']);
    expect(replies[1]).toBe('not-configured');
    // The data plane kept the view: the next oper-state without one still has /bgp/bmp/state.
    expect(replies[2]).toContain('<sys-name>r1</sys-name>');
    expect(replies[2]).toContain('<topic>event</topic><topic>server</topic>');
    expect(replies[3]).toBe(false);
    expect(replies[4]).toBe(false);
    expect(replies[5]).toEqual(['server']);
    const again = await plane.request({ op: 'oper-state', running: null });
    expect(again).toContain('<servers-configured>0</servers-configured>');
    expect(again).not.toContain('<topic>event</topic>');
  });

  it('brings an error the data plane threw back to the caller, and keeps serving', async () => {
    plane = await startDataPlane({ mode, logger, sysName: 'r1', sysDescr: 'test' });
    // A configuration that is not one: the speaker throws reading it.
    const refused = plane.request({ op: 'apply-speaker-config', config: null as never });
    await expect(refused).rejects.toBeInstanceOf(DataPlaneError);
    await expect(refused).rejects.toMatchObject({ name: 'TypeError', op: 'apply-speaker-config', message: expect.stringMatching(/null/) });
    expect(await plane.request({ op: 'reset-server', server: 1 })).toBe('not-configured');
  });

  it('applies a speaker configuration of more neighbors than a message holds: sent in slices, applied whole', async () => {
    plane = await startDataPlane({ mode, logger, sysName: 'r1', sysDescr: 'test' });
    const live = plane;
    // Passive and shut down: configured, never connecting.
    const neighbors = Array.from({ length: 2 * NEIGHBORS_PER_MESSAGE + 5 }, (_, i) =>
      neighborConfig(`127.3.${i >> 8}.${i & 255}`, 65001, { passive: true, shutdown: true }));
    const config = { ...IDLE_SPEAKER, neighbors };
    const sent: string[] = [];
    const recording = {
      request: ((request: DataPlaneRequest) => {
        sent.push(request.op === 'stage-speaker-neighbors' ? `stage ${request.at}+${request.neighbors.length}` : request.op);
        return live.request(request as never);
      }) as DataPlane['request'],
    };
    await applySpeakerConfig(recording, config);
    expect(sent).toEqual([`stage 0+${NEIGHBORS_PER_MESSAGE}`, `stage ${NEIGHBORS_PER_MESSAGE}+${NEIGHBORS_PER_MESSAGE}`, `stage ${2 * NEIGHBORS_PER_MESSAGE}+5`, 'apply-speaker-config']);
    const configured = (address: string) => live.request({ op: 'reset-neighbor', neighbor: address, soft: false });
    for (const n of [neighbors[0]!, neighbors[NEIGHBORS_PER_MESSAGE]!, neighbors.at(-1)!]) expect(await configured(n.address)).toBe(true);
    expect(await configured('127.3.255.254')).toBe(false);

    // A slice that does not follow the last one, or a count that does not match, is refused; the speaker keeps what it runs.
    await expect(live.request({ op: 'stage-speaker-neighbors', at: 7, neighbors: [] })).rejects.toMatchObject({ message: expect.stringMatching(/staged from 7, but 0 are staged/) });
    await live.request({ op: 'stage-speaker-neighbors', at: 0, neighbors: neighbors.slice(0, 3) });
    await expect(live.request({ op: 'apply-speaker-config', config: { ...config, neighbors: [] }, staged: 4 })).rejects.toMatchObject({ message: expect.stringMatching(/4 staged neighbors, but 3/) });
    expect(await configured(neighbors.at(-1)!.address)).toBe(true);
    // A small configuration goes in one message, whatever was staged before.
    await live.request({ op: 'stage-speaker-neighbors', at: 0, neighbors: neighbors.slice(0, 3) });
    sent.length = 0;
    await applySpeakerConfig(recording, { ...config, neighbors: neighbors.slice(5, 6) });
    expect(sent).toEqual(['apply-speaker-config']);
    expect(await configured(neighbors[5]!.address)).toBe(true);
    expect(await configured(neighbors[0]!.address)).toBe(false);
  });

  it('fails requests after stop instead of leaving them pending', async () => {
    plane = await startDataPlane({ mode, logger, sysName: 'r1', sysDescr: 'test' });
    const stopped = plane;
    await stopped.stop();
    await expect(stopped.request({ op: 'reset-server', server: 1 })).rejects.toThrow(/not running: stopped/);
  });
});

describe('the inline data plane, on the main thread', () => {
  it('logs its start without a thread of its own and no event-loop delay line: the agent\'s monitor reports the one thread', async () => {
    const lines: Record<string, unknown>[] = [];
    const capture = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    plane = await startDataPlane({ mode: 'inline', logger: capture, sysName: 'r1', sysDescr: 'test' });
    await plane.stop();
    plane = null;
    const started = lines.filter((l) => l.msg === 'data plane started');
    expect(started).toHaveLength(1);
    expect(started[0]).not.toHaveProperty('threadId');
    // The data plane's stop line ('BMP engine stopped' and the like) came; no second monitor's.
    expect(lines.filter((l) => l.msg === 'event-loop delay')).toEqual([]);
  });
});

describe('the worker data plane, when its thread ends unasked', () => {
  it('emits exit once with the reason, and fails every later request', async () => {
    plane = await startDataPlane({ mode: 'worker', logger, sysName: 'r1', sysDescr: 'test' });
    const exits: string[] = [];
    plane.on('exit', ({ reason }) => exits.push(reason));
    // Ends the thread as a crash would, from outside: the DataPlane did not ask for it.
    await (plane as unknown as { worker: Worker }).worker.terminate();
    await new Promise((r) => setImmediate(r));
    await expect(plane.request({ op: 'reset-server', server: 1 })).rejects.toThrow(/the data plane is not running: its thread exited with code 1/);
    expect(exits).toEqual(['its thread exited with code 1']);
    await plane.stop(); // nothing left to stop: returns at once
  });
});

describe('ChannelClient', () => {
  /** A client on one end of a MessageChannel; the test plays the data plane on the other. */
  function pair() {
    const channel = new MessageChannel();
    const client = new ChannelClient(channel.port1);
    const requests: RequestMessage[] = [];
    channel.port2.on('message', (m: RequestMessage) => requests.push(m));
    const send = (m: DataPlaneMessage) => channel.port2.postMessage(m);
    const close = () => { channel.port1.close(); };
    return { client, requests, send, close };
  }
  const until = async (check: () => boolean) => { while (!check()) await new Promise((r) => setTimeout(r, 1)); };

  it('matches replies to requests by id whatever order they come in, and keeps events in the order sent', async () => {
    const { client, requests, send, close } = pair();
    const seen: string[] = [];
    client.on('event', (e: DataPlaneEvent) => seen.push(e.kind === 'neighbor-established' ? `event ${e.address}` : e.kind));
    const first = client.request({ op: 'reset-server', server: 1 }).then((v) => { seen.push(`reply 1 ${v}`); return v; });
    const second = client.request({ op: 'reset-server', server: 2 }).then((v) => { seen.push(`reply 2 ${v}`); return v; });
    await until(() => requests.length === 2);
    expect(requests.map((r) => r.request)).toEqual([{ op: 'reset-server', server: 1 }, { op: 'reset-server', server: 2 }]);
    const [r1, r2] = requests;
    send({ kind: 'event', event: { kind: 'neighbor-established', address: '127.0.1.2', vrf: null } });
    send({ kind: 'reply', id: r2!.id, ok: true, value: 'reset' });
    send({ kind: 'event', event: { kind: 'neighbor-established', address: '127.0.1.3', vrf: null } });
    send({ kind: 'reply', id: r1!.id, ok: true, value: 'not-activated' });
    expect(await Promise.all([first, second])).toEqual(['not-activated', 'reset']);
    expect(seen).toEqual(['event 127.0.1.2', 'reply 2 reset', 'event 127.0.1.3', 'reply 1 not-activated']);
    close();
  });

  it('gives a NOTIFICATION pdu back its Buffer class, and ignores a reply to no request', async () => {
    const { client, send, close } = pair();
    const events: DataPlaneEvent[] = [];
    client.on('event', (e) => events.push(e));
    const pdu = Buffer.from('ffffffffffffffffffffffffffffffff0015030602', 'hex');
    send({ kind: 'reply', id: 99, ok: true, value: 'stray' });
    send({ kind: 'event', event: { kind: 'neighbor-down', address: '127.0.1.2', vrf: 'red', reason: { kind: 'remote-notification', pdu } } });
    await until(() => events.length === 1);
    const down = events[0]!;
    expect(down.kind === 'neighbor-down' && down.reason.kind === 'remote-notification' && Buffer.isBuffer(down.reason.pdu)).toBe(true);
    expect(down).toMatchObject({ address: '127.0.1.2', vrf: 'red', reason: { pdu } });
    close();
  });

  it('fails every pending request and every later one when the data plane ends', async () => {
    const { client, requests, close } = pair();
    const pending = client.request({ op: 'oper-state', running: null });
    await until(() => requests.length === 1);
    client.end('its thread exited with code 1');
    await expect(pending).rejects.toThrow('the data plane is not running: its thread exited with code 1');
    await expect(client.request({ op: 'stop' })).rejects.toMatchObject({ op: 'stop' });
    close();
  });
});
