// The initial-table queue (seed: "the BMP servers send route refresh requests to individual BMP
// clients at a time, in the order in which connections are established"). One round serves
// every neighbor that some server is waiting for, one neighbor at a time, lowest establishment
// order first; servers that come up while the delay runs, or before their neighbor's turn in the
// round, share it ('bmp initial-refresh delay': one set of refreshes for servers that come up
// together). A server that comes up after its neighbor's turn waits for the next round.
//
// One neighbor's turn:
//   - route-refresh negotiated: ROUTE-REFRESH (RFC 2918) for each negotiated family; the turn
//     ends when the neighbor has sent End-of-RIB for all of them, or after `quietMs` without an
//     UPDATE from it (plain ROUTE-REFRESH has no end marker; RFC 7313 enhanced refresh or an
//     End-of-RIB ends it sooner), and at the latest after `timeoutMs`, so a silent neighbor
//     cannot stall the queue. The engine then sends End-of-RIB for the families the neighbor
//     did not close itself.
//   - no route-refresh: the Adj-RIB-In is replayed (End-of-RIB markers included); the turn
//     ends when the replay does.
import type { Logger } from 'pino';
import { afiSafiOf } from '../bgp/codec/nlri.js';
import type { AddressFamily, NeighborKey } from '../bgp/config.js';
import type { NegotiatedCapabilities } from '../bgp/events.js';
import type { EngineClock } from './engine-station.js';

export interface RefreshTarget {
  readonly neighbor: NeighborKey;
  /** Establishment order. */
  readonly seq: number;
  /** Servers waiting for this neighbor's table when its turn began. */
  readonly servers: readonly number[];
  readonly capabilities: NegotiatedCapabilities;
}

export interface RefreshQueueOptions {
  readonly clock: EngineClock;
  readonly log: { readonly event: Logger; readonly neighbor: Logger };
  readonly quietMs: number;
  readonly timeoutMs: number;
  /** Established neighbors some server waits for. */
  candidates(): RefreshTarget[];
  sendRouteRefresh(neighbor: NeighborKey, afi: number, safi: number): boolean;
  /** Replay the neighbor's Adj-RIB-In to target.servers; stop early once isCurrent() is false. */
  replay(target: RefreshTarget, isCurrent: () => boolean): Promise<void>;
  /** The turn is over; `endOfRibFor`: families the engine still has to close with End-of-RIB. */
  finished(target: RefreshTarget, endOfRibFor: readonly AddressFamily[]): void;
}

interface Turn {
  readonly target: RefreshTarget;
  readonly mode: 'route-refresh' | 'replay';
  /** Families asked for and not yet closed by the neighbor's own End-of-RIB. */
  readonly open: Set<AddressFamily>;
  quietTimer: unknown;
  hardTimer: unknown;
}

export class RefreshQueue {
  private delayTimer: unknown = null;
  private delayMs = 0;
  private round: Set<NeighborKey> | null = null;
  private turn: Turn | null = null;

  constructor(private readonly options: RefreshQueueOptions) {}

  /** 'BMP Refresh in progress'. */
  get inProgress(): boolean {
    return this.round !== null;
  }

  /** 'refresh scheduled': the initial-refresh delay runs. */
  get scheduled(): boolean {
    return this.delayTimer !== null;
  }

  get current(): NeighborKey | null {
    return this.turn?.target.neighbor ?? null;
  }

  /** Start a round after `delayMs` unless one is scheduled or running (that one picks the new work up); null = skip. */
  schedule(delayMs: number | null): void {
    if (delayMs === null) return;
    this.delayMs = delayMs;
    if (this.delayTimer !== null || this.round !== null) return;
    if (this.options.candidates().length === 0) return;
    this.options.log.event.debug({ delayMs }, `BMP refresh scheduled in ${Math.round(delayMs / 1000)}s`);
    this.delayTimer = this.options.clock.setTimeout(() => {
      this.delayTimer = null;
      this.round = new Set();
      this.options.log.event.debug({}, 'BMP refresh started');
      this.next();
    }, delayMs);
  }

  /** Drop the schedule and the running round ('bmp initial-refresh skip', engine stop). */
  cancel(): void {
    if (this.delayTimer !== null) this.options.clock.clearTimeout(this.delayTimer);
    this.delayTimer = null;
    this.endTurn();
    this.round = null;
  }

  /** Every UPDATE of every neighbor passes here: it keeps the current turn alive or ends it. */
  updateReceived(neighbor: NeighborKey, endOfRib: AddressFamily | null): void {
    const turn = this.turn;
    if (!turn || turn.mode !== 'route-refresh' || turn.target.neighbor !== neighbor) return;
    if (endOfRib !== null) turn.open.delete(endOfRib);
    if (turn.open.size === 0) {
      this.finish(turn, 'End-of-RIB');
      return;
    }
    this.armQuiet(turn);
  }

  /** The neighbor went down: its turn, if running, ends without End-of-RIB. */
  neighborGone(neighbor: NeighborKey): void {
    const turn = this.turn;
    if (!turn || turn.target.neighbor !== neighbor) return;
    this.options.log.neighbor.debug({ neighbor }, `BMP refresh for neighbor ${neighbor} aborted: neighbor down`);
    this.endTurn();
    this.next();
  }

  private next(): void {
    const round = this.round;
    if (!round) return;
    const candidates = this.options.candidates();
    const pick = candidates.filter((c) => !round.has(c.neighbor)).sort((a, b) => a.seq - b.seq)[0];
    if (!pick) {
      this.round = null;
      this.options.log.event.debug({}, 'BMP refresh ended');
      // Servers that came up after their neighbor's turn: another round.
      if (candidates.length > 0) this.schedule(this.delayMs);
      return;
    }
    round.add(pick.neighbor);
    this.begin(pick);
  }

  private begin(target: RefreshTarget): void {
    const { neighbor, capabilities } = target;
    const log = this.options.log.neighbor;
    if (capabilities.routeRefresh) {
      const asked = capabilities.families.filter((f) => {
        const { afi, safi } = afiSafiOf(f);
        return this.options.sendRouteRefresh(neighbor, afi, safi);
      });
      if (asked.length > 0) {
        const turn: Turn = { target, mode: 'route-refresh', open: new Set(asked), quietTimer: null, hardTimer: null };
        this.turn = turn;
        log.debug({ neighbor, servers: target.servers, families: asked }, `BMP refresh started for neighbor ${neighbor}: ROUTE-REFRESH sent`);
        this.armQuiet(turn);
        turn.hardTimer = this.options.clock.setTimeout(() => this.finish(turn, 'timeout'), this.options.timeoutMs);
        return;
      }
    }
    const turn: Turn = { target, mode: 'replay', open: new Set(), quietTimer: null, hardTimer: null };
    this.turn = turn;
    log.debug({ neighbor, servers: target.servers }, `BMP refresh started for neighbor ${neighbor}: replaying Adj-RIB-In`);
    const isCurrent = (): boolean => this.turn === turn;
    this.options.replay(target, isCurrent).then(
      () => {
        if (isCurrent()) this.finish(turn, 'replay complete');
      },
      (err: unknown) => {
        log.warn({ neighbor, err }, `BMP replay for neighbor ${neighbor} failed`);
        if (isCurrent()) this.finish(turn, 'replay failed');
      },
    );
  }

  private armQuiet(turn: Turn): void {
    if (turn.quietTimer !== null) this.options.clock.clearTimeout(turn.quietTimer);
    turn.quietTimer = this.options.clock.setTimeout(() => this.finish(turn, 'quiet'), this.options.quietMs);
  }

  private finish(turn: Turn, why: string): void {
    if (this.turn !== turn) return;
    this.endTurn();
    const neighbor = turn.target.neighbor;
    this.options.log.neighbor.debug({ neighbor, servers: turn.target.servers, why }, `BMP refresh ended for neighbor ${neighbor} (${why})`);
    this.options.finished(turn.target, [...turn.open]);
    this.next();
  }

  private endTurn(): void {
    const turn = this.turn;
    if (!turn) return;
    if (turn.quietTimer !== null) this.options.clock.clearTimeout(turn.quietTimer);
    if (turn.hardTimer !== null) this.options.clock.clearTimeout(turn.hardTimer);
    this.turn = null;
  }
}
