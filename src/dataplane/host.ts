// The data plane's end of the channel (channel.ts): it owns the BGP speaker and the BMP engine
// and every socket they open, answers the management plane's requests and reports the events
// the agent turns into NETCONF notifications. It runs in the data plane's worker thread
// (worker.ts), or on the main thread in inline mode; the code is the same either way.
import { performance } from 'node:perf_hooks';
import { isMainThread, threadId } from 'node:worker_threads';
import type { Logger } from 'pino';
import { parseNeighborKey, type NeighborConfig } from '../bgp/config.js';
import { BgpSpeaker } from '../bgp/speaker.js';
import { BmpEngine } from '../bmp/engine.js';
import { speakerForBmp } from '../bmp/engine-speaker.js';
import { realStations } from '../bmp/engine-station.js';
import { NO_BGP_VIEW, type BmpdRunningView } from '../agent/config-snapshot.js';
import { operStateXml } from '../agent/oper-state.js';
import { IDLE_SPEAKER } from '../agent/reconciler.js';
import {
  errorPayload, type ChannelPort, type DataPlaneEvent, type DataPlaneMessage, type DataPlaneRequest, type DataPlaneResults, type RequestMessage,
} from './channel.js';
import { ThreadLoad } from './thread-load.js';

export interface DataPlaneHostOptions {
  readonly logger: Logger;
  /** BMP Initiation sysName and sysDescr (RFC 7854 §4.3). */
  readonly sysName: string;
  readonly sysDescr: string;
  /** More fields for the 'data plane started' line (the worker's thread id and nice value). */
  readonly started?: Readonly<Record<string, unknown>>;
}

export class DataPlaneHost {
  private readonly speaker: BgpSpeaker;
  private readonly engine: BmpEngine;
  private readonly log: Logger;
  private readonly sysName: string;
  /** Running's view as of the last oper-state request that carried one. */
  private running: BmpdRunningView = NO_BGP_VIEW;
  /** The neighbors of the next apply-speaker-config, as its stage-speaker-neighbors slices brought them. */
  private staged: NeighborConfig[] = [];
  /**
   * This thread's event-loop delay and GC pauses, logged at stop: what the data plane costs
   * itself. None inline: the agent's own monitor watches the main thread (one line per thread).
   */
  private readonly load: ThreadLoad | null;

  private constructor(options: DataPlaneHostOptions, private readonly send: (message: DataPlaneMessage) => void) {
    const logger = options.logger;
    this.log = logger.child({ topic: 'data-plane' });
    this.sysName = options.sysName;
    this.load = isMainThread ? null : new ThreadLoad(this.log);
    const bgpLog = logger.child({ topic: 'bgp' });
    this.speaker = new BgpSpeaker(IDLE_SPEAKER, {
      log: { debug: (o, m) => bgpLog.debug(o, m), info: (o, m) => bgpLog.info(o, m), warn: (o, m) => bgpLog.warn(o, m) },
    });
    // The engine learns established neighbors from the speaker's events: it must exist before the speaker starts.
    this.engine = new BmpEngine({
      speaker: speakerForBmp(this.speaker),
      logger: logger.child({ component: 'bmp' }),
      stations: realStations(),
      sysName: options.sysName,
      sysDescr: options.sysDescr,
    });
    this.engine.on('server-up', (e) => this.emit({ kind: 'server-up', id: e.id, address: e.address, port: e.port }));
    this.engine.on('server-down', (e) => this.emit({ kind: 'server-down', id: e.id, reason: e.reason }));
    this.speaker.on('established', (e) => this.emit({ kind: 'neighbor-established', address: e.peerAddress, vrf: e.vrf }));
    this.speaker.on('down', (e) => {
      // A neighbor removed from the configuration is gone from the speaker by now: its key still names it.
      const { address, vrf } = this.speaker.neighborState(e.neighbor) ?? parseNeighborKey(e.neighbor);
      this.emit({ kind: 'neighbor-down', address, vrf, reason: e.reason });
    });
  }

  /** Starts the speaker (idle: no listener, no neighbor) and answers requests arriving on `port`. */
  static async serve(port: ChannelPort, options: DataPlaneHostOptions): Promise<DataPlaneHost> {
    const host = new DataPlaneHost(options, (m) => port.postMessage(m));
    await host.speaker.start();
    port.on('message', (m) => void host.handle(m as RequestMessage));
    host.load?.start();
    // The worker's logger binds threadId to every line (worker.ts); inline lines are the main thread's.
    host.log.info({ ...options.started }, 'data plane started');
    host.emit({ kind: 'ready', threadId });
    return host;
  }

  private emit(event: DataPlaneEvent): void {
    this.send({ kind: 'event', event });
  }

  private async handle({ id, request }: RequestMessage): Promise<void> {
    try {
      const value = await this.perform(request);
      this.send({ kind: 'reply', id, ok: true, value });
    } catch (err) {
      this.send({ kind: 'reply', id, ok: false, error: errorPayload(err) });
    }
  }

  private async perform(request: DataPlaneRequest): Promise<DataPlaneResults[DataPlaneRequest['op']]> {
    switch (request.op) {
      case 'stage-speaker-neighbors':
        // A new configuration starts at 0; a slice anywhere else must follow the last one.
        if (request.at === 0) this.staged = [];
        if (request.at !== this.staged.length) throw new Error(`neighbors staged from ${request.at}, but ${this.staged.length} are staged`);
        for (const neighbor of request.neighbors) this.staged.push(neighbor);
        return null;
      case 'apply-speaker-config': {
        const staged = this.staged;
        this.staged = [];
        if (request.staged === undefined) {
          await this.speaker.applyConfig(request.config);
          return null;
        }
        if (staged.length !== request.staged) throw new Error(`a configuration of ${request.staged} staged neighbors, but ${staged.length} are staged`);
        await this.speaker.applyConfig({ ...request.config, neighbors: staged });
        return null;
      }
      case 'apply-neighbor-changes': await this.speaker.applyNeighborChanges(request.changes); return null;
      case 'apply-engine-config': await this.engine.applyConfig(request.config); return null;
      case 'apply-activation-changes': await this.engine.applyActivationChanges(request.changes); return null;
      case 'oper-state': {
        if (request.running !== null) this.running = request.running;
        const started = performance.now();
        const xml = operStateXml({
          running: this.running,
          engine: this.engine.snapshot(),
          speaker: this.speaker.snapshot(),
          now: new Date(),
          debugTopics: this.engine.debugTopics(),
          sysName: this.sysName,
        });
        // One line per build: concurrent <get>s share one (src/agent/agent.ts operState()).
        this.log.debug({ ms: Math.round((performance.now() - started) * 10) / 10, chars: xml.length, newRunningView: request.running !== null }, 'oper-state built');
        return xml;
      }
      case 'reset-neighbor': return this.speaker.resetNeighbor(request.neighbor, { soft: request.soft });
      case 'reset-server': return this.engine.resetServer(request.server);
      case 'clear-counters':
        if (request.server === undefined) {
          this.engine.clearCounters();
          return true;
        }
        return this.engine.clearCounters(request.server);
      case 'set-debug':
        for (const t of request.disable) this.engine.setDebug(t, false);
        for (const t of request.enable) this.engine.setDebug(t, true);
        return this.engine.debugTopics();
      case 'stop':
        await this.engine.stop();
        await this.speaker.stop();
        if (this.load) this.log.info({ thread: 'data-plane', ...this.load.stop() }, 'event-loop delay');
        return null;
    }
  }
}
