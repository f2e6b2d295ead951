// The agent: the management plane (NETCONF, datastores) and the data plane
// (BGP speaker, BMP engine) joined by two one-way paths:
//
//   commit  --> reconcile: running change -> speaker + engine (src/agent/reconciler.ts)
//   <get>   <-- oper state: speaker + engine snapshots -> YANG state XML
//
// plus the RPCs of the bmpd module and the engine's events as NETCONF
// notifications.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { parseNeighborKey } from '../bgp/config.js';
import { BgpSpeaker } from '../bgp/speaker.js';
import type { DebugTopic } from '../bmp/config.js';
import { BmpEngine } from '../bmp/engine.js';
import { realStations } from '../bmp/engine-station.js';
import { speakerForBmp } from '../bmp/engine-speaker.js';
import type { RunningChange } from '../datastore/datastores.js';
import { startNetconfService, type NetconfService, type NetconfServiceOptions } from '../netconf/service.js';
import type { YangModel } from '../yang/model.js';
import { runningView, type BmpdRunningView } from './config-snapshot.js';
import { operStateXml } from './oper-state.js';
import { registerBmpdRpcs } from './rpcs.js';
import { neighborNotification, serverNotification } from './notifications.js';
import { IDLE_SPEAKER, Reconciler, type ReconcilePath } from './reconciler.js';

export interface AgentOptions {
  readonly model: YangModel;
  readonly stateDir: string;
  readonly netconfAddress?: string;
  readonly netconfPort?: number;
  readonly logger: Logger;
  /** Initiation sysName; default the host name. */
  readonly sysName?: string;
  /** The NETCONF server's limits (message size, XML, SSH pre-auth) and evaluation workers. */
  readonly netconf?: Pick<NetconfServiceOptions, 'server' | 'evaluation'>;
}

export class Agent {
  private netconf: NetconfService | null = null;
  private runningViewAt: { readonly epoch: number; readonly view: BmpdRunningView } | null = null;
  private readonly reconciler: Reconciler;

  private constructor(
    readonly speaker: BgpSpeaker,
    readonly engine: BmpEngine,
    private readonly options: AgentOptions,
    private readonly sysName: string,
  ) {
    this.reconciler = new Reconciler({ speaker, engine }, options.logger.child({ topic: 'reconcile' }));
  }

  static async start(options: AgentOptions): Promise<Agent> {
    const logger = options.logger;
    const bgpLog = logger.child({ topic: 'bgp' });
    const speaker = new BgpSpeaker(IDLE_SPEAKER, {
      log: { debug: (o, m) => bgpLog.debug(o, m), info: (o, m) => bgpLog.info(o, m), warn: (o, m) => bgpLog.warn(o, m) },
    });
    // The engine learns established neighbors from the speaker's events: it
    // must exist before the speaker starts.
    const sysName = options.sysName ?? hostname();
    const engine = new BmpEngine({
      speaker: speakerForBmp(speaker),
      logger: logger.child({ component: 'bmp' }),
      stations: realStations(),
      sysName,
      sysDescr: `bmpd ${process.env.npm_package_version ?? ''} BGP Monitoring Protocol agent on Node.js ${process.version}`.replace(/\s+/g, ' '),
    });
    await speaker.start();
    const agent = new Agent(speaker, engine, options, sysName);
    agent.netconf = await startNetconfService({
      model: options.model,
      stateDir: options.stateDir,
      ...(options.netconfAddress !== undefined ? { address: options.netconfAddress } : {}),
      ...(options.netconfPort !== undefined ? { port: options.netconfPort } : {}),
      logger,
      // A change of other modules only (NACM's rules) leaves the BGP and BMP planes as they are.
      apply: async (change) => {
        if (change.cause === 'startup' || change.changes.some((c) => c.path.startsWith('/bmpd:'))) await agent.reconcile(change);
      },
      state: [() => agent.operState()],
      ...options.netconf,
    });
    registerBmpdRpcs(agent.netconf.server.dispatcher, agent);
    agent.wireNotifications();
    return agent;
  }

  get service(): NetconfService {
    if (this.netconf === null) throw new Error('agent not started');
    return this.netconf;
  }

  /**
   * The datastore's apply hook: the change reaches the speaker and the engine, each touching only
   * what changed; a change of neighbor entries only is read and applied entry by entry. Runtime
   * conditions (an interface without an address) are logged, never fatal. If either refuses,
   * both go back to what they ran before and the commit fails.
   */
  reconcile(change: RunningChange): Promise<ReconcilePath> {
    return this.reconciler.reconcile(change);
  }

  /** State data for <get>: everything config false in the bmpd module. */
  operState(): string {
    // The view of running's entries (110-230 ms at 10,000 neighbors, on the
    // thread every session shares) is read again only when running may have changed.
    const datastores = this.service.datastores;
    if (this.runningViewAt?.epoch !== datastores.changeEpoch) {
      this.runningViewAt = { epoch: datastores.changeEpoch, view: runningView(datastores.tree('running')) };
    }
    return operStateXml({
      running: this.runningViewAt.view,
      engine: this.engine.snapshot(),
      speaker: this.speaker.snapshot(),
      now: new Date(),
      debugTopics: this.engine.debugTopics(),
      sysName: this.sysName,
    });
  }

  setDebug(enable: readonly DebugTopic[], disable: readonly DebugTopic[]): DebugTopic[] {
    for (const t of disable) this.engine.setDebug(t, false);
    for (const t of enable) this.engine.setDebug(t, true);
    return this.engine.debugTopics();
  }

  private wireNotifications(): void {
    const stream = this.service.notifications;
    this.engine.on('server-up', (e) => stream.publish(serverNotification(e.id, e.address, e.port, 'up', 'connection established', this.reconciler.servers)));
    this.engine.on('server-down', (e) => stream.publish(serverNotification(e.id, null, null, 'down', e.reason, this.reconciler.servers)));
    this.speaker.on('established', (e) => stream.publish(neighborNotification(e.peerAddress, e.vrf, null)));
    this.speaker.on('down', (e) => {
      // A neighbor removed from the configuration is gone from the speaker by now: its key still names it.
      const { address, vrf } = this.speaker.neighborState(e.neighbor) ?? parseNeighborKey(e.neighbor);
      stream.publish(neighborNotification(address, vrf, e.reason));
    });
  }

  /** SIGTERM: Termination to every BMP server, Cease to every neighbor, NETCONF sessions closed. */
  async stop(): Promise<void> {
    await this.engine.stop();
    await this.speaker.stop();
    await this.netconf?.stop();
  }
}
