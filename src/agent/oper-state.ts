// Engine and speaker snapshots → the config-false nodes of the bmpd model, as XML in the
// module's namespace, ready for context.parseData(xml, { validate: false }) and a merge into a
// copy of running (NETCONF <get>). What goes where:
//
//   /bgp/bmp/state                         BmpEngineSnapshot (the summary header)
//   /bgp/bmp/server[id]/state              ServerSnapshot
//   /bgp/neighbor[address]/state           NeighborSnapshot (the BGP session) + NeighborBmpSnapshot
//   /bgp/vrf[name]/address-family[afi]/neighbor[address]/state    (the BMP columns), by NeighborKey
//   /debugging/topic                       the debug topics that are on
//   /agent/sys-name                        the Initiation sysName (bmpd-cli's prompt)
//
// Only list entries that exist in running get state: a server or neighbor the engine or the
// speaker still knows while it is being removed is left out, so the merge never creates an
// entry that running does not have. A leaf is left out when the snapshots have no honest value
// for it (no session, no statistics yet, no counter kept): never a made-up zero.
import type { AddressFamily, NeighborKey } from '../bgp/config.js';
import { downReasonText, type NeighborSnapshot } from '../bgp/events.js';
import type { FsmStateName } from '../bgp/fsm.js';
import { DEBUG_TOPICS, type DebugTopic } from '../bmp/config.js';
import type { BmpEngineSnapshot, NeighborBmpSnapshot, ServerSnapshot } from '../bmp/snapshot.js';
import type { DataTree } from 'libyang-wasm';
import { escapeText, textElement } from '../netconf/xml.js';
import { runningView, type BmpdRunningView, type NeighborPlacement } from './config-snapshot.js';

export const BMPD_NAMESPACE = 'urn:bmpd:yang:bmpd';

export interface OperStateInput {
  /** The running tree, or its view (runningView()) when the caller already has one. */
  readonly running: BmpdRunningView | DataTree;
  readonly engine: BmpEngineSnapshot | null;
  readonly speaker: readonly NeighborSnapshot[];
  /** Neighbor up-time is counted to this instant (the engine's snapshot carries its own). */
  readonly now: Date;
  /** 'debug ip bgp bmp' topics that are on. */
  readonly debugTopics?: readonly DebugTopic[];
  /** The sysName of BMP Initiation; absent: no /agent entry. */
  readonly sysName?: string;
}

// ---------------------------------------------------------------------------------------------
// XML text

/** One leaf; null/undefined leaves it out. */
type Leaf = readonly [name: string, value: string | number | boolean | null | undefined];

function leaves(items: readonly Leaf[]): string {
  return items.map(([name, value]) => (value === null || value === undefined ? '' : textElement(name, value))).join('');
}

function leafList(name: string, values: readonly (string | number)[]): string {
  return values.map((v) => textElement(name, v)).join('');
}

function element(name: string, content: string): string {
  return content === '' ? '' : `<${name}>${content}</${name}>`;
}

/** Counters and gauges: only non-negative integers are honest values (yang:counter64, gauge). */
function count(value: number | null | undefined): number | null {
  return value !== null && value !== undefined && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

function seconds(value: number | null | undefined): number | null {
  return value !== null && value !== undefined && Number.isFinite(value) && value >= 0 ? Math.min(Math.floor(value), 0xffffffff) : null;
}

/** yang:date-and-time (RFC 6991) in UTC, written as libyang's canonical form writes it (+00:00, not Z). */
function dateAndTime(date: Date | null): string | null {
  return date !== null && Number.isFinite(date.getTime()) ? date.toISOString().replace(/Z$/, '+00:00') : null;
}

// ---------------------------------------------------------------------------------------------
// /bgp/bmp/state and /bgp/bmp/server/state

function engineStateXml(engine: BmpEngineSnapshot, running: BmpdRunningView): string {
  return element('state', leaves([
    ['servers-configured', count(engine.serversConfigured)],
    ['neighbors-configured', count(engine.neighborsConfigured)],
    ['transition-queue', count(engine.transitionQ)],
    ['monitoring-queue', count(engine.monitoringQ)],
    ['config-queue', count(engine.configQ)],
    ['stats-queue', count(engine.statsQ)],
    ['refresh-in-progress', engine.refreshInProgress],
    ['refresh-scheduled', engine.refreshScheduled],
    ['refresh-delay', engine.initialRefresh.kind === 'delay' ? engine.initialRefresh.seconds : null],
    ['refresh-skip', engine.initialRefresh.kind === 'skip'],
    ['buffer-size-configured', running.bufferSizeConfigured],
    ['buffer-size-bytes', count(engine.bufferSizeBytes)],
    ['buffer-bytes-used', count(engine.bufferBytesUsed)],
  ]));
}

const TCB = /^0x[0-9A-F]+$/;

function serverStateXml(server: ServerSnapshot): string {
  const up = server.status === 'up';
  return element('state', leaves([
    ['status', server.status],
    ['up-time', up ? seconds(server.upTimeSeconds) : null],
    ['established-at', up ? dateAndTime(server.upSince) : null],
    ['tcb', TCB.test(server.tcb) ? server.tcb : null],
    ['local-address', server.localAddress],
    ['local-port', server.localPort],
    ['messages-sent', count(server.messagesSent)],
    ['route-monitoring-sent', count(server.routeMonitoringSent)],
    ['statistics-sent', count(server.statisticsSent)],
    ['last-stats', seconds(server.lastStatsAgeSeconds)],
    ['connection-attempts', count(server.connectionAttempts)],
    ['flaps', count(server.flaps)],
    ['consecutive-failures', count(server.consecutiveFailures)],
    // The model: present only while status is down.
    ['next-attempt', server.status === 'down' ? seconds(server.nextAttemptSeconds) : null],
    ['queued-bytes', count(server.queuedBytes)],
    ['session-startup', server.sessionStartup],
    ['last-error', server.lastError],
  ]));
}

// ---------------------------------------------------------------------------------------------
// neighbor/state

const SESSION_STATE: Record<FsmStateName, string> = {
  Idle: 'idle', Connect: 'connect', Active: 'active', OpenSent: 'opensent', OpenConfirm: 'openconfirm', Established: 'established',
};

const FAMILY_ORDER: readonly AddressFamily[] = ['ipv4-unicast', 'ipv6-unicast', 'vpnv4-unicast', 'vpnv6-unicast'];

function capabilityNames(bgp: NeighborSnapshot): string[] {
  const c = bgp.capabilities;
  if (c === null) return [];
  return [
    ...(c.routeRefresh ? ['route-refresh'] : []),
    ...(c.enhancedRouteRefresh ? ['enhanced-route-refresh'] : []),
    ...(c.fourOctetAs ? ['four-octet-as'] : []),
    ...FAMILY_ORDER.filter((f) => c.families.includes(f)).map((f) => `multiprotocol ${f}`),
  ];
}

function prefixesXml(bgp: NeighborSnapshot): string {
  return FAMILY_ORDER.map((family) => {
    const n = count(bgp.prefixes[family]);
    // received = the Adj-RIB-In's routes; treat-as-withdraw (RFC 7606) prefixes never enter it
    // and bmpd has no inbound policy, so every received prefix is also accepted.
    return n === null ? '' : `<prefixes>${leaves([['family', family], ['received', n], ['accepted', n]])}</prefixes>`;
  }).join('');
}

function bgpSessionLeaves(bgp: NeighborSnapshot, now: Date): string {
  const established = bgp.state === 'Established';
  const since = established ? bgp.establishedAt : null;
  return leaves([
    ['session-state', SESSION_STATE[bgp.state]],
    ['up-time', since !== null ? seconds((now.getTime() - since.getTime()) / 1000) : null],
    ['established-at', dateAndTime(since)],
    ['local-address', established ? bgp.localAddress : null],
    ['remote-router-id', established ? bgp.peerBgpId : null],
    ['negotiated-hold-time', established ? bgp.negotiated?.holdTime : null],
  ]) + (established ? leafList('capabilities', capabilityNames(bgp)) + prefixesXml(bgp) : '')
    + leaves([['updates-received', count(bgp.received.update)]]);
}

function bmpNeighborLeaves(bmp: NeighborBmpSnapshot): string {
  return leaves([['priq-depth', count(bmp.priQ)], ['msgq-depth', count(bmp.msgQ)]])
    + leafList('configured-servers', [...bmp.configuredServers].sort((a, b) => a - b))
    + leafList('active-servers', [...bmp.activeServers].sort((a, b) => a - b))
    + leaves([['route-monitoring-sent', count(bmp.routeMonitoringSent)]]);
}

function neighborStateXml(bgp: NeighborSnapshot | undefined, bmp: NeighborBmpSnapshot | undefined, now: Date): string {
  // Schema order: session leaves, the BMP columns, then last-down-reason and flaps.
  const content = (bgp ? bgpSessionLeaves(bgp, now) : '') + (bmp ? bmpNeighborLeaves(bmp) : '') + (bgp ? leaves([
    ['last-down-reason', bgp.lastDown ? downReasonText(bgp.lastDown) : null],
    // Every Established reached and since left is one flap; the current session is not one yet.
    ['flaps', count(bgp.establishedTransitions - (bgp.state === 'Established' ? 1 : 0))],
  ]) : '');
  return element('state', content);
}

// ---------------------------------------------------------------------------------------------

/** The config-false data for running's servers and neighbors; '' when there is nothing to report. */
export function operStateXml(input: OperStateInput): string {
  const { engine, now } = input;
  const running = 'print' in input.running ? runningView(input.running) : input.running;
  const parts: string[] = [];

  if (running.bgp) {
    const bgpByKey = new Map<NeighborKey, NeighborSnapshot>(input.speaker.map((n) => [n.key, n]));
    const bmpByKey = new Map<NeighborKey, NeighborBmpSnapshot>((engine?.neighbors ?? []).map((n) => [n.neighbor, n]));
    const serversById = new Map<number, ServerSnapshot>((engine?.servers ?? []).map((s) => [s.id, s]));

    const servers = running.servers.map((id) => {
      const server = serversById.get(id);
      const state = server ? serverStateXml(server) : '';
      return state === '' ? '' : `<server><id>${id}</id>${state}</server>`;
    }).join('');
    const bmp = element('bmp', servers + (engine ? engineStateXml(engine, running) : ''));

    const global: string[] = [];
    // vrf name → afi → neighbor entries, in running's order
    const vrfs = new Map<string, Map<string, string[]>>();
    for (const n of running.neighbors) {
      const state = neighborStateXml(bgpByKey.get(n.key), bmpByKey.get(n.key), now);
      if (state === '') continue;
      const entry = `<neighbor><address>${escapeText(n.address)}</address>${state}</neighbor>`;
      placeEntry(n.placement, entry, global, vrfs);
    }
    const vrfXml = [...vrfs].map(([name, afs]) => `<vrf><name>${escapeText(name)}</name>${
      [...afs].map(([afi, entries]) => `<address-family><afi>${afi}</afi>${entries.join('')}</address-family>`).join('')
    }</vrf>`).join('');

    const content = bmp + global.join('') + vrfXml;
    if (content !== '') parts.push(`<bgp xmlns="${BMPD_NAMESPACE}">${content}</bgp>`);
  }

  const topics = DEBUG_TOPICS.filter((t) => input.debugTopics?.includes(t));
  if (topics.length > 0) parts.push(`<debugging xmlns="${BMPD_NAMESPACE}">${leafList('topic', topics)}</debugging>`);
  if (input.sysName !== undefined) parts.push(`<agent xmlns="${BMPD_NAMESPACE}">${textElement('sys-name', input.sysName)}</agent>`);
  return parts.join('');
}

function placeEntry(placement: NeighborPlacement, entry: string, global: string[], vrfs: Map<string, Map<string, string[]>>): void {
  if (placement.kind === 'global') {
    global.push(entry);
    return;
  }
  let afs = vrfs.get(placement.vrf);
  if (!afs) vrfs.set(placement.vrf, (afs = new Map()));
  let entries = afs.get(placement.afi);
  if (!entries) afs.set(placement.afi, (entries = []));
  entries.push(entry);
}
