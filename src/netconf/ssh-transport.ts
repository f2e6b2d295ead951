/**
 * RFC 6242 §3: NETCONF runs as the SSH subsystem "netconf". This layer owns
 * the SSH server: host key, user authentication (password, keyboard-interactive
 * carrying a password, public key), throttling of failed logins, and handing
 * each accepted `netconf` subsystem channel to the session layer. Shells,
 * exec, pty, sftp, port forwarding and every other subsystem are refused.
 */
import type { Duplex } from 'node:stream';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import ssh2 from 'ssh2';
import type { AuthContext, Connection, ClientInfo, ServerChannel } from 'ssh2';
import type { HostKey } from './host-key.js';
import { AuthThrottle, StartupLimiter, clientText } from './ssh-preauth.js';
import type { AuthenticatedUser, UserStore } from './users.js';

export { AuthThrottle };

/** Who is on the other end of a NETCONF channel. */
export interface SshIdentity {
  user: AuthenticatedUser;
  sourceHost: string;
  sourcePort: number;
}

export interface SshTransportOptions {
  hostKey: HostKey;
  users: UserStore;
  logger: Logger;
  throttle?: AuthThrottle;
  /** Unauthenticated connections per source and in total (MaxStartups); default StartupLimiter's. */
  startups?: StartupLimiter;
  /** Concurrent SSH connections, authenticated or not. */
  maxConnections: number;
  /** An unauthenticated connection is dropped after this long. */
  authTimeoutMs?: number;
  /**
   * A `netconf` subsystem channel was opened by an authenticated user. Return
   * false to refuse it (e.g. session limit reached): the channel is then
   * rejected before any NETCONF byte is sent.
   */
  canOpenNetconf: (identity: SshIdentity) => boolean;
  /**
   * Called with the accepted channel; the callee runs the NETCONF session on it.
   * `connection` sees the SSH connection under the channel: the bytes its TCP
   * socket still holds, and a way to drop it at once (output overflow).
   */
  openNetconf: (channel: Duplex, identity: SshIdentity, connection: ConnectionOutput) => void;
}

/** The SSH connection below a NETCONF channel, as the session's output bound sees it. */
export interface ConnectionOutput {
  /**
   * Bytes in the TCP socket's send buffer. ssh2 writes packets to the socket
   * without waiting for it, so within the SSH window the client granted (its
   * choice, up to 4 GiB) a client that stops reading TCP piles data up here.
   */
  queuedBytes(): number;
  /** Destroy the TCP connection, queued bytes and all. */
  abort(): void;
}

const AUTH_METHODS = ['publickey', 'password', 'keyboard-interactive'] as const;

interface TrackedSocket {
  socket: Socket;
  authenticated: boolean;
  /** Gives back the connection's unauthenticated slot (StartupLimiter). */
  releaseStartup: () => void;
}

export class SshTransport {
  // We own the TCP listener and hand sockets to ssh2 (injectSocket): that way
  // the connection limit, the log line for it, and the authentication deadline
  // apply from the first byte, before ssh2's handshake, and stop() can destroy
  // sockets whose peer never closes.
  private readonly tcp: Server;
  private readonly server: ssh2.Server;
  private readonly sockets = new Map<string, TrackedSocket>();
  private readonly connections = new Set<Connection>();
  private readonly throttle: AuthThrottle;
  private readonly startups: StartupLimiter;
  private readonly log: Logger;
  /** Replaced on reload; sessions already authenticated keep their identity. */
  users: UserStore;

  constructor(private readonly options: SshTransportOptions) {
    this.users = options.users;
    this.throttle = options.throttle ?? new AuthThrottle();
    this.startups = options.startups ?? new StartupLimiter();
    this.log = options.logger;
    // No compression: before authentication it lets a client make us inflate
    // (a 20 MB user name from a few kB), and NETCONF over loopback or a LAN
    // gains little from it after.
    this.server = new ssh2.Server(
      { hostKeys: [options.hostKey.privateKey], ident: 'bmpd', algorithms: { compress: ['none'] } },
      (client, info) => this.onConnection(client, info),
    );
    this.server.on('error', (err: Error) => this.log.error({ err }, 'SSH server error'));
    this.tcp = createServer((socket) => this.onSocket(socket));
  }

  listen(port: number, address: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.tcp.once('error', onError);
      this.tcp.listen(port, address, () => {
        this.tcp.off('error', onError);
        this.tcp.on('error', (err: Error) => this.log.error({ err }, 'NETCONF listener error'));
        resolve(this.tcp.address() as AddressInfo);
      });
    });
  }

  address(): AddressInfo | undefined {
    const address = this.tcp.address();
    return address !== null && typeof address === 'object' ? address : undefined;
  }

  /** Stop listening and drop every connection; resolves when the listener is closed. */
  close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.tcp.close(() => resolve()));
    for (const client of this.connections) client.end();
    // end() sends SSH_MSG_DISCONNECT and a FIN; a peer that never closes its side
    // (or never finished the handshake) would keep the listener open.
    const deadline = setTimeout(() => {
      for (const { socket } of this.sockets.values()) socket.destroy();
    }, 2_000);
    deadline.unref();
    // Connections still in handshake or authentication have nothing to close politely.
    for (const tracked of this.sockets.values()) if (!tracked.authenticated) tracked.socket.destroy();
    return closed.finally(() => clearTimeout(deadline));
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  private onSocket(socket: Socket): void {
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    const from = { ip: socket.remoteAddress, port: socket.remotePort };
    if (this.sockets.size >= this.options.maxConnections) {
      this.log.warn({ from, limit: this.options.maxConnections }, 'SSH connection refused: connection limit reached');
      socket.destroy();
      return;
    }
    const startup = this.startups.admit(socket.remoteAddress ?? '');
    if (!startup.admitted) {
      this.log.warn(
        { from, limit: startup.limit, unauthenticated: this.startups.unauthenticated(socket.remoteAddress ?? '') },
        'SSH connection refused: too many unauthenticated connections',
      );
      socket.destroy();
      return;
    }
    const tracked: TrackedSocket = { socket, authenticated: false, releaseStartup: startup.release };
    this.sockets.set(key, tracked);
    const authTimer = setTimeout(() => {
      if (tracked.authenticated) return;
      this.log.warn({ from }, 'SSH connection dropped: no authentication in time');
      socket.destroy();
    }, this.options.authTimeoutMs ?? 30_000);
    authTimer.unref();
    socket.once('close', () => {
      clearTimeout(authTimer);
      tracked.releaseStartup();
      this.sockets.delete(key);
    });
    socket.on('error', (err: Error) => this.log.debug({ from, err: err.message }, 'SSH socket error'));
    this.server.injectSocket(socket);
  }

  private onConnection(client: Connection, info: ClientInfo): void {
    const from = { ip: info.ip, port: info.port };
    const tracked = this.sockets.get(`${info.ip}:${info.port}`);
    this.connections.add(client);
    let user: AuthenticatedUser | undefined;
    let openChannels = 0;

    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.on('authentication', (ctx) => {
      void this.authenticate(ctx, info, closed).then(
        (result) => {
          if (result !== undefined) user = result;
        },
        (err: unknown) => {
          this.log.error({ err, from }, 'SSH authentication failed unexpectedly');
          ctx.reject();
        },
      );
    });
    let everOpened = false;
    client.on('ready', () => {
      if (tracked !== undefined) {
        tracked.authenticated = true;
        tracked.releaseStartup();
      }
      this.log.info({ from, user: user?.name }, 'SSH user authenticated');
      // An authenticated transport that never asks for the netconf subsystem
      // would otherwise hold a connection slot forever.
      setTimeout(() => {
        if (!everOpened) {
          this.log.warn({ from, user: user?.name }, 'SSH connection dropped: no netconf subsystem requested');
          client.end();
        }
      }, this.options.authTimeoutMs ?? 30_000).unref();
    });
    client.on('session', (accept, reject) => {
      if (user === undefined) return reject();
      const session = accept();
      for (const refused of ['pty', 'shell', 'exec', 'sftp', 'x11', 'auth-agent', 'env', 'signal', 'window-change']) {
        session.on(refused, (_accept: unknown, rejectRequest?: () => void) => {
          this.log.info({ from, user: user?.name, request: refused }, 'SSH request refused: only the netconf subsystem is served');
          rejectRequest?.();
        });
      }
      session.on('subsystem', (acceptSubsystem, rejectSubsystem, { name }) => {
        const identity: SshIdentity = { user: user!, sourceHost: info.ip, sourcePort: info.port };
        if (name !== 'netconf') {
          this.log.info({ from, user: user?.name, subsystem: clientText(name) }, 'SSH subsystem refused');
          return rejectSubsystem();
        }
        if (!this.options.canOpenNetconf(identity)) return rejectSubsystem();
        const channel: ServerChannel = acceptSubsystem();
        everOpened = true;
        openChannels += 1;
        let counted = true;
        const socket = tracked?.socket;
        this.options.openNetconf(channel, identity, {
          queuedBytes: () => socket?.writableLength ?? 0,
          abort: () => {
            this.log.info({ from, user: user?.name }, 'SSH connection dropped with its queued output');
            if (socket !== undefined) socket.destroy();
            else client.end();
          },
        });
        // One NETCONF session per connection is the norm (RFC 6242 §3); when the
        // last one ends, the SSH connection ends too, so a closed or killed
        // session does not leave an idle authenticated transport behind.
        channel.once('close', () => {
          if (!counted) return;
          counted = false;
          openChannels -= 1;
          if (openChannels === 0) client.end();
        });
      });
    });
    client.on('tcpip', (_accept, reject) => reject());
    client.on('openssh.streamlocal', (_accept, reject) => reject());
    client.on('request', (_accept, reject) => reject?.());
    client.on('error', (err: Error) => this.log.debug({ from, err: err.message }, 'SSH connection error'));
    client.on('close', () => this.connections.delete(client));
  }

  private async authenticate(ctx: AuthContext, info: ClientInfo, closed: Promise<void>): Promise<AuthenticatedUser | undefined> {
    const from = info.ip;
    const user = clientText(ctx.username);
    // 'none' (clients probe with it first), 'hostbased', and a public key offered
    // without a signature (RFC 4252 §7: "would this key do?") check no secret:
    // they cost nothing and are not counted.
    if (ctx.method === 'publickey') {
      const key = this.users.authorizedKey(ctx.username, ctx.key.algo, ctx.key.data);
      if (key === undefined) {
        // An offered key we do not know is not an attack by itself (agents offer
        // every key they hold); it is not counted as a failure.
        ctx.reject([...AUTH_METHODS]);
        return undefined;
      }
      if (ctx.signature === undefined || ctx.blob === undefined) {
        ctx.accept();
        return undefined;
      }
    } else if (ctx.method !== 'password' && ctx.method !== 'keyboard-interactive') {
      ctx.reject([...AUTH_METHODS]);
      return undefined;
    }
    // The attempt is counted from here, before the (asynchronous) password hash:
    // parallel attempts cannot get more passwords checked than the budget.
    const attempt = await this.throttle.begin(from, ctx.username);
    if ('blocked' in attempt) {
      this.log.warn({ from, user, method: ctx.method, blocked: attempt.blocked },
        attempt.blocked === 'user' ? 'SSH login refused: too many failures of this user from this address' : 'SSH login refused: too many failures from this address');
      ctx.reject([]);
      return undefined;
    }
    const fail = (why: string) => {
      const blocked = attempt.failed();
      this.log.warn({ from, user, method: ctx.method, why }, 'SSH login failed');
      if (blocked === 'user') this.log.warn({ from, user, seconds: this.throttle.blockMs / 1000 }, 'SSH logins of this user from this address blocked');
      if (blocked === 'source') this.log.warn({ from, seconds: this.throttle.blockMs / 1000 }, 'SSH logins from this address blocked');
      ctx.reject([...AUTH_METHODS]);
      return undefined;
    };
    const succeed = (authenticated: AuthenticatedUser) => {
      attempt.succeeded();
      ctx.accept();
      return authenticated;
    };
    try {
      switch (ctx.method) {
        case 'password': {
          const found = await this.users.checkPassword(ctx.username, ctx.password);
          return found ? succeed(found) : fail('bad user or password');
        }
        case 'keyboard-interactive': {
          // A client that never answers must not hold its attempt (and the budget) for ever.
          const answers = await Promise.race([
            new Promise<string[]>((resolve) => ctx.prompt([{ prompt: 'Password: ', echo: false }], (replies) => resolve(replies))),
            closed.then(() => undefined),
          ]);
          if (answers === undefined) return fail('connection closed before the password');
          const found = await this.users.checkPassword(ctx.username, answers[0] ?? '');
          return found ? succeed(found) : fail('bad user or password');
        }
        case 'publickey': {
          const key = this.users.authorizedKey(ctx.username, ctx.key.algo, ctx.key.data);
          const valid = key !== undefined && key.verify(ctx.blob!, ctx.signature!, ctx.hashAlgo) === true;
          return valid ? succeed(this.users.user(ctx.username)!) : fail('bad public key signature');
        }
        default:
          return fail('unexpected method');
      }
    } catch (err) {
      attempt.failed();
      throw err;
    }
  }
}
