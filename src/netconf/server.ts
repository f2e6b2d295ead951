/**
 * The NETCONF server: SSH transport + sessions + dispatcher, with the
 * operator-facing limits (session count, idle timeout, message size).
 *
 *   const server = new NetconfServer({ stateDir, port: 830, logger });
 *   server.dispatcher.register(NETCONF_BASE_NS, 'get-config', handler);
 *   await server.start();
 *   ...
 *   await server.stop();
 */
import type { Duplex } from 'node:stream';
import pino, { type Logger } from 'pino';
import { DEFAULT_CAPABILITIES, serverCapabilities, type AdvertisedModule } from './capabilities.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from './framing.js';
import { loadOrCreateHostKey, type HostKey } from './host-key.js';
import { RpcDispatcher, type RpcHandler } from './rpc.js';
import { DEFAULT_MAX_QUEUED_OUTPUT_BYTES, NetconfSession, SessionRegistry } from './session.js';
import { registerSessionOperations } from './session-operations.js';
import type { AuthThrottle, StartupLimiter } from './ssh-preauth.js';
import { SshTransport, type ConnectionOutput, type SshIdentity } from './ssh-transport.js';
import { UserStore } from './users.js';
import type { XmlLimits } from './xml.js';

export interface NetconfServerOptions {
  /** Listen address; default 127.0.0.1. Beyond loopback a users file is required. */
  address?: string;
  /** Default 830 (RFC 6242 §3); 0 picks a free port. */
  port?: number;
  /** Holds ssh_host_key and users.json. */
  stateDir: string;
  /** Concurrent NETCONF sessions; default 64. Further subsystem requests are refused. */
  maxSessions?: number;
  /** Concurrent SSH connections (authenticated or not); default 2 × maxSessions. */
  maxConnections?: number;
  /** Seconds without a message from the client before the session is closed; default 3600, 0 = never. */
  idleTimeoutSeconds?: number;
  /** Seconds a client has for its hello after the channel opened; default 60. */
  helloTimeoutSeconds?: number;
  /** Seconds an SSH connection may take to authenticate; default 30. */
  authTimeoutSeconds?: number;
  /** Largest accepted NETCONF message; default DEFAULT_MAX_MESSAGE_BYTES (32 MiB). */
  maxMessageBytes?: number;
  /** Depth, attributes per element and elements of one message (xml.ts); default DEFAULT_XML_LIMITS. */
  xmlLimits?: XmlLimits;
  /**
   * Output a session may have queued towards a client that does not read
   * (SSH channel buffer + TCP send buffer), checked before each message is
   * written; over it the session ends ('output-overflow') and its connection is
   * dropped. A single message may be larger: the bound is on the backlog.
   * Default 32 MiB.
   */
  maxQueuedOutputBytes?: number;
  logger?: Logger;
  /** Protocol capabilities for the hello; default DEFAULT_CAPABILITIES (SPEC §4). */
  capabilities?: readonly string[];
  /** YANG modules to announce (module capabilities / yang-library). */
  modules?: readonly AdvertisedModule[];
  /** Content-id for the yang-library capability; default derived from `modules`. */
  contentId?: string;
  /**
   * Same as contentId: bmpd serves one id as both yang-library content-id and
   * the deprecated modules-state/module-set-id. contentId wins when both are set.
   */
  moduleSetId?: string;
  /** Announce YANG 1.1 modules as module capabilities too (default true; see capabilities.ts). */
  yang11ModuleCapabilities?: boolean;
  /** Operation handlers keyed `${namespace} ${name}`; more can be registered on `dispatcher`. */
  handlers?: Readonly<Record<string, RpcHandler>>;
  /**
   * Failed-login throttle; default: 5 failures of one user from one address in
   * 60 s block that user from that address for 60 s, 20 from one address block
   * the address.
   */
  authThrottle?: AuthThrottle;
  /** Unauthenticated connections per source and in total (MaxStartups); default StartupLimiter's (4:50:8, 10:30:100). */
  startups?: StartupLimiter;
}

export class NetconfServer {
  readonly dispatcher: RpcDispatcher;
  readonly sessions: SessionRegistry;
  readonly logger: Logger;
  private readonly options: NetconfServerOptions;
  private capabilitiesValue: string[];
  private transport: SshTransport | undefined;
  private hostKeyValue: HostKey | undefined;
  private usersValue: UserStore | undefined;

  constructor(options: NetconfServerOptions) {
    this.options = options;
    this.logger = (options.logger ?? pino({ level: 'info' })).child({ topic: 'netconf' });
    this.dispatcher = new RpcDispatcher(this.logger);
    this.sessions = new SessionRegistry(this.logger);
    registerSessionOperations(this.dispatcher);
    for (const [key, handler] of Object.entries(options.handlers ?? {})) {
      const space = key.lastIndexOf(' ');
      this.dispatcher.register(key.slice(0, space), key.slice(space + 1), handler);
    }
    this.capabilitiesValue = this.computeCapabilities(options.modules ?? [], options.contentId ?? options.moduleSetId);
  }

  /** The capabilities sent in every new session's hello. */
  get capabilities(): readonly string[] {
    return this.capabilitiesValue;
  }

  /** Replace the advertised modules (e.g. after a schema change); applies to new sessions. */
  setModules(modules: readonly AdvertisedModule[], contentId?: string): void {
    this.capabilitiesValue = this.computeCapabilities(modules, contentId);
  }

  private computeCapabilities(modules: readonly AdvertisedModule[], contentId: string | undefined): string[] {
    return serverCapabilities(this.options.capabilities ?? DEFAULT_CAPABILITIES, modules, {
      ...(contentId !== undefined ? { contentId } : {}),
      ...(this.options.yang11ModuleCapabilities !== undefined
        ? { yang11ModuleCapabilities: this.options.yang11ModuleCapabilities }
        : {}),
    });
  }

  get hostKey(): HostKey | undefined {
    return this.hostKeyValue;
  }

  get users(): UserStore | undefined {
    return this.usersValue;
  }

  /**
   * Load (or create) the host key and the users, then listen. Throws
   * UsersFileError when there is no users file and the address is not loopback.
   */
  async start(): Promise<void> {
    if (this.transport !== undefined) throw new Error('NETCONF server already started');
    const users = await this.loadUsers();
    const hostKey = await loadOrCreateHostKey(this.options.stateDir, (message) => this.logger.warn(message));
    if (hostKey.created) this.logger.info({ path: hostKey.path, fingerprint: hostKey.fingerprint }, 'SSH host key created');
    const maxSessions = this.options.maxSessions ?? 64;
    const transport = new SshTransport({
      hostKey,
      users,
      logger: this.logger,
      maxConnections: this.options.maxConnections ?? maxSessions * 2,
      authTimeoutMs: (this.options.authTimeoutSeconds ?? 30) * 1000,
      ...(this.options.authThrottle ? { throttle: this.options.authThrottle } : {}),
      ...(this.options.startups ? { startups: this.options.startups } : {}),
      canOpenNetconf: (identity) => {
        if (this.sessions.size < maxSessions) return true;
        this.logger.warn(
          { from: identity.sourceHost, user: identity.user.name, limit: maxSessions },
          'NETCONF session refused: session limit reached',
        );
        return false;
      },
      openNetconf: (channel, identity, connection) => this.openSession(channel, identity, connection),
    });
    const bound = await transport.listen(this.options.port ?? 830, this.listenAddress);
    this.transport = transport;
    this.hostKeyValue = hostKey;
    this.usersValue = users;
    this.logger.info(
      { address: bound.address, port: bound.port, fingerprint: hostKey.fingerprint, users: users.source },
      'NETCONF over SSH listening',
    );
  }

  /**
   * Re-read stateDir/users.json (e.g. on SIGHUP after bmpd-adduser). New logins
   * use it; open sessions take the new groups and recovery marks at their next
   * request (NACM looks them up), and the sessions of removed users end. A
   * broken file throws and the old users stay.
   */
  async reloadUsers(): Promise<void> {
    const transport = this.transport;
    if (transport === undefined) throw new Error('NETCONF server not started');
    const users = await this.loadUsers();
    transport.users = users;
    this.usersValue = users;
    const orphaned = this.sessions.list().filter((s) => !users.has(s.username));
    this.logger.info({ users: users.source, count: users.names().length, sessionsEnded: orphaned.length }, 'NETCONF users reloaded');
    await Promise.all(orphaned.map((s) => s.close('user-removed')));
  }

  private get listenAddress(): string {
    return this.options.address ?? '127.0.0.1';
  }

  /** The users file; without one, the loopback-only default user (UserStore.load). */
  private loadUsers(): Promise<UserStore> {
    return UserStore.load({ stateDir: this.options.stateDir, listenAddress: this.listenAddress, warn: (message) => this.logger.warn(message) });
  }

  /** Close every session and the listener; resolves when all are gone. */
  async stop(): Promise<void> {
    const transport = this.transport;
    if (transport === undefined) return;
    this.transport = undefined;
    await Promise.all(this.sessions.list().map((s) => s.close('server-shutdown')));
    await transport.close();
    this.logger.info('NETCONF server stopped');
  }

  address(): string | undefined {
    return this.transport?.address()?.address;
  }

  port(): number | undefined {
    return this.transport?.address()?.port;
  }

  private openSession(channel: Duplex, identity: SshIdentity, connection: ConnectionOutput): void {
    const idle = this.options.idleTimeoutSeconds ?? 3600;
    const session = new NetconfSession({
      id: this.sessions.allocateId(),
      channel,
      username: identity.user.name,
      groups: identity.user.groups,
      sourceHost: identity.sourceHost,
      sourcePort: identity.sourcePort,
      capabilities: this.capabilitiesValue,
      dispatcher: this.dispatcher,
      registry: this.sessions,
      logger: this.logger,
      maxMessageBytes: this.options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      idleTimeoutMs: idle * 1000,
      helloTimeoutMs: (this.options.helloTimeoutSeconds ?? 60) * 1000,
      maxQueuedOutputBytes: this.options.maxQueuedOutputBytes ?? DEFAULT_MAX_QUEUED_OUTPUT_BYTES,
      transport: connection,
      ...(this.options.xmlLimits !== undefined ? { xmlLimits: this.options.xmlLimits } : {}),
    });
    session.start();
  }
}
