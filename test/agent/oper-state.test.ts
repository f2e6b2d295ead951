import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataTree } from 'libyang-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runningView } from '../../src/agent/config-snapshot.js';
import { operStateXml, type OperStateInput } from '../../src/agent/oper-state.js';
import { downReasonText, type NeighborSnapshot } from '../../src/bgp/events.js';
import type { BmpEngineSnapshot, NeighborBmpSnapshot, ServerSnapshot } from '../../src/bmp/snapshot.js';
import { loadYangModel, yangDirectory, type YangModel } from '../../src/yang/model.js';

const NS = 'urn:bmpd:yang:bmpd';
const NOW = new Date('2026-11-26T12:00:00.000Z');

let model: YangModel;
let seed: DataTree;
beforeAll(async () => {
  model = await loadYangModel();
  seed = model.context.parseData(readFileSync(join(yangDirectory(), 'examples', 'seed-config-loopback.xml'), 'utf8'), { configOnly: true });
});
afterAll(() => { model.context.destroy(); });

function server(id: number, extra: Partial<ServerSnapshot> = {}): ServerSnapshot {
  return {
    id, address: `127.0.${id}.1`, port: 7000 + id * 1000, description: `SERVER${id}`, activated: true,
    status: 'up', upSince: new Date(NOW.getTime() - 3_723_000), upTimeSeconds: 3723, tcb: '0x2A98B07138',
    localAddress: '127.0.0.1', localPort: 40000 + id, messagesSent: 162, routeMonitoringSent: 120, statisticsSent: 30,
    lastStatsAt: new Date(NOW.getTime() - 12_000), lastStatsAgeSeconds: 12, connectionAttempts: 1, flaps: 0,
    consecutiveFailures: 0, nextAttemptSeconds: null, queuedBytes: 0, sessionStartup: 'route-refresh', lastError: null,
    initialDelay: 20, failureRetryDelay: 40, flappingDelay: 120, dscp: 5, statsReportingPeriod: 30, updateSource: '127.0.0.1',
    bufferResets: 0, ...extra,
  };
}

function bmpNeighbor(neighbor: string, extra: Partial<NeighborBmpSnapshot> = {}): NeighborBmpSnapshot {
  return { neighbor, established: true, priQ: 0, msgQ: 0, configuredServers: [1, 2], activeServers: [1, 2], routeMonitoringSent: 40, awaitingInitialTable: [], ...extra };
}

function engine(extra: Partial<BmpEngineSnapshot> = {}): BmpEngineSnapshot {
  return {
    serversConfigured: 2, neighborsConfigured: 10, transitionQ: 0, monitoringQ: 1, configQ: 0, statsQ: 0,
    refreshInProgress: true, refreshScheduled: false, refreshNeighbor: '127.0.4.1', initialRefresh: { kind: 'delay', seconds: 30 },
    bufferSizeBytes: 2048 * 1024 * 1024, bufferBytesUsed: 4096, backpressure: false,
    servers: [server(1), server(2, { status: 'down', upSince: null, upTimeSeconds: null, tcb: '0x0', localAddress: null, localPort: null,
      messagesSent: 0, routeMonitoringSent: 0, statisticsSent: 0, lastStatsAt: null, lastStatsAgeSeconds: null, connectionAttempts: 3,
      consecutiveFailures: 2, nextAttemptSeconds: 95, lastError: 'connection refused' })],
    neighbors: [
      bmpNeighbor('127.0.3.1', { activeServers: [2, 1] }),
      bmpNeighbor('127.0.8.1', { configuredServers: [1], activeServers: [1], priQ: 2, msgQ: 17, routeMonitoringSent: 5 }),
      bmpNeighbor('vrf1|::2', { configuredServers: [1], activeServers: [1], routeMonitoringSent: 3 }),
    ],
    ...extra,
  };
}

const counters = { open: 1, update: 0, notification: 0, keepalive: 0, routeRefresh: 0 };

function speakerNeighbor(key: string, address: string, vrf: string | null, extra: Partial<NeighborSnapshot> = {}): NeighborSnapshot {
  return {
    key, address, vrf, remoteAs: 65030, description: null, state: 'Established', adminShutdown: false,
    establishedAt: new Date(NOW.getTime() - 90_500), establishedTransitions: 3, prefixes: { 'ipv4-unicast': 1200 },
    received: { ...counters, update: 57 }, sent: counters, treatAsWithdrawUpdates: 0, treatAsWithdrawPrefixes: 0,
    lastDown: { kind: 'remote-notification', pdu: notification(6, 2), at: new Date(NOW.getTime() - 100_000) },
    negotiated: { holdTime: 90, keepaliveTime: 30 },
    capabilities: { families: ['ipv4-unicast'], routeRefresh: true, enhancedRouteRefresh: false, fourOctetAs: true },
    peerBgpId: '127.0.3.1', localAddress: '127.0.0.1', readingPaused: false, ...extra,
  };
}

function notification(code: number, subcode: number): Buffer {
  const pdu = Buffer.alloc(21, 0xff);
  pdu.writeUInt16BE(21, 16);
  pdu[18] = 3;
  pdu[19] = code;
  pdu[20] = subcode;
  return pdu;
}

function input(extra: Partial<OperStateInput> = {}): OperStateInput {
  return {
    running: runningView(seed),
    engine: engine(),
    speaker: [
      speakerNeighbor('127.0.3.1', '127.0.3.1', null),
      speakerNeighbor('127.0.7.1', '127.0.7.1', null, {
        state: 'Active', establishedAt: null, establishedTransitions: 2, prefixes: {}, negotiated: null, capabilities: null,
        peerBgpId: null, localAddress: null, lastDown: { kind: 'local-notification', pdu: notification(4, 0), at: NOW },
      }),
      speakerNeighbor('vrf1|::2', '::2', 'vrf1', { prefixes: { 'ipv6-unicast': 7 }, capabilities: { families: ['ipv6-unicast'], routeRefresh: true, enhancedRouteRefresh: true, fourOctetAs: true } }),
      // The speaker still knows a neighbor that running no longer has: no state for it.
      speakerNeighbor('127.0.99.1', '127.0.99.1', null),
    ],
    now: NOW,
    debugTopics: ['server', 'event'],
    ...extra,
  };
}

/** running + state, validated as <get> reply data; printed as JSON for assertions by path. */
function merged(xml: string): Record<string, unknown> {
  const state = model.context.parseData(xml, { validate: false, strict: true });
  const tree = seed.dup();
  tree.merge(state);
  const printed = tree.print({ format: 'xml' });
  const validated = model.context.parseData(printed, { validate: true, configOnly: false, strict: true });
  const json = JSON.parse(validated.print({ format: 'json' })) as Record<string, unknown>;
  for (const t of [state, tree, validated]) t.free();
  return json;
}

type Obj = Record<string, any>;

describe('operational state of the seed configuration', () => {
  it('parses strictly, merges into running and validates as get-reply data', () => {
    const xml = operStateXml(input());
    expect(xml.startsWith(`<bgp xmlns="${NS}">`)).toBe(true);
    expect(() => merged(xml)).not.toThrow();
  });

  it('puts the server columns on /bgp/bmp/server[id]/state', () => {
    const bgp = merged(operStateXml(input()))['bmpd:bgp'] as Obj;
    const [one, two] = bgp.bmp.server as Obj[];
    expect(one!.state).toEqual({
      status: 'up', 'up-time': 3723, 'established-at': '2026-11-26T10:57:57.000+00:00', tcb: '0x2A98B07138',
      'local-address': '127.0.0.1', 'local-port': 40001, 'messages-sent': '162', 'route-monitoring-sent': '120',
      'statistics-sent': '30', 'last-stats': 12, 'connection-attempts': '1', flaps: '0', 'consecutive-failures': 0,
      'queued-bytes': '0', 'session-startup': 'route-refresh',
    });
    expect(two!.state).toEqual({
      status: 'down', tcb: '0x0', 'messages-sent': '0', 'route-monitoring-sent': '0', 'statistics-sent': '0',
      'connection-attempts': '3', flaps: '0', 'consecutive-failures': 2, 'next-attempt': 95, 'queued-bytes': '0',
      'session-startup': 'route-refresh', 'last-error': 'connection refused',
    });
  });

  it('puts the summary header on /bgp/bmp/state: the seed\'s "BMP buffer size configured, buffer size 2048 MB"', () => {
    const bgp = merged(operStateXml(input()))['bmpd:bgp'] as Obj;
    expect(bgp.bmp.state).toEqual({
      'servers-configured': 2, 'neighbors-configured': 10, 'transition-queue': 0, 'monitoring-queue': 1, 'config-queue': 0,
      'stats-queue': 0, 'refresh-in-progress': true, 'refresh-scheduled': false, 'refresh-delay': 30, 'refresh-skip': false,
      'buffer-size-configured': 2048, 'buffer-size-bytes': String(2048 * 1024 * 1024), 'buffer-bytes-used': '4096',
    });
  });

  it('summary header: initial-refresh skip shows as refresh-skip, a buffer-size left at its default is not "configured"', () => {
    const view = { ...runningView(seed), bufferSizeConfigured: null };
    const bgp = merged(operStateXml(input({ running: view, engine: engine({ initialRefresh: { kind: 'skip' }, bufferSizeBytes: 256 * 1024 * 1024 }) })))['bmpd:bgp'] as Obj;
    expect(bgp.bmp.state).toMatchObject({ 'refresh-skip': true, 'buffer-size-bytes': String(256 * 1024 * 1024) });
    expect(bgp.bmp.state).not.toHaveProperty('buffer-size-configured');
    expect(bgp.bmp.state).not.toHaveProperty('refresh-delay');
  });

  it('joins the BGP session and the BMP columns on a global neighbor', () => {
    const bgp = merged(operStateXml(input()))['bmpd:bgp'] as Obj;
    const neighbors = bgp.neighbor as Obj[];
    const n = neighbors.find((x) => x.address === '127.0.3.1')!;
    expect(n.state).toEqual({
      'session-state': 'established', 'up-time': 90, 'established-at': '2026-11-26T11:58:29.500+00:00', 'local-address': '127.0.0.1',
      'remote-router-id': '127.0.3.1', 'negotiated-hold-time': 90,
      capabilities: ['route-refresh', 'four-octet-as', 'multiprotocol ipv4-unicast'],
      prefixes: [{ family: 'ipv4-unicast', received: '1200', accepted: '1200' }],
      'updates-received': '57', 'priq-depth': 0, 'msgq-depth': 0, 'configured-servers': [1, 2], 'active-servers': [1, 2],
      'route-monitoring-sent': '40', 'last-down-reason': 'notification received 6/2 (Cease / Administrative Shutdown)', flaps: '2',
    });
    const busy = neighbors.find((x) => x.address === '127.0.8.1')!;
    expect(busy.state).toEqual({ 'priq-depth': 2, 'msgq-depth': 17, 'configured-servers': [1], 'active-servers': [1], 'route-monitoring-sent': '5' });
  });

  it('leaves out session facts of a neighbor that is not established', () => {
    const bgp = merged(operStateXml(input()))['bmpd:bgp'] as Obj;
    const down = (bgp.neighbor as Obj[]).find((x) => x.address === '127.0.7.1')!;
    expect(down.state).toEqual({
      'session-state': 'active', 'updates-received': '57', 'last-down-reason': 'notification sent 4/0 (Hold Timer Expired)', flaps: '2',
    });
  });

  it('puts a VRF neighbor under its VRF address family, and nothing for neighbors running does not have', () => {
    const xml = operStateXml(input());
    expect(xml).not.toContain('127.0.99.1');
    const bgp = merged(xml)['bmpd:bgp'] as Obj;
    const [ipv4, ipv6] = (bgp.vrf as Obj[])[0]!['address-family'] as Obj[];
    // Neither the speaker nor the engine knows vrf1|127.0.1.1 here: its entry carries no state.
    expect(ipv4!.neighbor).toEqual([{ address: '127.0.1.1', 'remote-as': 65010, 'bmp-activate': { server: [1, 2] } }]);
    expect(ipv6!.afi).toBe('ipv6');
    expect(ipv6!.neighbor[0].state).toMatchObject({
      'session-state': 'established',
      capabilities: ['route-refresh', 'enhanced-route-refresh', 'four-octet-as', 'multiprotocol ipv6-unicast'],
      prefixes: [{ family: 'ipv6-unicast', received: '7', accepted: '7' }],
      'configured-servers': [1], 'active-servers': [1], 'route-monitoring-sent': '3',
    });
  });

  it('lists the debug topics that are on, in the model order', () => {
    const json = merged(operStateXml(input()));
    expect(json['bmpd:debugging']).toEqual({ topic: ['event', 'server'] });
  });
});

describe('inputs with little to say', () => {
  it('accepts the running tree itself as well as its view', () => {
    expect(operStateXml(input({ running: seed }))).toBe(operStateXml(input()));
  });

  it('reports nothing without an engine, a speaker or debug topics', () => {
    expect(operStateXml(input({ engine: null, speaker: [], debugTopics: [] }))).toBe('');
  });

  it('reports only the debug topics when running has no /bgp', () => {
    const empty = model.context.parseData('', { configOnly: true });
    const xml = operStateXml(input({ running: empty, debugTopics: ['neighbor'] }));
    expect(xml).toBe(`<debugging xmlns="${NS}"><topic>neighbor</topic></debugging>`);
    const parsed = model.context.parseData(xml, { validate: true, configOnly: false, strict: true });
    expect(JSON.parse(parsed.print({ format: 'json' }))).toEqual({ 'bmpd:debugging': { topic: ['neighbor'] } });
    parsed.free();
    empty.free();
  });

  it("reports the Initiation sysName as /agent/sys-name, bmpd-cli's prompt, even without /bgp", () => {
    const empty = model.context.parseData('', { configOnly: true });
    const xml = operStateXml(input({ running: empty, debugTopics: [], sysName: 'edge-1' }));
    const parsed = model.context.parseData(xml, { validate: true, configOnly: false, strict: true });
    expect(JSON.parse(parsed.print({ format: 'json' }))).toEqual({ 'bmpd:agent': { 'sys-name': 'edge-1' } });
    parsed.free();
    empty.free();
  });

  it('gives the speaker facts alone when the engine is not running', () => {
    const bgp = merged(operStateXml(input({ engine: null })))['bmpd:bgp'] as Obj;
    expect(bgp.bmp.state).toBeUndefined();
    expect((bgp.bmp.server as Obj[]).every((s) => s.state === undefined)).toBe(true);
    const n = (bgp.neighbor as Obj[]).find((x) => x.address === '127.0.3.1')!;
    expect(n.state['session-state']).toBe('established');
    expect(n.state['priq-depth']).toBeUndefined();
  });
});

describe('last down reason in words', () => {
  it('names the RFC 4271 event of a local close without NOTIFICATION, and the other Peer Down kinds', () => {
    expect(downReasonText({ kind: 'local-no-notification', fsmEvent: 18 })).toBe('closed locally without notification (event 18 TcpConnectionFails)');
    expect(downReasonText({ kind: 'remote-closed' })).toBe('connection closed by the neighbor');
    expect(downReasonText({ kind: 'deconfigured' })).toBe('neighbor removed from the configuration');
    expect(downReasonText({ kind: 'remote-notification', pdu: Buffer.alloc(19) })).toBe('notification received');
  });
});
