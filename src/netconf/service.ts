// Assembles the NETCONF server: SSH transport and sessions (server.ts), the
// datastores and their operations, confirmed commit, monitoring, YANG
// library and notifications, around one libyang schema context.
import type { Logger } from 'pino';
import type { ModuleInfo } from 'libyang-wasm';
import { Datastores, type ApplyHook, type RunningChange } from '../datastore/datastores.js';
import type { YangModel } from '../yang/model.js';
import { registerBaseOperations, type StateProvider } from './base-operations.js';
import { DEFAULT_CAPABILITIES, type AdvertisedModule } from './capabilities.js';
import { ConfirmedCommit } from './confirmed-commit.js';
import { getSchemaHandler, MONITORING_NS, netconfStateXml } from './monitoring.js';
import {
  configChangeEvent, confirmedCommitEvent, createSubscriptionHandler, NOTIFICATION_NS, NotificationStream,
  sessionEndEvent, sessionStartEvent,
} from './notifications.js';
import { EvaluationPool } from './evaluation-pool.js';
import { NetconfServer, type NetconfServerOptions } from './server.js';
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
  /** Worker threads for <get>/<get-config> and their time limit (evaluation-pool.ts). */
  readonly evaluation?: { readonly workers?: number; readonly timeoutMs?: number };
}

/** The running NETCONF side of the agent. */
export interface NetconfService {
  readonly server: NetconfServer;
  readonly datastores: Datastores;
  readonly notifications: NotificationStream;
  readonly confirmedCommit: ConfirmedCommit;
  stop(): Promise<void>;
}

function advertised(model: YangModel): AdvertisedModule[] {
  return model.modules.filter((m) => m.implemented).map((m) => {
    let yang11 = false;
    try { yang11 = /yang-version\s+"?1\.1"?\s*;/.test(model.context.moduleText(m.name, m.revision, 'yang')); } catch { /* built-in module */ }
    return {
      name: m.name, namespace: m.namespace, yangVersion: yang11 ? '1.1' : '1',
      ...(m.revision ? { revision: m.revision } : {}),
      ...(m.features.length > 0 ? { features: m.features } : {}),
    };
  });
}

export async function startNetconfService(opts: NetconfServiceOptions): Promise<NetconfService> {
  const { model, logger } = opts;
  const modules: readonly ModuleInfo[] = model.modules;
  const namespaceOf = (module: string) => modules.find((m) => m.name === module)?.namespace ?? null;
  const moduleOf = (namespace: string) => modules.find((m) => m.namespace === namespace && m.implemented)?.name ?? null;
  const notifications = new NotificationStream();
  let server: NetconfServer | undefined;

  const actorOf = (sessionId: number) => {
    const s = server?.sessions.get(sessionId);
    return s ? { id: s.id, username: s.username, sourceHost: s.sourceHost } : null;
  };

  const apply: ApplyHook = async (change: RunningChange) => {
    await opts.apply?.(change);
    if (change.cause !== 'startup') {
      notifications.publish(configChangeEvent(actorOf(change.sessionId), change.changes, namespaceOf));
    }
  };

  const datastores = await Datastores.open({ context: model.context, stateDir: opts.stateDir, apply, logger: logger.child({ topic: 'datastore' }) });
  const confirmedCommit = new ConfirmedCommit({
    datastores,
    onEvent: (ev) => {
      logger.info({ topic: 'netconf', event: ev.event, session: ev.actor?.id ?? null }, 'confirmed commit');
      notifications.publish(confirmedCommitEvent(ev));
    },
    onRollbackError: (err) => logger.error({ topic: 'netconf', err }, 'confirmed-commit rollback failed'),
  });

  const evaluation = new EvaluationPool({ datastores, logger: logger.child({ topic: 'netconf' }), ...opts.evaluation });
  await evaluation.start();

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
    datastores,
    sessions: srv.sessions,
    capabilities: () => srv.capabilities,
    modules: () => modules,
  };
  registerBaseOperations(srv.dispatcher, {
    context: model.context,
    datastores,
    confirmedCommit,
    namespaceOf,
    moduleOf,
    evaluation,
    state: [() => netconfStateXml(monitoringSources), () => yangLibraryXml(modules), ...(opts.state ?? [])],
  });
  srv.dispatcher.register(MONITORING_NS, 'get-schema', getSchemaHandler(monitoringSources));
  srv.dispatcher.register(NOTIFICATION_NS, 'create-subscription', createSubscriptionHandler(notifications));

  srv.sessions.onSessionStart((s) => { notifications.publish(sessionStartEvent(s)); });
  srv.sessions.onSessionEnd((end) => {
    notifications.unsubscribe(end.session.id);
    const released = datastores.releaseSession(end.session.id);
    if (released.length > 0) logger.info({ topic: 'netconf', session: end.session.id, released }, 'locks released with their session');
    void confirmedCommit.sessionEnded(end.session.id);
    notifications.publish(sessionEndEvent(end.session, end.reason, end.killedBy));
  });

  await srv.start();
  return {
    server: srv,
    datastores,
    notifications,
    confirmedCommit,
    async stop() {
      await srv.stop();
      await evaluation.close();
      confirmedCommit.close();
      datastores.close();
    },
  };
}
