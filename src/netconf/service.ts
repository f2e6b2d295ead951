// Assembles the NETCONF server: SSH transport and sessions (server.ts), the
// datastores and their operations, confirmed commit, monitoring, YANG
// library and notifications, around one libyang schema context.
import type { Logger } from 'pino';
import type { DataTree, DiffChange } from 'libyang-wasm';
import { Datastores, SYSTEM_SESSION, type ApplyHook, type RunningChange } from '../datastore/datastores.js';
import type { ServedModuleInfo, YangModel } from '../yang/model.js';
import { readWithState, registerBaseOperations, type StateProvider } from './base-operations.js';
import { DEFAULT_CAPABILITIES, type AdvertisedModule } from './capabilities.js';
import { AccessControl, schemaAccessOptions } from './access-control.js';
import { ConfirmedCommit } from './confirmed-commit.js';
import { getSchemaHandler, MONITORING_NS, netconfStateXml } from './monitoring.js';
import {
  configChangeEvent, confirmedCommitEvent, createSubscriptionHandler, NC_NOTIFICATIONS_NS, NOTIFICATION_NS, NotificationStream,
  sessionEndEvent, sessionStartEvent, streamsStateXml,
} from './notifications.js';
import { SubscriptionManager } from './subscriptions/subscriptions.js';
import { DEFAULT_REPLAY_BUFFER_EVENTS } from './replay.js';
import { DEFAULT_EVALUATION_WORKERS, EvaluationPool } from './evaluation-pool.js';
import { FACTORY_NACM_XML, NACM_MODULE } from './nacm.js';
import { registerNmdaOperations } from './nmda.js';
import { OperationSchema } from './rpc-schema.js';
import { NetconfServer, type NetconfServerOptions } from './server.js';
import type { SessionInfo } from './session-control.js';
import { contentId, yangLibraryXml } from './yang-library.js';

export interface NetconfServiceOptions {
  readonly model: YangModel;
  readonly stateDir: string;
  readonly address?: string;
  readonly port?: number;
  readonly logger: Logger;
  /** Reconciles a change of running into the engine; throws to reject it. */
  readonly apply?: ApplyHook;
  /** State data of the rest of the agent (the engine's oper state), merged into <get>. */
  readonly state?: readonly StateProvider[];
  readonly server?: Partial<Omit<NetconfServerOptions, 'stateDir' | 'address' | 'port' | 'logger' | 'modules' | 'handlers'>>;
  /** Paths of running's config nodes the engine could not apply as written (left out of operational, nmda.ts). */
  readonly notApplied?: () => readonly string[];
  /** Worker threads for <get>/<get-config> and their time limit (evaluation-pool.ts). */
  readonly evaluation?: { readonly workers?: number; readonly timeoutMs?: number; readonly writeTimeoutMs?: number };
}

/** The running NETCONF side of the agent. */
export interface NetconfService {
  readonly server: NetconfServer;
  readonly datastores: Datastores;
  readonly notifications: NotificationStream;
  readonly subscriptions: SubscriptionManager;
  readonly confirmedCommit: ConfirmedCommit;
  readonly accessControl: AccessControl;
  stop(): Promise<void>;
}

/** Nodes a change really changed (not the ancestors that only give them their place). */
function changedNodes(changes: readonly DiffChange[]): number {
  let count = 0;
  for (const c of changes) if (c.operation !== 'none') count++;
  return count;
}

/**
 * What of the service's own configuration a change of running touches, in one pass over its changes
 * (600,000 for 100,000 neighbors created). It reads the schema paths, which are shared strings: a
 * data path is its parent's joined with a step (libyang-wasm), and reading one whole (startsWith) first
 * copies it out, 160 ms for all of them. A top-level node's module is the same in both paths.
 */
function serviceNodesTouched(changes: readonly DiffChange[]): { readonly nacm: boolean; readonly netconfServer: boolean; readonly changed: number } {
  let nacm = false;
  let netconfServer = false;
  let changed = 0;
  for (const c of changes) {
    if (c.operation !== 'none') changed++;
    if (c.schemaPath.startsWith(NACM_SCHEMA_PATH)) nacm = true;
    else if (c.schemaPath.startsWith(NETCONF_SERVER_SCHEMA_PATH)) netconfServer = true;
  }
  return { nacm, netconfServer, changed };
}

const NACM_SCHEMA_PATH = `/${NACM_MODULE}:`;
const NETCONF_SERVER_SCHEMA_PATH = '/bmpd:netconf-server';

/**
 * Test only (test/netconf/hostile/replay.test.ts): BMPD_TEST_REPLAY_FILL=N in the environment puts N
 * netconf-config-change events in the stream at start, the i-th naming neighbor 127.2.(i >> 8 & 255).
 * (i & 255)'s description, so a test can fill the replay buffer (100,000 events or 16 MiB) in
 * milliseconds instead of as many commits. Loudly logged; nothing else reads the variable.
 */
function fillReplayForTests(notifications: NotificationStream, logger: Logger): void {
  const count = Number(process.env.BMPD_TEST_REPLAY_FILL ?? 0);
  if (!Number.isInteger(count) || count <= 0) return;
  logger.warn({ topic: 'netconf', events: count }, 'BMPD_TEST_REPLAY_FILL: synthetic events put in the replay buffer (test only)');
  const at = new Date();
  for (let i = 0; i < count; i++) {
    const target = `/bmpd:bgp/bmpd:neighbor[bmpd:address='127.2.${(i >> 8) & 255}.${i & 255}']/bmpd:description`;
    notifications.publish({ namespace: NC_NOTIFICATIONS_NS, name: 'netconf-config-change',
      xml: `<netconf-config-change xmlns="${NC_NOTIFICATIONS_NS}"><changed-by><server/></changed-by><datastore>running</datastore>` +
        `<edit><target xmlns:bmpd="urn:bmpd:yang:bmpd">${target}</target><operation>merge</operation></edit></netconf-config-change>` }, at);
  }
}

/** /bmpd:netconf-server/replay-buffer-size as `tree` holds it (the default when absent). */
function replayBufferSize(tree: DataTree): number {
  const leaf = tree.select(REPLAY_BUFFER_SIZE);
  try {
    const json = JSON.parse(leaf.print({ format: 'json', withDefaults: 'report-all' }) || '{}') as Record<string, { 'replay-buffer-size'?: number }>;
    return json['bmpd:netconf-server']?.['replay-buffer-size'] ?? DEFAULT_REPLAY_BUFFER_EVENTS;
  } finally {
    leaf.free();
  }
}
const REPLAY_BUFFER_SIZE = '/bmpd:netconf-server/replay-buffer-size';

function advertised(model: YangModel): AdvertisedModule[] {
  return model.modules.filter((m) => m.implemented).map((m) => {
    let yang11 = false;
    try { yang11 = /yang-version\s+"?1\.1"?\s*;/.test(model.context.moduleText(m.name, m.revision, 'yang')); } catch { /* built-in module */ }
    return {
      name: m.name, namespace: m.namespace, yangVersion: yang11 ? '1.1' : '1',
      ...(m.revision ? { revision: m.revision } : {}),
      ...(m.features.length > 0 ? { features: m.features } : {}),
      ...(m.deviations.length > 0 ? { deviations: m.deviations } : {}),
    };
  });
}

export async function startNetconfService(opts: NetconfServiceOptions): Promise<NetconfService> {
  const { model, logger } = opts;
  const modules: readonly ServedModuleInfo[] = model.modules;
  const schema = schemaAccessOptions(model);
  const { namespaceOf, moduleOf } = schema;
  let server: NetconfServer | undefined;
  let datastores: Datastores | undefined;
  const access = new AccessControl({
    ...schema,
    users: (name) => server?.users?.user(name),
    session: (id) => server?.sessions.get(id),
    logger,
  }, () => datastores!.tree('running'));
  const notifications = new NotificationStream((session, event) => access.notificationFor(session, event));

  const actorOf = (sessionId: number) => {
    const s = server?.sessions.get(sessionId);
    return s ? { id: s.id, username: s.username, sourceHost: s.sourceHost } : null;
  };
  // SPEC §4 / issue 11: who changed what, from where, in one line per change of running or startup.
  const audit = (target: 'running' | 'startup', operation: string, sessionId: number, changed: number) => {
    const actor = actorOf(sessionId);
    logger.info({ topic: 'audit', user: actor?.username ?? (sessionId === SYSTEM_SESSION ? 'system' : null), session: sessionId,
      from: actor?.sourceHost ?? null, operation, target, changedNodes: changed }, 'configuration changed');
  };

  const apply: ApplyHook = async (change: RunningChange) => {
    await opts.apply?.(change);
    const touched = serviceNodesTouched(change.changes);
    if (touched.nacm) access.load(change.after);
    if (touched.netconfServer) notifications.replay.resize(replayBufferSize(change.after));
    if (change.cause !== 'startup') {
      audit('running', change.cause, change.sessionId, touched.changed);
      notifications.publish(configChangeEvent(actorOf(change.sessionId), change.changes, namespaceOf));
    }
  };

  // Large writes' libyang steps, whole validations of a datastore and a datastore's diff to a large write's result are made in an
  // evaluation worker, under its time limit, once the pool is up (evaluation-pool.ts); the startup load before it is the server's own.
  let workers: EvaluationPool | undefined;
  datastores = await Datastores.open({
    context: model.context, stateDir: opts.stateDir, apply, logger: logger.child({ topic: 'datastore' }),
    checkSteps: async (steps) => workers?.checkWrite(steps) ?? null,
    checkValid: async (name, opts) => workers?.checkValid(name, opts) ?? null,
    checkDiff: async (base, chunks) => workers?.checkDiff(base, chunks) ?? null,
    authorizeWrite: (write) => access.authorizeWrite(write),
    authorizeLargeWrite: (write) => access.authorizeLargeWrite(write),
    authorizeCopySource: (read) => access.authorizeCopySource(read),
    startupSaved: (change) => audit('startup', change.cause, change.sessionId, changedNodes(change.changes)),
  });
  const ds = datastores;
  // SPEC §4: NACM's factory configuration while running holds no rule of its own.
  if (ds.tree('running').paths(`/${NACM_MODULE}:nacm/rule-list | /${NACM_MODULE}:nacm/groups/group`).length === 0) {
    await ds.editConfig('running', FACTORY_NACM_XML, {}, SYSTEM_SESSION);
    logger.info({ topic: 'netconf' }, 'NACM factory configuration in running: rule-list admin permits group admin everything');
  }
  notifications.replay.resize(replayBufferSize(ds.tree('running')));
  fillReplayForTests(notifications, logger);
  const confirmedCommit = new ConfirmedCommit({
    datastores: ds,
    onEvent: (ev) => {
      logger.info({ topic: 'netconf', event: ev.event, session: ev.actor?.id ?? null }, 'confirmed commit');
      notifications.publish(confirmedCommitEvent(ev));
    },
    onRollbackError: (err) => logger.error({ topic: 'netconf', err }, 'confirmed-commit rollback failed'),
  });

  const evaluation = new EvaluationPool({ datastores: ds, logger: logger.child({ topic: 'netconf' }), ...opts.evaluation });
  await evaluation.start();
  workers = evaluation;

  const adv = advertised(model);
  const id = contentId(modules);
  server = new NetconfServer({
    ...opts.server,
    stateDir: opts.stateDir,
    ...(opts.address !== undefined ? { address: opts.address } : {}),
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    logger,
    capabilities: DEFAULT_CAPABILITIES,
    modules: adv,
    contentId: id,
  });
  const srv = server;
  const monitoringSources = {
    context: model.context,
    datastores: ds,
    sessions: srv.sessions,
    capabilities: () => srv.capabilities,
    modules: () => modules,
  };
  const backend = {
    context: model.context,
    datastores: ds,
    confirmedCommit,
    namespaceOf,
    moduleOf,
    evaluation,
    state: [() => netconfStateXml(monitoringSources), () => yangLibraryXml(modules), () => access.stateXml(), () => streamsStateXml(notifications),
      // (called per read, once `subscriptions` below exists)
      (): string => subscriptions.stateXml(), ...(opts.state ?? [])],
    readView: (session: SessionInfo, tree: DataTree, owned: boolean, filtered: boolean) => access.readView(session, tree, owned, filtered),
    readAccess: (session: SessionInfo) => access.readAccess(session),
    ...(opts.notApplied ? { notApplied: opts.notApplied } : {}),
  };
  // Every operation's parameters are judged by the schema before NACM and the handler (rpc-schema.ts).
  srv.dispatcher.schema = new OperationSchema(model.context, () => ds.unorderedTree('running'));
  registerBaseOperations(srv.dispatcher, backend);
  registerNmdaOperations(srv.dispatcher, backend);
  const subscriptions: SubscriptionManager = new SubscriptionManager({
    stream: notifications, context: model.context, namespaceOf, moduleOf, logger: logger.child({ topic: 'netconf' }),
    read: (session, filter) => readWithState(backend, evaluation, session, filter, 'explicit'),
    evaluationWorkers: opts.evaluation?.workers ?? DEFAULT_EVALUATION_WORKERS,
  });
  subscriptions.register(srv.dispatcher);
  srv.dispatcher.guard = (ctx) => access.authorizeOperation(ctx);
  srv.dispatcher.register(MONITORING_NS, 'get-schema', getSchemaHandler(monitoringSources));
  srv.dispatcher.register(NOTIFICATION_NS, 'create-subscription', createSubscriptionHandler(notifications, (id) => subscriptions.hasSubscriptions(id)));

  srv.sessions.onSessionStart((s) => { notifications.publish(sessionStartEvent(s)); });
  srv.sessions.onSessionEnd((end) => {
    notifications.unsubscribe(end.session.id);
    subscriptions.sessionEnded(end.session.id);
    const released = ds.releaseSession(end.session.id);
    if (released.length > 0) logger.info({ topic: 'netconf', session: end.session.id, released }, 'locks released with their session');
    void confirmedCommit.sessionEnded(end.session.id);
    notifications.publish(sessionEndEvent(end.session, end.reason, end.killedBy));
  });

  await srv.start();
  return {
    server: srv,
    datastores: ds,
    notifications,
    subscriptions,
    confirmedCommit,
    accessControl: access,
    async stop() {
      subscriptions.close();
      await srv.stop();
      await evaluation.close();
      confirmedCommit.close();
      ds.close();
    },
  };
}
