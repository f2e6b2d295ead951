// Running configuration (the bmpd YANG tree) → the readonly snapshots the speaker and the BMP
// engine take (src/bgp/config.ts, src/bmp/config.ts). Everything the YANG model leaves to the
// implementation is decided here, once:
//   - peer-group inheritance: each setting separately, the neighbor's own value wins, then the
//     group's, then the default the model's description names (keepalive 60, hold-time 180,
//     passive false); bmp-activate and address-family entries are taken as a whole (all or
//     servers; the set of families), never merged item by item;
//   - update-source: a value that parses as an IP address is bound as is; anything else is an
//     interface name, resolved to its first address of the neighbor's (or BMP server's) family.
//     An interface without such an address is a runtime condition, not a configuration error:
//     the session then binds nowhere in particular (null) and a ConfigProblem tells the operator;
//   - router-id absent: the highest IPv4 address of the host's loopback interfaces, else of any
//     interface (the model's description); a host without IPv4 gets 0.0.0.1 and a problem, since
//     OPEN needs a non-zero BGP Identifier (RFC 6286 §2.1);
//   - a global neighbor without address-family entries (its own or its group's) speaks its own
//     family's unicast: ipv4-unicast for an IPv4 address, ipv6-unicast for IPv6. A VRF neighbor
//     speaks its VRF address-family's unicast (the model: "the VRF's afi decides");
//   - order: servers by id, global neighbors by address (IPv4 before IPv6, numerically), then VRF
//     neighbors by VRF name, afi and address, so two equal configurations give equal snapshots.
//
// The tree is read through its JSON print with every default reported (RFC 7951 encoding: empty
// leaves are [null], 64-bit numbers strings), so defaults never have to be repeated here except
// where the model deliberately has none (the timers, for inheritance).
import { isIP } from 'node:net';
import os from 'node:os';
import type { DataTree } from 'libyang-wasm';
import { DEFAULT_BGP_PORT, neighborKey, type AddressFamily, type NeighborConfig, type NeighborKey, type SpeakerConfig, type VrfRef } from '../bgp/config.js';
import { DEFAULT_BUFFER_SIZE_MB, EMPTY_BMP_CONFIG, type BmpEngineConfig, type BmpServerConfig, type InitialRefresh, type NeighborActivation } from '../bmp/config.js';
import { interfaceAddress } from '../net/interfaces.js';
import { ipv4Bytes, ipv4Number, ipv6Bytes } from '../net/ip.js';
import { ENTRIES_PER_STEP, runSteps, type Steps } from '../steps.js';
import { parseYangJson } from './yang-json.js';

/** Something in the running configuration that cannot take effect as written (never an exception). */
export interface ConfigProblem {
  /** YANG data path of the offending node, e.g. /bmpd:bgp/neighbor[address='127.0.3.1']/update-source. */
  readonly path: string;
  readonly message: string;
}

export interface HostIpv4Address {
  readonly address: string;
  /** On a loopback interface (os.networkInterfaces' `internal`). */
  readonly loopback: boolean;
}

/** The host facts the snapshots depend on; tests inject them, the agent uses the defaults. */
export interface ConfigEnvironment {
  /** An interface's first address of a family, null when it has none (default: src/net/interfaces.ts). */
  readonly interfaceAddress?: (name: string, family: 4 | 6) => string | null;
  /** The host's IPv4 addresses, for a router-id that is not configured. */
  readonly hostIpv4Addresses?: () => readonly HostIpv4Address[];
}

export interface RunningSnapshots {
  /** Null when there is no /bgp container: no speaker runs. */
  readonly speaker: SpeakerConfig | null;
  readonly bmp: BmpEngineConfig;
  readonly problems: readonly ConfigProblem[];
}

/** Where a neighbor sits in the YANG tree: its list entry's path and the VRF address family if any. */
export type NeighborPlacement =
  | { readonly kind: 'global' }
  | { readonly kind: 'vrf'; readonly vrf: string; readonly afi: 'ipv4' | 'ipv6' };

/** The list entries of running that carry config-false state (what src/agent/oper-state.ts fills in). */
export interface BmpdRunningView {
  /** The /bgp presence container exists. */
  readonly bgp: boolean;
  /** bgp/bmp/buffer-size when configured ('BMP buffer size configured'), null when the default applies. */
  readonly bufferSizeConfigured: number | null;
  readonly servers: readonly number[];
  readonly neighbors: readonly { readonly key: NeighborKey; readonly address: string; readonly placement: NeighborPlacement }[];
}

export const DEFAULT_KEEPALIVE_SECONDS = 60;
export const DEFAULT_HOLD_TIME_SECONDS = 180;
/** Last resort when the host has no IPv4 address at all; BGP forbids 0.0.0.0. */
export const FALLBACK_ROUTER_ID = '0.0.0.1';

const BGP_PATH = '/bmpd:bgp';

// ---------------------------------------------------------------------------------------------
// RFC 7951 JSON as libyang prints it

type JsonObject = { readonly [name: string]: unknown };

function object(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

function list(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.flatMap((item) => (object(item) ? [item as JsonObject] : [])) : [];
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** uint8..uint32 are JSON numbers, 64-bit integers strings (RFC 7951 §6.1). */
function integer(value: unknown): number | null {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  return null;
}

function bool(value: unknown): boolean | null {
  return typeof value === 'boolean' ? value : null;
}

/** An empty leaf is [null] when present (RFC 7951 §6.9). */
function present(value: unknown): boolean {
  return Array.isArray(value) && value.length === 1 && value[0] === null;
}

function numbers(value: unknown): number[] {
  return Array.isArray(value) ? value.flatMap((v) => { const n = integer(v); return n === null ? [] : [n]; }) : [];
}

function texts(value: unknown): string[] {
  return Array.isArray(value) ? value.flatMap((v) => (typeof v === 'string' ? [v] : [])) : [];
}

function bgpContainer(tree: DataTree): JsonObject | undefined {
  // Shrunk: half the text to print and to read at 10,000 neighbors.
  const printed = tree.print({ format: 'json', withDefaults: 'report-all', shrink: true });
  if (printed.trim() === '') return undefined;
  // Not JSON.parse: a tree whose lists are not in canonical order prints a list in pieces.
  return object(object(parseYangJson(printed))?.['bmpd:bgp']);
}

// ---------------------------------------------------------------------------------------------
// Ordering

function familyOf(address: string): 4 | 6 {
  return isIP(address) === 6 ? 6 : 4;
}

/** IPv4 before IPv6, then numerically; non-addresses (never valid in running) last, by text. */
export function compareAddresses(a: string, b: string): number {
  const fa = isIP(a);
  const fb = isIP(b);
  if (fa !== fb) return (fa === 0 ? 7 : fa) - (fb === 0 ? 7 : fb);
  if (fa === 0) return a < b ? -1 : a > b ? 1 : 0;
  return fa === 4 ? Buffer.compare(ipv4Bytes(a), ipv4Bytes(b)) : Buffer.compare(ipv6Bytes(a), ipv6Bytes(b));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Neighbors and peer groups

/** The neighbor-common-config grouping as written on one list entry (null: not set there). */
export interface CommonSettings {
  readonly remoteAs: number | null;
  readonly description: string | null;
  readonly updateSource: string | null;
  readonly password: string | null;
  readonly passive: boolean | null;
  readonly keepalive: number | null;
  readonly holdTime: number | null;
  readonly shutdown: boolean;
  /** null: no bmp-activate here (neither 'all' nor a server). */
  readonly bmpActivate: 'all' | readonly number[] | null;
  /** null: no address-family entry here. */
  readonly addressFamilies: readonly AddressFamily[] | null;
}

const ADDRESS_FAMILIES: readonly AddressFamily[] = ['ipv4-unicast', 'ipv6-unicast', 'vpnv4-unicast', 'vpnv6-unicast'];

function commonSettings(entry: JsonObject): CommonSettings {
  const timers = object(entry['timers']);
  const activate = object(entry['bmp-activate']);
  const servers = numbers(activate?.['server']);
  const families = list(entry['address-family'])
    .flatMap((af) => { const name = text(af['name']); return ADDRESS_FAMILIES.find((f) => f === name) ?? []; })
    .sort((a, b) => ADDRESS_FAMILIES.indexOf(a) - ADDRESS_FAMILIES.indexOf(b));
  return {
    remoteAs: integer(entry['remote-as']),
    description: text(entry['description']),
    updateSource: text(entry['update-source']),
    password: text(entry['password']),
    passive: bool(entry['passive']),
    keepalive: integer(timers?.['keepalive']),
    holdTime: integer(timers?.['hold-time']),
    shutdown: present(entry['shutdown']),
    bmpActivate: present(activate?.['all']) ? 'all' : servers.length > 0 ? [...new Set(servers)].sort((a, b) => a - b) : null,
    addressFamilies: families.length > 0 ? families : null,
  };
}

const NO_GROUP: CommonSettings = {
  remoteAs: null, description: null, updateSource: null, password: null, passive: null, keepalive: null,
  holdTime: null, shutdown: false, bmpActivate: null, addressFamilies: null,
};

/** Own value first, then the group's (the model: "A neighbor's own setting wins over the group's"). */
function inherit(own: CommonSettings, group: CommonSettings): CommonSettings {
  return {
    remoteAs: own.remoteAs ?? group.remoteAs,
    description: own.description ?? group.description,
    updateSource: own.updateSource ?? group.updateSource,
    password: own.password ?? group.password,
    passive: own.passive ?? group.passive,
    keepalive: own.keepalive ?? group.keepalive,
    holdTime: own.holdTime ?? group.holdTime,
    // An empty leaf has no "false" a member could set: 'neighbor TAG shutdown' stops every member.
    shutdown: own.shutdown || group.shutdown,
    bmpActivate: own.bmpActivate ?? group.bmpActivate,
    addressFamilies: own.addressFamilies ?? group.addressFamilies,
  };
}

/** Where a neighbor list entry sits in running: its keys, as its data path names them. */
export type NeighborLocation =
  | { readonly kind: 'global'; readonly address: string }
  | { readonly kind: 'vrf'; readonly vrf: string; readonly afi: 'ipv4' | 'ipv6'; readonly address: string };

/** The data path of a neighbor list entry, e.g. /bmpd:bgp/neighbor[address='127.0.3.1']. */
export function neighborPath(location: NeighborLocation): string {
  return location.kind === 'global'
    ? `${BGP_PATH}/neighbor[address='${location.address}']`
    : `${BGP_PATH}/vrf[name='${location.vrf}']/address-family[afi='${location.afi}']/neighbor[address='${location.address}']`;
}

/** An update-source interface name and what it resolved to, so a later change can tell whether the host moved it. */
export interface InterfaceUse {
  readonly name: string;
  readonly family: 4 | 6;
  readonly address: string | null;
}

/** The settings a neighbor list entry is read against: its peer-groups and its VRF's rd. */
interface EntryContext {
  readonly groups: ReadonlyMap<string, CommonSettings>;
  readonly vrfRds: ReadonlyMap<string, string>;
}

/** Everything of /bgp but the neighbor entries (what a change of neighbors only leaves as it was). */
export interface RunningBase extends EntryContext {
  readonly asNumber: number;
  readonly routerId: string;
  /** False: derived from the host's addresses when running was read. */
  readonly routerIdConfigured: boolean;
  readonly listen: SpeakerConfig['listen'];
  readonly bufferSizeMb: number;
  /** bgp/bmp/buffer-size as written, null when the default applies (the view of running's 'configured'). */
  readonly bufferSizeConfigured: number | null;
  readonly initialRefresh: InitialRefresh;
  readonly servers: readonly BmpServerConfig[];
  readonly serverProblems: readonly ConfigProblem[];
  readonly routerIdProblems: readonly ConfigProblem[];
  /** The interface names the servers' update-source resolved. */
  readonly serverInterfaces: readonly InterfaceUse[];
}

/** One neighbor list entry of running, read: what the snapshots take from it. */
export interface NeighborEntrySnapshot {
  readonly path: string;
  readonly key: NeighborKey;
  readonly address: string;
  readonly placement: NeighborPlacement;
  readonly settings: CommonSettings;
  /** Null without a remote-as (the model's must forbids it; never guess an AS). */
  readonly neighbor: NeighborConfig | null;
  readonly problems: readonly ConfigProblem[];
  /** Its update-source when that is an interface name. */
  readonly interfaceUse: InterfaceUse | null;
}

interface RawEntry {
  readonly location: NeighborLocation;
  readonly json: JsonObject;
}

function groupsOf(bgp: JsonObject): Map<string, CommonSettings> {
  const groups = new Map<string, CommonSettings>();
  for (const group of list(bgp['peer-group'])) {
    const name = text(group['name']);
    if (name !== null) groups.set(name, commonSettings(group));
  }
  return groups;
}

function vrfRdsOf(bgp: JsonObject): Map<string, string> {
  const rds = new Map<string, string>();
  for (const vrf of list(bgp['vrf'])) {
    const name = text(vrf['name']);
    const rd = text(vrf['rd']);
    if (name !== null && rd !== null) rds.set(name, rd);
  }
  return rds;
}

/** The neighbor entries of /bgp in snapshot order (see compareNeighborEntries). */
function rawEntries(bgp: JsonObject): RawEntry[] {
  const entries: RawEntry[] = [];
  const add = (neighbors: unknown, at: (address: string) => NeighborLocation) => {
    for (const json of list(neighbors)) {
      const address = text(json['address']);
      if (address !== null) entries.push({ location: at(address), json });
    }
  };
  add(bgp['neighbor'], (address) => ({ kind: 'global', address }));
  for (const vrf of list(bgp['vrf'])) {
    const name = text(vrf['name']);
    if (name === null || text(vrf['rd']) === null) continue;
    for (const af of list(vrf['address-family'])) {
      const afi = text(af['afi']);
      if (afi === 'ipv4' || afi === 'ipv6') add(af['neighbor'], (address) => ({ kind: 'vrf', vrf: name, afi, address }));
    }
  }
  // Sorted by a key made once per entry: comparePlaced parses both addresses at every comparison
  // (100,000 neighbors: 1.7 M comparisons, about 300 ms of the reconcile's read).
  const keyed = entries.map((entry) => ({ key: placedSortKey(entry.location, entry.location.address), entry }));
  keyed.sort((a, b) => compareText(a.key, b.key));
  return keyed.map((k) => k.entry);
}

/**
 * A text whose plain string order is comparePlaced's (and so compareNeighborEntries'): global
 * before VRF, then the VRF name and afi as compareText orders them (a NUL, which YANG strings
 * cannot hold, ends each), then the address as compareAddresses orders it.
 */
export function placedSortKey(placement: NeighborPlacement, address: string): string {
  const at = addressSortKey(address);
  return placement.kind === 'global' ? `0${at}` : `1${placement.vrf}\u0000${placement.afi}\u0000${at}`;
}

/** compareAddresses' order as text: the family (IPv4, IPv6, not an address) then the address's bytes in fixed-width hex, or its text. */
function addressSortKey(address: string): string {
  const v4 = ipv4Number(address);
  if (v4 >= 0) return `4${v4.toString(16).padStart(8, '0')}`;
  if (isIP(address) === 6) return `6${ipv6Bytes(address).toString('hex')}`;
  return `7${address}`;
}

/**
 * Snapshot order: global neighbors by address (IPv4 before IPv6, numerically), then VRF neighbors
 * by VRF name, afi and address.
 */
export function compareNeighborEntries(a: NeighborEntrySnapshot, b: NeighborEntrySnapshot): number {
  return comparePlaced(a.placement, a.address, b.placement, b.address);
}

function comparePlaced(pa: NeighborPlacement, a: string, pb: NeighborPlacement, b: string): number {
  if (pa.kind !== pb.kind) return pa.kind === 'global' ? -1 : 1;
  if (pa.kind === 'vrf' && pb.kind === 'vrf') {
    const byVrf = compareText(pa.vrf, pb.vrf);
    if (byVrf !== 0) return byVrf;
    const byAfi = compareText(pa.afi, pb.afi);
    if (byAfi !== 0) return byAfi;
  }
  return compareAddresses(a, b);
}

/** One neighbor entry → its NeighborConfig, peer-group folded in and update-source resolved; null: its VRF has no rd. */
function entrySnapshot(raw: RawEntry, context: EntryContext, resolve: (name: string, family: 4 | 6) => string | null): NeighborEntrySnapshot | null {
  const { location, json } = raw;
  const address = location.address;
  const path = neighborPath(location);
  const group = text(json['peer-group']);
  const inherited = inherit(commonSettings(json), (group !== null ? context.groups.get(group) : undefined) ?? NO_GROUP);
  let placement: NeighborPlacement = { kind: 'global' };
  let vrf: VrfRef | null = null;
  let settings = inherited;
  if (location.kind === 'vrf') {
    const rd = context.vrfRds.get(location.vrf);
    if (rd === undefined) return null;
    placement = { kind: 'vrf', vrf: location.vrf, afi: location.afi };
    vrf = { name: location.vrf, rd };
    // The group's address-family entries do not apply in a VRF: the VRF's afi decides.
    settings = { ...inherited, addressFamilies: [location.afi === 'ipv4' ? 'ipv4-unicast' : 'ipv6-unicast'] };
  }
  const key = neighborKey(vrf?.name ?? null, address);
  const problems: ConfigProblem[] = [];
  if (settings.remoteAs === null) {
    problems.push({ path: `${path}/remote-as`, message: 'neighbor has no remote-as, its own or its peer-group\'s; not started' });
    return { path, key, address, placement, settings, neighbor: null, problems, interfaceUse: null };
  }
  const family = familyOf(address);
  const uses: InterfaceUse[] = [];
  const neighbor: NeighborConfig = {
    address,
    remoteAs: settings.remoteAs,
    description: settings.description,
    updateSource: resolveUpdateSource(settings.updateSource, family, path, resolve, problems, uses),
    password: settings.password,
    passive: settings.passive ?? false,
    timers: { keepalive: settings.keepalive ?? DEFAULT_KEEPALIVE_SECONDS, holdTime: settings.holdTime ?? DEFAULT_HOLD_TIME_SECONDS },
    shutdown: settings.shutdown,
    addressFamilies: settings.addressFamilies ?? [family === 4 ? 'ipv4-unicast' : 'ipv6-unicast'],
    vrf,
  };
  return { path, key, address, placement, settings, neighbor, problems, interfaceUse: uses[0] ?? null };
}

/** update-source: an address is kept, an interface name resolved to its address of `family`. */
function resolveUpdateSource(
  value: string | null,
  family: 4 | 6,
  path: string,
  resolve: (name: string, family: 4 | 6) => string | null,
  problems: ConfigProblem[],
  uses: InterfaceUse[],
): string | null {
  if (value === null) return null;
  if (isIP(value) !== 0) return value;
  const address = resolve(value, family);
  uses.push({ name: value, family, address });
  if (address === null) {
    problems.push({
      path: `${path}/update-source`,
      message: `interface '${value}' has no IPv${family} address; the connection is made from the address the kernel chooses`,
    });
  }
  return address;
}

/** Equal apart from the address families (which the VRF's two afi entries legitimately differ in). */
function sameSettings(a: CommonSettings, b: CommonSettings): boolean {
  return JSON.stringify({ ...a, addressFamilies: null }) === JSON.stringify({ ...b, addressFamilies: null });
}

/**
 * Entries in snapshot order → the speaker's neighbors and the engine's activations. The same
 * address under both address families of one VRF is one BGP session carrying both families;
 * the first entry (ipv4) supplies the session settings.
 */
function* assembleSteps(entries: Iterable<NeighborEntrySnapshot>, problems: ConfigProblem[]): Steps<{ neighbors: NeighborConfig[]; activations: NeighborActivation[] }> {
  const neighbors: NeighborConfig[] = [];
  const activations: NeighborActivation[] = [];
  const byKey = new Map<NeighborKey, { readonly index: number; readonly settings: CommonSettings }>();
  let handled = 0;
  for (const entry of entries) {
    if (++handled % ENTRIES_PER_STEP === 0) yield;
    problems.push(...entry.problems);
    const neighbor = entry.neighbor;
    if (neighbor === null) continue;
    const seen = byKey.get(entry.key);
    if (seen !== undefined) {
      const first = neighbors[seen.index]!;
      if (!sameSettings(seen.settings, entry.settings)) {
        problems.push({ path: entry.path, message: `neighbor ${entry.address} is also configured under the VRF's other address family with different settings; those of the first entry apply` });
      }
      neighbors[seen.index] = { ...first, addressFamilies: [...new Set([...first.addressFamilies, ...neighbor.addressFamilies])] };
      continue;
    }
    byKey.set(entry.key, { index: neighbors.length, settings: entry.settings });
    neighbors.push(neighbor);
    if (entry.settings.bmpActivate !== null) activations.push({ neighbor: entry.key, servers: entry.settings.bmpActivate });
  }
  return { neighbors, activations };
}

/** One neighbor (key) from its entries in snapshot order: at most two, a VRF address under both afis. */
export interface MergedNeighbor {
  readonly neighbor: NeighborConfig | null;
  readonly activation: NeighborActivation | null;
  readonly problems: readonly ConfigProblem[];
}

export function mergeNeighborEntries(entries: readonly NeighborEntrySnapshot[]): MergedNeighbor {
  const only = entries.length === 1 ? entries[0]! : undefined;
  if (only !== undefined) {
    // Nearly every key: what assemble() gives for one entry, without its bookkeeping.
    const activation = only.neighbor !== null && only.settings.bmpActivate !== null ? { neighbor: only.key, servers: only.settings.bmpActivate } : null;
    return { neighbor: only.neighbor, activation, problems: only.problems };
  }
  const problems: ConfigProblem[] = [];
  const { neighbors, activations } = runSteps(assembleSteps(entries, problems));
  return { neighbor: neighbors[0] ?? null, activation: activations[0] ?? null, problems };
}

// ---------------------------------------------------------------------------------------------
// Router ID

function hostIpv4Addresses(): HostIpv4Address[] {
  return Object.values(os.networkInterfaces()).flatMap((addrs) =>
    (addrs ?? []).filter((a) => a.family === 'IPv4').map((a) => ({ address: a.address, loopback: a.internal })));
}

function highest(addresses: readonly string[]): string | undefined {
  return [...addresses].sort(compareAddresses).at(-1);
}

/** The router-id the model's description derives when none is configured (with a problem when there is none to derive). */
export function derivedRouterId(env: ConfigEnvironment): { readonly routerId: string; readonly problems: readonly ConfigProblem[] } {
  const host = (env.hostIpv4Addresses ?? hostIpv4Addresses)().filter((a) => isIP(a.address) === 4 && a.address !== '0.0.0.0');
  const derived = highest(host.filter((a) => a.loopback).map((a) => a.address)) ?? highest(host.map((a) => a.address));
  if (derived !== undefined) return { routerId: derived, problems: [] };
  return {
    routerId: FALLBACK_ROUTER_ID,
    problems: [{ path: `${BGP_PATH}/router-id`, message: `the host has no IPv4 address to take the router-id from; using ${FALLBACK_ROUTER_ID}, configure bgp router-id` }],
  };
}

// ---------------------------------------------------------------------------------------------
// BMP

function initialRefreshOf(bmp: JsonObject | undefined): InitialRefresh {
  const refresh = object(bmp?.['initial-refresh']);
  const delay = integer(refresh?.['delay']);
  if (delay !== null) return { kind: 'delay', seconds: delay };
  if (present(refresh?.['skip'])) return { kind: 'skip' };
  return { kind: 'immediate' };
}

function serverOf(
  entry: JsonObject,
  resolve: (name: string, family: 4 | 6) => string | null,
  problems: ConfigProblem[],
  uses: InterfaceUse[],
): BmpServerConfig | null {
  const id = integer(entry['id']);
  if (id === null) return null;
  const address = text(entry['address']);
  const path = `${BGP_PATH}/bmp/server[id='${id}']`;
  // Without an address there is nothing to connect to and no family to pick: the next snapshot,
  // taken when the address is configured, resolves the interface.
  const updateSource = address === null ? null : resolveUpdateSource(text(entry['update-source']), familyOf(address), path, resolve, problems, uses);
  return {
    id,
    activated: present(entry['activate']),
    address,
    port: integer(entry['port-number']),
    description: text(entry['description']),
    // Defaults are reported by libyang; the literals only guard a tree printed without them.
    initialDelay: integer(entry['initial-delay']) ?? 600,
    failureRetryDelay: integer(entry['failure-retry-delay']) ?? 600,
    flappingDelay: integer(entry['flapping-delay']) ?? 1800,
    dscp: integer(entry['dscp']) ?? 0,
    statsReportingPeriod: integer(entry['stats-reporting-period']) ?? 0,
    updateSource,
  };
}

// ---------------------------------------------------------------------------------------------

/**
 * One resolution per interface and family for a whole read: each lookup asks the host
 * (os.networkInterfaces(), tens of microseconds), and a peer-group's update-source is shared
 * by every member, so 10,000 neighbors would otherwise ask 10,000 times for one answer.
 */
function oncePerInterface(resolve: (name: string, family: 4 | 6) => string | null): (name: string, family: 4 | 6) => string | null {
  const known = new Map<string, string | null>();
  return (name, family) => {
    const key = `${name}/${family}`;
    const cached = known.get(key); // null: resolved, no address
    if (cached !== undefined) return cached;
    const address = resolve(name, family);
    known.set(key, address);
    return address;
  };
}

/** A running tree read in full: the base, every neighbor entry in snapshot order, and the snapshots. */
export interface RunningRead {
  readonly base: RunningBase;
  readonly entries: readonly NeighborEntrySnapshot[];
  readonly snapshots: RunningSnapshots;
}

/**
 * Reads the whole of /bgp; null when there is none (no speaker runs). `parsed`: the tree already
 * parsed as RFC 7951 JSON with every default present (a large write's chunks: parseYangJsonParts),
 * which spares a print of the tree and its parse (1–2 s at 100,000 neighbors).
 */
export function readRunning(tree: DataTree, env: ConfigEnvironment = {}, parsed?: unknown): RunningRead | null {
  return runSteps(readRunningSteps(tree, env, parsed));
}

/** readRunning, yielding every ENTRIES_PER_STEP neighbor entries (see steps.ts). */
export function* readRunningSteps(tree: DataTree, env: ConfigEnvironment = {}, parsed?: unknown): Steps<RunningRead | null> {
  const bgp = parsed === undefined ? bgpContainer(tree) : object(object(parsed)?.['bmpd:bgp']);
  if (bgp === undefined) return null;
  const resolve = oncePerInterface(env.interfaceAddress ?? interfaceAddress);

  const bmp = object(bgp['bmp']);
  const serverProblems: ConfigProblem[] = [];
  const serverInterfaces: InterfaceUse[] = [];
  const servers = list(bmp?.['server'])
    .flatMap((entry) => serverOf(entry, resolve, serverProblems, serverInterfaces) ?? [])
    .sort((a, b) => a.id - b.id);
  const configuredRouterId = text(bgp['router-id']);
  const router = configuredRouterId !== null ? { routerId: configuredRouterId, problems: [] } : derivedRouterId(env);
  const listen = object(bgp['listen']);
  const base: RunningBase = {
    asNumber: integer(bgp['as-number']) ?? 0,
    routerId: router.routerId,
    routerIdConfigured: configuredRouterId !== null,
    listen: {
      addresses: texts(listen?.['address']).sort(compareAddresses),
      port: integer(listen?.['port']) ?? DEFAULT_BGP_PORT,
    },
    bufferSizeMb: integer(bmp?.['buffer-size']) ?? DEFAULT_BUFFER_SIZE_MB,
    bufferSizeConfigured: configuredBufferSize(tree),
    initialRefresh: initialRefreshOf(bmp),
    servers,
    serverProblems,
    routerIdProblems: router.problems,
    serverInterfaces,
    groups: groupsOf(bgp),
    vrfRds: vrfRdsOf(bgp),
  };
  // rawEntries skips VRFs without an rd, so every entry has one here.
  const raws = rawEntries(bgp);
  yield;
  const entries: NeighborEntrySnapshot[] = [];
  for (let i = 0; i < raws.length; i++) {
    const entry = entrySnapshot(raws[i]!, base, resolve);
    if (entry !== null) entries.push(entry);
    if (i % ENTRIES_PER_STEP === ENTRIES_PER_STEP - 1) yield;
  }
  return { base, entries, snapshots: yield* snapshotsOfSteps(base, entries) };
}

/** The snapshots of a base and its neighbor entries, given in snapshot order. */
export function snapshotsOf(base: RunningBase, entries: Iterable<NeighborEntrySnapshot>): RunningSnapshots {
  return runSteps(snapshotsOfSteps(base, entries));
}

function* snapshotsOfSteps(base: RunningBase, entries: Iterable<NeighborEntrySnapshot>): Steps<RunningSnapshots> {
  const problems: ConfigProblem[] = [...base.serverProblems];
  const { neighbors, activations } = yield* assembleSteps(entries, problems);
  problems.push(...base.routerIdProblems);
  const speaker: SpeakerConfig = { asNumber: base.asNumber, routerId: base.routerId, listen: base.listen, neighbors };
  const bmp: BmpEngineConfig = {
    bufferSizeMb: base.bufferSizeMb,
    initialRefresh: base.initialRefresh,
    servers: base.servers,
    neighbors: activations,
  };
  return { speaker, bmp, problems };
}

/** What one neighbor entry's data path holds in a tree: the entry read, or nothing there. */
export type NeighborEntryRead =
  | { readonly kind: 'entry'; readonly entry: NeighborEntrySnapshot }
  | { readonly kind: 'absent' }
  /** Not readable against `base` alone (its VRF is not in the base): the caller reads running in full. */
  | { readonly kind: 'unreadable'; readonly reason: string };

/**
 * One neighbor entry of `tree`, read against the rest of running as `base` has it: the same
 * peer-group folding, defaults and update-source resolution as readRunning, for one entry. Costs
 * a select of the entry, not a print of running.
 */
export function readNeighborEntry(tree: DataTree, location: NeighborLocation, base: RunningBase, env: ConfigEnvironment = {}): NeighborEntryRead {
  const selected = tree.select(neighborPath(location));
  let bgp: JsonObject | undefined;
  try {
    bgp = bgpContainer(selected);
  } finally {
    selected.free();
  }
  if (bgp === undefined) return { kind: 'absent' };
  const json = findEntry(bgp, location);
  if (json === undefined) return { kind: 'absent' };
  // Its VRF is not in the base (new, or without an rd): only a full read knows it.
  const entry = entrySnapshot({ location, json }, base, env.interfaceAddress ?? interfaceAddress);
  return entry === null ? { kind: 'unreadable', reason: `${neighborPath(location)}: its vrf is not in the base` } : { kind: 'entry', entry };
}

function findEntry(bgp: JsonObject, location: NeighborLocation): JsonObject | undefined {
  const byAddress = (entries: unknown) => list(entries).find((n) => text(n['address']) === location.address);
  if (location.kind === 'global') return byAddress(bgp['neighbor']);
  const vrf = list(bgp['vrf']).find((v) => text(v['name']) === location.vrf);
  const af = list(vrf?.['address-family']).find((a) => text(a['afi']) === location.afi);
  return byAddress(af?.['neighbor']);
}

/** The snapshots of a running tree without a /bgp container. */
export const NO_BGP_SNAPSHOTS: RunningSnapshots = { speaker: null, bmp: EMPTY_BMP_CONFIG, problems: [] };

/** The speaker's and the engine's snapshots of a running tree (bmpd module data). */
export function snapshotsFromRunning(tree: DataTree, env: ConfigEnvironment = {}): RunningSnapshots {
  return readRunning(tree, env)?.snapshots ?? NO_BGP_SNAPSHOTS;
}

/** The view of a running without the /bgp container: no entry to attach oper state to. */
export const NO_BGP_VIEW: BmpdRunningView = { bgp: false, bufferSizeConfigured: null, servers: [], neighbors: [] };

/**
 * The entries of running that oper state may be attached to (servers, neighbors with their place),
 * read from a print of the whole tree (110-230 ms at 10,000 neighbors). The agent takes the same
 * view from the reconciler's index (RunningIndex.view) and reads it this way only when the index
 * is not known to describe running; tests hold the two equal.
 */
export function runningView(tree: DataTree): BmpdRunningView {
  const bgp = bgpContainer(tree);
  if (bgp === undefined) return NO_BGP_VIEW;
  const servers = list(object(bgp['bmp'])?.['server']).flatMap((s) => integer(s['id']) ?? []).sort((a, b) => a - b);
  const neighbors = rawEntries(bgp).map(({ location }) => ({
    key: neighborKey(location.kind === 'vrf' ? location.vrf : null, location.address),
    address: location.address,
    placement: location.kind === 'global' ? { kind: 'global' as const } : { kind: 'vrf' as const, vrf: location.vrf, afi: location.afi },
  }));
  return { bgp: true, bufferSizeConfigured: configuredBufferSize(tree), servers, neighbors };
}

/** The buffer-size leaf when set explicitly: report-all (what bgpContainer reads) cannot tell it from the default. */
function configuredBufferSize(tree: DataTree): number | null {
  const selected = tree.select(`${BGP_PATH}/bmpd:bmp/bmpd:buffer-size`);
  try {
    const printed = selected.print({ format: 'json', withDefaults: 'explicit' });
    return integer(object(object(object(parseYangJson(printed))?.['bmpd:bgp'])?.['bmp'])?.['buffer-size']);
  } finally {
    selected.free();
  }
}
