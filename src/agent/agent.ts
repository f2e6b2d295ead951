// The agent: the management plane (NETCONF, datastores) and the data plane (BGP speaker, BMP
// engine) joined by two one-way paths over one typed message channel (src/dataplane/channel.ts):
//
//   commit  --> reconcile: running change -> apply requests to the data plane (src/agent/reconciler.ts)
//   <get>   <-- oper state: the data plane's snapshots -> YANG state XML, built by the data plane
//
// plus the RPCs of the bmpd module and the data plane's events as NETCONF notifications. The
// data plane runs in a worker thread by default (SPEC §1), so a full-table burst never stalls
// NETCONF; the agent depends only on the DataPlane interface.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { RunningChange } from '../datastore/datastores.js';
import { startNetconfService, type NetconfService, type NetconfServiceOptions } from '../netconf/service.js';
import type { YangModel } from '../yang/model.js';
import type { DataPlaneEvent } from '../dataplane/channel.js';
import { applySpeakerConfig, startDataPlane, type DataPlane, type DataPlaneMode } from '../dataplane/data-plane.js';
import { ThreadLoad } from '../dataplane/thread-load.js';
import { runningView, type BmpdRunningView } from './config-snapshot.js';
import { registerBmpdRpcs } from './rpcs.js';
import { neighborNotification, serverNotification } from './notifications.js';
import { Reconciler, type ReconcilePath, type ReconcileTargets } from './reconciler.js';

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
  /** Where the speaker and the engine run: a worker thread (default) or the main thread. */
  readonly dataPlane?: DataPlaneMode;
  /** The data plane thread's nice value (src/dataplane/thread-priority.ts); worker mode only. */
  readonly dataPlaneNice?: number;
}

/** The reconciler's targets as requests on the channel: a refusal comes back as the error it threw. */
function reconcileTargets(plane: DataPlane): ReconcileTargets {
  return {
    speaker: {
      applyConfig: (config) => applySpeakerConfig(plane, config),
      applyNeighborChanges: async (changes) => { await plane.request({ op: 'apply-neighbor-changes', changes }); },
    },
    engine: {
      applyConfig: async (config) => { await plane.request({ op: 'apply-engine-config', config }); },
      applyActivationChanges: async (changes) => { await plane.request({ op: 'apply-activation-changes', changes }); },
    },
  };
}

export class Agent {
  private netconf: NetconfService | null = null;
  /** The version of running whose view of running the data plane holds; -1: none sent yet. */
  private runningViewSent = -1;
  /** The oper-state request under way, for reads of the same running that arrive meanwhile. */
  private operStateBuilding: { readonly version: number; readonly xml: Promise<string> } | null = null;
  /**
   * The version of running whose bmpd part the reconciler's index describes, so its view can stand
   * in for a print of running (see runningViewOf); null: not known.
   */
  private indexAt: number | null = null;
  private notAppliedAt: { readonly epoch: number; readonly paths: readonly string[] } | null = null;
  private readonly reconciler: Reconciler;
  /** The main thread's event-loop delay and GC pauses, logged at stop beside the data plane's. */
  private readonly load: ThreadLoad;

  private constructor(
    readonly dataPlane: DataPlane,
    private readonly options: AgentOptions,
  ) {
    this.reconciler = new Reconciler(reconcileTargets(dataPlane), options.logger.child({ topic: 'reconcile' }));
    this.load = new ThreadLoad(options.logger.child({ topic: 'data-plane', thread: 'main' }));
    this.load.start();
  }

  static async start(options: AgentOptions): Promise<Agent> {
    const logger = options.logger;
    const dataPlane = await startDataPlane({
      mode: options.dataPlane ?? 'worker',
      ...(options.dataPlaneNice !== undefined ? { niceIncrement: options.dataPlaneNice } : {}),
      logger,
      sysName: options.sysName ?? hostname(),
      sysDescr: `bmpd ${process.env.npm_package_version ?? ''} BGP Monitoring Protocol agent on Node.js ${process.version}`.replace(/\s+/g, ' '),
    });
    const agent = new Agent(dataPlane, options);
    dataPlane.on('event', (e) => agent.publish(e));
    dataPlane.on('exit', ({ reason, stack }) => {
      // The data plane's thread ended without being asked to (an uncaught error in it). Not
      // restarted: a data plane that failed once would fail again on the same input, and a fresh
      // one would bring every session up from scratch anyway; a supervisor restarting the whole
      // process does that with a clean state and a visible exit status.
      logger.fatal({ topic: 'data-plane', reason, ...(stack !== undefined ? { stack } : {}) },
        `the data plane failed (${reason}); every BGP and BMP session is lost, bmpd exits`);
      process.exit(1);
    });
    try {
      agent.netconf = await startNetconfService({
        model: options.model,
        stateDir: options.stateDir,
        ...(options.netconfAddress !== undefined ? { address: options.netconfAddress } : {}),
        ...(options.netconfPort !== undefined ? { port: options.netconfPort } : {}),
        logger,
        // A change of other modules only (NACM's rules) leaves the BGP and BMP planes as they are.
        apply: async (change) => {
          // The datastore records the change as one new version of running once this resolves
          // (startup's, before the service exists, is taken up below).
          const from = agent.netconf?.datastores.version('running');
          if (change.cause === 'startup' || change.changes.some((c) => c.schemaPath.startsWith('/bmpd:'))) await agent.reconcile(change);
          agent.indexAt = from === undefined ? null : from + 1;
        },
        state: [() => agent.operState()],
        // Operational (RFC 8342 §5.3) shows what the engine runs: a node it could not apply is left out.
        notApplied: () => agent.notApplied(),
        ...options.netconf,
      });
    } catch (err) {
      await dataPlane.stop().catch(() => undefined);
      throw err;
    }
    // Startup's change was applied and recorded before the service returned, and no session could
    // commit yet: the index describes running as it is now.
    agent.indexAt = agent.netconf.datastores.version('running');
    registerBmpdRpcs(agent.netconf.server.dispatcher, dataPlane);
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

  /**
   * State data for <get>: everything config false in the bmpd module, built by the data plane
   * from its own snapshots. The view of running's entries is sent again only when running may have
   * changed, taken from the reconciler's index (runningViewOf). Reads that arrive while one is being built
   * for the same running share its answer: a burst of <get>s from many sessions costs the data
   * plane one build, not one each.
   */
  operState(): Promise<string> {
    const datastores = this.service.datastores;
    // Keyed by running's own version, not the epoch every write to any datastore (a candidate edit,
    // a lock) moves: the view is the state's only input from the datastores.
    const version = datastores.version('running');
    if (this.operStateBuilding?.version === version) return this.operStateBuilding.xml;
    const running = this.runningViewSent === version ? null : this.runningViewOf(version);
    // Requests are handled in order: any later oper-state request finds this view in place.
    this.runningViewSent = version;
    const xml = this.dataPlane.request({ op: 'oper-state', running });
    const building = { version, xml };
    this.operStateBuilding = building;
    const done = () => { if (this.operStateBuilding === building) this.operStateBuilding = null; };
    xml.then(done, () => {
      done();
      this.runningViewSent = -1;
    });
    return xml;
  }

  /**
   * The view of running at `version`. Every change of running's bmpd part passes the apply hook, and
   * the reconciler's index then describes it (or, refused, stays as it was with running), so the view
   * is the index's: O(n) copies at 10,000 neighbors instead of a sort and a print of running
   * (110-230 ms). A version the index is not known to describe is read from running itself: one
   * moved only by other modules (NACM rules) or by nothing is caught up through the change log;
   * anything else (the moment between the hook's return and the datastore's record, a replace
   * without any change) is printed, as before.
   */
  private runningViewOf(version: number): BmpdRunningView {
    const datastores = this.service.datastores;
    if (this.indexAt !== null && this.indexAt < version) {
      const since = datastores.changedSince('running', this.indexAt);
      if (since !== null && !since.some((path) => path.startsWith('/bmpd:'))) this.indexAt = version;
    }
    if (this.indexAt === version) return this.reconciler.view();
    this.options.logger.debug({ topic: 'datastore', version, indexAt: this.indexAt }, 'view of running read from a print of running');
    return runningView(datastores.tree('running'));
  }

  /**
   * For operational (RFC 8342 §5.3): the config nodes the engine runs otherwise than written (an
   * update-source interface without an address), as data paths. They change only with a commit, so
   * the O(n log n) assembly runs once per change of the datastores, not per <get-data>.
   */
  notApplied(): readonly string[] {
    const epoch = this.service.datastores.changeEpoch;
    if (this.notAppliedAt?.epoch !== epoch) this.notAppliedAt = { epoch, paths: this.reconciler.snapshots().problems.map((p) => p.path) };
    return this.notAppliedAt.paths;
  }

  /** The data plane's events as the bmpd module's notifications (before NETCONF is up, nobody listens). */
  private publish(event: DataPlaneEvent): void {
    const stream = this.netconf?.notifications;
    if (stream === undefined) return;
    switch (event.kind) {
      case 'server-up': stream.publish(serverNotification(event.id, event.address, event.port, 'up', 'connection established', this.reconciler.servers)); break;
      case 'server-down': stream.publish(serverNotification(event.id, null, null, 'down', event.reason, this.reconciler.servers)); break;
      case 'neighbor-established': stream.publish(neighborNotification(event.address, event.vrf, null)); break;
      case 'neighbor-down': stream.publish(neighborNotification(event.address, event.vrf, event.reason)); break;
      case 'ready': break;
    }
  }

  /** SIGTERM: Termination to every BMP server, Cease to every neighbor, the data plane's thread ended, NETCONF sessions closed. */
  async stop(): Promise<void> {
    try {
      await this.dataPlane.stop();
    } finally {
      await this.netconf?.stop();
      this.options.logger.info({ topic: 'data-plane', thread: 'main', ...this.load.stop() }, 'event-loop delay');
    }
  }
}
