// NACM (RFC 8341) applied to this server: the rules are read from running's
// /nacm whenever it changed, each session's user is resolved through the users
// file as it is now (groups and the recovery mark follow a reload), and the
// checks the other layers call at their boundaries live here — protocol
// operations (dispatcher), data writes (datastore write guard), reads (get,
// get-config) and notifications (the stream), with the §3.2 counters.
import type { DataTree, DiffChange, YangContext } from 'libyang-wasm';
import type { Logger } from 'pino';
import { SYSTEM_SESSION, type CopySourceRead, type LargeWriteRequest, type WriteRequest } from '../datastore/datastores.js';
import { DatastoreError, detail } from '../datastore/errors.js';
import {
  NACM_MODULE, RFC_DEFAULTS, UserRulesCache, countersXml, defaultDenyOf, nacmConfigFromJson, readView, type DefaultDeny, type NacmConfig,
  type NacmCounters, type ReadAccess, type ReadView, type UserRules,
} from './nacm.js';
import type { NotificationEvent } from './notifications.js';
import { NETCONF_BASE_NS, RpcError } from './rpc-error.js';
import type { RpcContext } from './rpc.js';
import type { SessionInfo } from './session-control.js';
import type { YangModel } from '../yang/model.js';
import { ENTRIES_PER_STEP, runSteps, runStepsInTurns, type Steps } from '../steps.js';

export type { ReadView } from './nacm.js';

/** Who a session's user is now: the users file's groups and recovery mark, or undefined for a user no longer there. */
export type UserLookup = (name: string) => { readonly groups: readonly string[]; readonly recovery: boolean } | undefined;

export interface AccessControlOptions {
  readonly context: YangContext;
  readonly defaultDeny: DefaultDeny;
  readonly users: UserLookup;
  /** The live sessions by id (write requests carry a session id). */
  readonly session: (id: number) => SessionInfo | undefined;
  /** XML namespace → module name. */
  readonly moduleOf: (namespace: string) => string | null;
  /** Module name → XML namespace. */
  readonly namespaceOf: (module: string) => string | null;
  readonly logger: Logger;
}

/**
 * What AccessControl learns from the served schema: the nacm:default-deny-* marks of every
 * implemented module and the module ↔ namespace maps. The server, the evaluation workers and the
 * NACM tests take it from here, so all read the same modules the same way.
 */
export function schemaAccessOptions(model: YangModel): Pick<AccessControlOptions, 'context' | 'defaultDeny' | 'moduleOf' | 'namespaceOf'> {
  const implemented = model.modules.filter((m) => m.implemented);
  return {
    context: model.context,
    // (RFC 8639's nacm:default-deny-all on kill-subscription comes from its module like the others)
    defaultDeny: defaultDenyOf(implemented.map((m) => m.name), (name) => model.context.moduleText(name, null, 'yin')),
    moduleOf: (namespace) => implemented.find((m) => m.namespace === namespace)?.name ?? null,
    namespaceOf: (module) => model.modules.find((m) => m.name === module)?.namespace ?? null,
  };
}

export class AccessControl {
  readonly counters: NacmCounters = { deniedOperations: 0, deniedDataWrites: 0, deniedNotifications: 0 };
  private config: NacmConfig = RFC_DEFAULTS;
  private stale = true;
  /** Counts loads of /nacm: what a worker's copy of the configuration is compared by. */
  private generation = 0;
  private readonly rulesCache: UserRulesCache;
  private readonly log: Logger;

  constructor(private readonly options: AccessControlOptions, private running: () => DataTree) {
    this.log = options.logger;
    this.rulesCache = new UserRulesCache(options.defaultDeny);
  }

  /**
   * Running's /nacm is changing to what `tree` holds: from now on its rules decide (the datastore's
   * apply hook calls this while the change is under way, before running itself is replaced).
   */
  load(tree: DataTree): void {
    const nacm = tree.select(`/${NACM_MODULE}:nacm`);
    try {
      this.config = nacmConfigFromJson(nacm.print({ format: 'json', withDefaults: 'report-all' }));
    } finally {
      nacm.free();
    }
    this.stale = false;
    this.generation++;
  }

  /** /nacm as in force now. */
  current(): NacmConfig {
    if (this.stale) this.load(this.running());
    return this.config;
  }

  /**
   * A session's read rules as data for an evaluation worker, or null when nothing restricts it:
   * enable-nacm false (§3.4.4 step 1) or the recovery session (§3.4.1: the loopback admin without a
   * users file, or a user marked recovery).
   */
  readAccess(session: SessionInfo): ReadAccess | null {
    const config = this.current();
    if (!config.enabled) return null;
    const user = this.options.users(session.username);
    if (user?.recovery === true) return null;
    return { generation: this.generation, config, user: session.username, externalGroups: user?.groups ?? [] };
  }

  /** The rules that restrict a session, or null when nothing does (readAccess). */
  rulesOf(session: SessionInfo): UserRules | null {
    const access = this.readAccess(session);
    return access === null ? null : this.rulesCache.rulesOf(access);
  }

  /** Dispatcher guard, §3.4.4: throws access-denied when the session may not invoke the operation. */
  authorizeOperation(ctx: RpcContext): void {
    const { operation, session } = ctx;
    // Ansible's <get/> without a namespace is the base operation (rpc.ts registers it so).
    const module = operation.namespace === '' || operation.namespace === NETCONF_BASE_NS ? 'ietf-netconf' : this.options.moduleOf(operation.namespace);
    if (module === 'ietf-netconf' && operation.name === 'close-session') return; // step 2: always permitted
    const rules = this.rulesOf(session);
    if (rules === null || module === null) return;
    const decision = rules.operation(module, operation.name);
    if (decision.permit) return;
    this.counters.deniedOperations++;
    this.log.warn({ session: session.id, user: session.username, from: session.sourceHost, operation: `${module}:${operation.name}`, rule: decision.rule },
      'NACM denied a protocol operation');
    throw new RpcError({ type: 'protocol', tag: 'access-denied', message: `access to ${operation.name} is denied`, info: { badElement: operation.name } });
  }

  /** Datastore write guard, §3.4.5 for create, update and delete of every changed node. */
  authorizeWrite(write: WriteRequest): void {
    const restricted = this.writeRules(write);
    if (restricted === null) return;
    this.refuse(write, restricted.session, runSteps(firstDenied(restricted.rules, write.changes)));
  }

  /**
   * authorizeWrite for a large write (Datastores' LargeWriteGuard): the change list, made in an
   * evaluation worker, is asked for only when rules restrict the session, and checked a slice of
   * changes per event-loop turn (400,000 changes for 100,000 neighbors).
   */
  async authorizeLargeWrite(write: LargeWriteRequest): Promise<void> {
    const restricted = this.writeRules(write);
    if (restricted === null) return;
    const changes = await write.changes();
    // The session may have ended meanwhile.
    if (this.options.session(write.sessionId) === undefined) throw new DatastoreError(detail('access-denied', `session ${write.sessionId} is gone`));
    this.refuse(write, restricted.session, await runStepsInTurns(firstDenied(restricted.rules, changes)));
  }

  /** The session and rules a write is checked against; null when nothing restricts it. */
  private writeRules(write: { readonly sessionId: number }): { readonly session: SessionInfo; readonly rules: UserRules } | null {
    if (write.sessionId === SYSTEM_SESSION) return null;
    const session = this.options.session(write.sessionId);
    // A session that ended while its request waited for the datastore writes nothing.
    if (session === undefined) throw new DatastoreError(detail('access-denied', `session ${write.sessionId} is gone`));
    const rules = this.rulesOf(session);
    return rules === null ? null : { session, rules };
  }

  /** Throws access-denied for the first denied change of a write, counted and logged; nothing when none is. */
  private refuse(write: { readonly target: string }, session: SessionInfo, denied: DeniedWrite | null): void {
    if (denied === null) return;
    this.counters.deniedDataWrites++;
    this.log.warn({ session: session.id, user: session.username, from: session.sourceHost, target: write.target, path: denied.change.path,
      operation: denied.operation, rule: denied.rule }, 'NACM denied a write');
    throw new DatastoreError(detail('access-denied', `${denied.operation} of ${denied.change.path} is denied`, { path: denied.change.path }));
  }

  /**
   * copy-config's read of its source datastore (RFC 8341's table of access rights: copy-config needs
   * read access to the source as well as write access to the target). Denied as a whole when the
   * source holds any node the session may not read: copying only the readable part would delete the
   * rest from the target (a replace), and copying it all would move data the session may not see.
   * Counted in denied-data-writes, as the request to alter the target is what is refused; the error
   * names no hidden path.
   */
  authorizeCopySource(read: CopySourceRead): void {
    if (read.sessionId === SYSTEM_SESSION) return;
    const session = this.options.session(read.sessionId);
    if (session === undefined) throw new DatastoreError(detail('access-denied', `session ${read.sessionId} is gone`));
    const rules = this.rulesOf(session);
    if (rules === null) return;
    const pruning = rules.readPruning(read.tree);
    let hidden = pruning.paths[0];
    for (const e of pruning.everywhere) hidden ??= e.paths()[0];
    if (hidden === undefined) return;
    this.counters.deniedDataWrites++;
    this.log.warn({ session: session.id, user: session.username, from: session.sourceHost, source: read.source, path: hidden },
      'NACM denied copy-config: the source holds data the session may not read');
    throw new DatastoreError(detail('access-denied', `copy-config from ${read.source} is denied: it holds data this session may not read`));
  }

  /**
   * §3.4.5 for a reply computed on this thread (nacm.ts readView); the evaluation workers get
   * readAccess instead and apply the same there.
   */
  readView(session: SessionInfo, tree: DataTree, owned: boolean, filtered: boolean): ReadView {
    const rules = this.rulesOf(session);
    if (rules === null) return { tree, printed: (xml) => xml };
    return readView(rules, tree, owned, filtered, () => this.options.context.emptyTree(), this.options.namespaceOf);
  }

  /** /nacm's counters for <get>. */
  stateXml(): string {
    return countersXml(this.counters);
  }

  /**
   * §3.4.6 for one subscriber: the notification, or null when its event type is denied (counted in
   * denied-notifications, "dropped ... because access to the event type was denied"). The event type
   * decides alone: "If the user is authorized to receive the notification event type, then it is also
   * authorized to receive any data it contains" (§3.4.6), so rules on data nodes (a neighbor, a
   * server, /nacm) neither withhold an event nor cut its content; a notification-name rule does.
   */
  notificationFor(session: SessionInfo, event: NotificationEvent): string | null {
    const rules = this.rulesOf(session);
    if (rules === null) return event.xml;
    const module = this.options.moduleOf(event.namespace);
    if (module !== null && !rules.notification(module, event.name).permit) {
      this.counters.deniedNotifications++;
      return null;
    }
    return event.xml;
  }
}

interface DeniedWrite {
  readonly change: DiffChange;
  readonly operation: 'create' | 'update' | 'delete';
  readonly rule: string | null;
}

/** The first change the rules deny, a slice of ENTRIES_PER_STEP changes per step (steps.ts). */
function* firstDenied(rules: UserRules, changes: readonly DiffChange[]): Steps<DeniedWrite | null> {
  for (let i = 0; i < changes.length; i++) {
    if (i > 0 && i % ENTRIES_PER_STEP === 0) yield;
    const change = changes[i]!;
    if (change.operation === 'none') continue; // an ancestor carrying changes below it, not changed itself
    if ((change.operation === 'create' || change.operation === 'delete') && rules.isImplicit(change.schemaPath, change.nodeType)) continue;
    const operation = change.operation === 'replace' ? 'update' : change.operation;
    const decision = rules.dataNode(operation, change.path, change.schemaPath);
    if (!decision.permit) return { change, operation, rule: decision.rule };
  }
  return null;
}
