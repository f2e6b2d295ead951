// BgpSpeaker: the neighbors of one readonly SpeakerConfig snapshot, the listeners that accept
// their connections, and the events the BMP engine consumes (src/bgp/events.ts).
//
// Neighbor identity: a neighbor is keyed by (vrf, address) — `neighborKey()` in config.ts.
// Two VRFs may hold neighbors with the same peer address; an incoming connection is then
// matched by the local address it arrived on, which must be that neighbor's update-source.
// Each such VRF neighbor therefore needs a distinct update-source. (Linux VRF devices would
// be the other way; bmpd runs in one network namespace and keeps it simple.)
//
// Peer groups are resolved by the caller (src/agent): every NeighborConfig arrives with its
// effective values.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { formatIpv6, ipv6Bytes } from '../net/ip.js';
import { setTcpMd5Sig, socketFd } from '../net/sockopt.js';
import type { NeighborChanges, NeighborConfig, NeighborKey, SpeakerConfig, SpeakerSettings } from './config.js';
import { DEFAULT_BGP_PORT, DEFAULT_CONNECT_RETRY_SECONDS, neighborKeyOf } from './config.js';
import type { EstablishedEvent, NeighborSnapshot, SpeakerEvents } from './events.js';
import { CeaseSubcode } from './fsm.js';
import { afiSafiOf } from './codec/index.js';
import { plainAddress, Session, type SessionLogger } from './session.js';
import type { AdjRibInStatistics } from './adj-rib-in.js';
import { AttributeSetPools } from './attribute-set-pool.js';

export interface BgpSpeakerOptions {
  readonly log?: SessionLogger;
}

/** RFC 5952 text (what Node reports for a socket), so "2001:DB8::0001" in the config matches. */
function canonicalAddress(address: string): string {
  return net.isIPv6(address) ? formatIpv6(ipv6Bytes(address)) : address;
}

/** How long sessions without a table may be stopped in one turn (a removal of thousands). */
const RETIRE_SLICE_MS = 5;

const silentLog: SessionLogger = { debug() {}, info() {}, warn() {} };

interface Listener {
  readonly address: string;
  readonly port: number;
  readonly server: net.Server;
}

/** Fields whose change needs the session to be reset (they are in the OPEN or the TCP connection). */
function needsReset(a: NeighborConfig, b: NeighborConfig): boolean {
  return (
    a.remoteAs !== b.remoteAs ||
    a.updateSource !== b.updateSource ||
    a.password !== b.password ||
    a.passive !== b.passive ||
    a.remotePort !== b.remotePort ||
    a.vrf?.rd !== b.vrf?.rd ||
    a.addressFamilies.join(',') !== b.addressFamilies.join(',')
  );
}

function settingsOf(config: SpeakerConfig): SpeakerSettings {
  const { neighbors: _neighbors, ...settings } = config;
  return settings;
}

export class BgpSpeaker extends EventEmitter<SpeakerEvents> {
  private config: SpeakerSettings;
  /** The configured neighbors by key: a change of one neighbor touches one entry, never all. */
  private neighborConfigs: Map<NeighborKey, NeighborConfig>;
  private readonly sessions = new Map<NeighborKey, Session>();
  /** Sessions `retire()` took out of `sessions` and has not stopped yet. */
  private readonly retiring = new Set<Session>();
  /** One store of attribute sets for every neighbor: a path several neighbors send is held once. */
  private readonly attributeSets = new AttributeSetPools();
  private bgpListeners: Listener[] = [];
  private readonly log: SessionLogger;
  private readingPaused = false;
  private running = false;

  constructor(config: SpeakerConfig, options: BgpSpeakerOptions = {}) {
    super();
    this.config = settingsOf(config);
    this.neighborConfigs = new Map(config.neighbors.map((n) => [neighborKeyOf(n), n]));
    this.log = options.log ?? silentLog;
  }

  /** Open the listeners, then start every neighbor that is not shut down. */
  async start(): Promise<void> {
    this.running = true;
    await this.openListeners(this.config);
    for (const neighbor of this.neighborConfigs.values()) this.addNeighbor(neighbor);
  }

  /** Where the listeners really listen (port 0 in the config = an ephemeral port, for tests). */
  listenAddresses(): { address: string; port: number }[] {
    return this.bgpListeners.map((l) => {
      const bound = l.server.address();
      return { address: l.address, port: typeof bound === 'object' && bound ? bound.port : l.port };
    });
  }

  /**
   * Reconcile to a new snapshot, touching only what changed: removed neighbors get Cease/3
   * (Peer De-configured), neighbors whose OPEN or transport changed get Cease/6 (Other
   * Configuration Change) and restart, shutdown toggles send Cease/2 or start the session.
   */
  async applyConfig(next: SpeakerConfig): Promise<void> {
    const previous = this.config;
    const previousNeighbors = this.neighborConfigs;
    this.config = settingsOf(next);
    const identityChanged = previous.asNumber !== next.asNumber || previous.routerId !== next.routerId;
    const listenChanged =
      previous.listen.port !== next.listen.port || previous.listen.addresses.join(',') !== next.listen.addresses.join(',');

    const nextByKey = new Map(next.neighbors.map((n) => [neighborKeyOf(n), n]));
    this.neighborConfigs = nextByKey;
    await this.retire([...this.sessions.keys()].filter((key) => !nextByKey.has(key)), CeaseSubcode.PeerDeconfigured);
    if (listenChanged) {
      this.closeListeners();
      await this.openListeners(next);
      // New listeners know no keys yet. (At start() each addNeighbor sets its own.)
      for (const neighbor of this.neighborConfigs.values()) this.setMd5For(neighbor, neighbor.password);
    }
    for (const [key, neighbor] of nextByKey) this.reconcileNeighbor(key, neighbor, identityChanged);
    if (!listenChanged) this.applyMd5(previousNeighbors, nextByKey.keys());
  }

  /**
   * What applyConfig does, for the given neighbors only (the agent's path for a commit that adds,
   * changes or removes neighbors and nothing else): the cost is that of the change, not of the
   * configuration. Same effects per neighbor: Cease/3 for a removed one, Cease/6 and a restart
   * when its OPEN or transport changed, Cease/2 or a start for a shutdown toggle, MD5 keys.
   */
  async applyNeighborChanges(changes: NeighborChanges): Promise<void> {
    const previous = new Map<NeighborKey, NeighborConfig | undefined>();
    for (const key of changes.removals) {
      if (!previous.has(key)) previous.set(key, this.neighborConfigs.get(key));
      this.neighborConfigs.delete(key);
    }
    // Every removal is down (Peer Down sent) before any upsert starts, even one of the same key.
    await this.retire(changes.removals, CeaseSubcode.PeerDeconfigured);
    for (const neighbor of changes.upserts) {
      const key = neighborKeyOf(neighbor);
      if (!previous.has(key)) previous.set(key, this.neighborConfigs.get(key));
      this.neighborConfigs.set(key, neighbor);
      this.reconcileNeighbor(key, neighbor, false);
    }
    this.applyMd5(previous, previous.keys());
  }

  /** The configured neighbors by key, as last applied (applyConfig or applyNeighborChanges). */
  configuredNeighbors(): ReadonlyMap<NeighborKey, NeighborConfig> {
    return this.neighborConfigs;
  }

  /** One neighbor of the new configuration against its session: start, restart, update or toggle. */
  private reconcileNeighbor(key: NeighborKey, neighbor: NeighborConfig, identityChanged: boolean): void {
    const session = this.sessions.get(key);
    if (!session) {
      this.addNeighbor(neighbor);
      return;
    }
    const old = session.neighbor;
    if (identityChanged || needsReset(old, neighbor)) {
      session.stop(CeaseSubcode.OtherConfigurationChange);
      this.sessions.delete(key);
      this.addNeighbor(neighbor);
      return;
    }
    session.updateConfig(neighbor, this.connectRetrySeconds());
    if (old.shutdown !== neighbor.shutdown) {
      if (neighbor.shutdown) session.stop(CeaseSubcode.AdministrativeShutdown);
      else session.start();
    }
  }

  sendRouteRefresh(key: NeighborKey, afi: number, safi: number): boolean {
    return this.sessions.get(key)?.sendRouteRefresh(afi, safi) ?? false;
  }

  /**
   * The neighbor's Adj-RIB-In as UPDATE messages followed by End-of-RIB, for a station that
   * needs the table of a neighbor without route-refresh. Empty when the neighbor is not known.
   */
  replayAdjRibIn(key: NeighborKey, options: { readonly pauses?: boolean } = {}): Iterable<Buffer> {
    return this.sessions.get(key)?.rib?.replay(options) ?? [];
  }

  /** RFC 7854 §4.8 counters for BMP Statistics Reports; null when the neighbor never came up. */
  adjRibInStatistics(key: NeighborKey): AdjRibInStatistics | null {
    return this.sessions.get(key)?.statistics() ?? null;
  }

  /** Neighbors Established now, with their Peer Up facts, in the order they came up. */
  establishedNeighbors(): EstablishedEvent[] {
    return [...this.sessions.values()]
      .flatMap((s) => (s.establishedEvent ? [s.establishedEvent] : []))
      .sort((a, b) => a.establishedAt.getTime() - b.establishedAt.getTime());
  }

  neighborState(key: NeighborKey): NeighborSnapshot | undefined {
    return this.sessions.get(key)?.snapshot();
  }

  snapshot(): NeighborSnapshot[] {
    return [...this.sessions.values()].map((s) => s.snapshot());
  }

  /** Backpressure from the BMP engine: stop reading from every neighbor until resumed. */
  pauseReading(): void {
    this.readingPaused = true;
    for (const session of this.sessions.values()) session.pauseReading();
    for (const session of this.retiring) session.pauseReading();
  }

  resumeReading(): void {
    this.readingPaused = false;
    for (const session of this.sessions.values()) session.resumeReading();
    for (const session of this.retiring) session.resumeReading();
  }

  get isReadingPaused(): boolean {
    return this.readingPaused;
  }

  /**
   * `clear ip bgp X`: hard = Cease/4 Administrative Reset and reconnect; soft = ROUTE-REFRESH for
   * every negotiated family (RFC 2918). Returns false when the neighbor is unknown or a soft reset
   * is impossible (not Established, or no route-refresh capability).
   */
  resetNeighbor(key: NeighborKey, options: { soft?: boolean } = {}): boolean {
    const session = this.sessions.get(key);
    if (!session) return false;
    if (!options.soft) {
      session.reset();
      return true;
    }
    const capabilities = session.capabilities;
    if (!capabilities?.routeRefresh) return false;
    return capabilities.families
      .map((family) => {
        const { afi, safi } = afiSafiOf(family);
        return session.sendRouteRefresh(afi, safi);
      })
      .every(Boolean);
  }

  /** Close the listeners, then Cease/2 (Administrative Shutdown) to every neighbor, in turns (retire()). */
  async stop(): Promise<void> {
    this.running = false;
    this.closeListeners();
    await this.retire([...this.sessions.keys()], CeaseSubcode.AdministrativeShutdown);
  }

  /**
   * Stops the sessions of `keys` with a Cease of `subcode` (3 also reports BMP Peer Down reason 5),
   * a turn after each one that had a table: its clear() (about 100 ms at a full table) is queued
   * for a turn of its own (AttributeSetPools.releaseLater), and between two such sessions the
   * queue and everything else waiting get their turn; sixteen full tables torn down in one turn
   * had held the data-plane thread for seconds. Sessions without a table (thousands at a large
   * reconcile) share a turn up to RETIRE_SLICE_MS.
   *
   * All of them leave `sessions` at once, before the first turn: a request served in between
   * (reset-neighbor, an accepted connection) must not find a neighbor that is going away. Until
   * its turn comes, a retiring session still follows pauseReading()/resumeReading().
   */
  private async retire(keys: Iterable<NeighborKey>, subcode: number): Promise<void> {
    const retiring: Session[] = [];
    for (const key of keys) {
      const session = this.sessions.get(key);
      if (!session) continue;
      this.sessions.delete(key);
      retiring.push(session);
      this.retiring.add(session);
    }
    let sliceStart = performance.now();
    for (const session of retiring) {
      const heldTable = session.rib !== null;
      this.retiring.delete(session);
      session.stop(subcode, { deconfigured: subcode === CeaseSubcode.PeerDeconfigured });
      if (heldTable || performance.now() - sliceStart > RETIRE_SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }
  }

  private connectRetrySeconds(): number {
    return this.config.connectRetrySeconds ?? DEFAULT_CONNECT_RETRY_SECONDS;
  }

  private addNeighbor(neighbor: NeighborConfig): void {
    const key = neighborKeyOf(neighbor);
    const session = new Session({
      localAs: this.config.asNumber,
      routerId: this.config.routerId,
      neighbor,
      connectRetrySeconds: this.connectRetrySeconds(),
      log: this.log,
      attributeSets: this.attributeSets,
      hooks: {
        established: (event) => this.deliver('established', event),
        update: (event) => this.deliver('update', event),
        down: (neighborKey, reason) => this.deliver('down', { neighbor: neighborKey, reason, at: new Date() }),
        stateChange: (neighborKey, from, to) => this.deliver('state-change', { neighbor: neighborKey, from, to }),
      },
    });
    this.sessions.set(key, session);
    if (this.readingPaused) session.pauseReading();
    this.setMd5For(neighbor, neighbor.password);
    if (this.running) session.start();
  }

  /**
   * A listener that throws must not break the session that emitted the event (the FSM is
   * half-way through a transition then): log it and carry on.
   */
  private deliver<K extends 'established' | 'update' | 'down' | 'state-change'>(name: K, ...payload: SpeakerEvents[K]): void {
    try {
      (this.emit as (n: K, ...p: SpeakerEvents[K]) => boolean)(name, ...payload);
    } catch (err) {
      this.log.warn({ event: name, err: (err as Error).stack }, 'bgp speaker event listener threw');
    }
  }

  /** §6.8 is per neighbor; here we only find the neighbor an accepted connection belongs to. */
  private sessionFor(remote: string, local: string): Session | undefined {
    const candidates = [...this.sessions.values()].filter((s) => canonicalAddress(s.neighbor.address) === remote);
    const byLocal = candidates.find((s) => s.neighbor.updateSource !== null && canonicalAddress(s.neighbor.updateSource) === local);
    if (byLocal) return byLocal;
    return candidates.find((s) => s.neighbor.updateSource === null);
  }

  private onConnection(socket: net.Socket): void {
    const remote = plainAddress(socket.remoteAddress);
    const local = plainAddress(socket.localAddress);
    const session = this.sessionFor(remote, local);
    if (!session) {
      this.log.info({ remote, local }, 'bgp connection from an unconfigured address refused');
      this.emit('warning', { neighbor: null, message: `connection from unconfigured ${remote} to ${local} refused` });
      socket.destroy();
      return;
    }
    session.accept(socket);
  }

  private async openListeners(config: SpeakerSettings): Promise<void> {
    const port = config.listen.port ?? DEFAULT_BGP_PORT;
    for (const address of config.listen.addresses) {
      const server = net.createServer({ noDelay: true, pauseOnConnect: false }, (socket) => this.onConnection(socket));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: address, port, exclusive: true }, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        const message = `cannot listen on ${address} port ${port}: ${(err as Error).message}`;
        this.log.warn({ address, port }, message);
        this.emit('warning', { neighbor: null, message });
        continue;
      }
      server.on('error', (err) => this.emit('warning', { neighbor: null, message: `listener ${address}: ${err.message}` }));
      this.bgpListeners.push({ address, port, server });
    }
  }

  /**
   * Stops accepting at once. net.Server.close()'s callback waits until every connection the
   * listener accepted has ended, so awaiting it would hang a listen change for as long as an
   * established session that came in on it lives (and that session must stay).
   */
  private closeListeners(): void {
    for (const l of this.bgpListeners) l.server.close();
    this.bgpListeners = [];
  }

  /**
   * MD5 keys after a change, last: first the key of each neighbor of `before` that went away,
   * then a key for each `touched` neighbor whose password is new or changed (`before` holds
   * the configs the change replaced, undefined for a neighbor it added).
   */
  private applyMd5(before: ReadonlyMap<NeighborKey, NeighborConfig | undefined>, touched: Iterable<NeighborKey>): void {
    for (const [key, old] of before) {
      if (old?.password && !this.neighborConfigs.has(key)) this.setMd5For(old, null);
    }
    // A map, not a search per neighbor: a commit at 10,000 neighbors must not cost 10,000².
    for (const key of touched) {
      const neighbor = this.neighborConfigs.get(key);
      if (neighbor !== undefined && (before.get(key)?.password ?? null) !== neighbor.password) this.setMd5For(neighbor, neighbor.password);
    }
  }

  /**
   * RFC 2385 keys on the listeners, so the neighbor's SYN is accepted: on the listener of its
   * update-source, or on every listener when it has none. Linux keys a listening socket by
   * peer address only, which is why overlapping VRF neighbors need distinct local addresses.
   */
  private setMd5For(neighbor: NeighborConfig, password: string | null): void {
    // An empty key sets nothing; removing a key the neighbor never had removes nothing.
    if (password === '' || (password === null && !neighbor.password)) return;
    for (const listener of this.bgpListeners) {
      if (neighbor.updateSource !== null && neighbor.updateSource !== listener.address && !['0.0.0.0', '::'].includes(listener.address)) {
        continue;
      }
      if (net.isIPv6(neighbor.address) && net.isIPv4(listener.address)) continue;
      if (net.isIPv4(neighbor.address) && net.isIPv6(listener.address) && listener.address !== '::') continue;
      try {
        setTcpMd5Sig(socketFd(listener.server), neighbor.address, password);
      } catch (err) {
        const message = `TCP MD5 for ${neighbor.address} on ${listener.address}: ${(err as Error).message}`;
        this.log.warn({ neighbor: neighborKeyOf(neighbor) }, message);
        this.emit('warning', { neighbor: neighborKeyOf(neighbor), message });
      }
    }
  }
}
