/**
 * A small NETCONF-over-SSH test client on ssh2's Client: raw byte access for
 * hostile-input tests, plus hello/rpc helpers. Uses the project's own framing
 * codec to read replies.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import ssh2 from 'ssh2';
import type { ClientChannel } from 'ssh2';
import { FramingDecoder, encodeChunked, encodeEom } from '../../src/netconf/framing.js';
import { NetconfServer, type NetconfServerOptions } from '../../src/netconf/server.js';

export const BASE_NS = 'urn:ietf:params:xml:ns:netconf:base:1.0';
export const BASE10 = 'urn:ietf:params:netconf:base:1.0';
export const BASE11 = 'urn:ietf:params:netconf:base:1.1';

export function clientHello(bases: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?><hello xmlns="${BASE_NS}"><capabilities>${bases
    .map((b) => `<capability>${b}</capability>`)
    .join('')}</capabilities></hello>`;
}

export interface ConnectOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  privateKey?: string;
}

export class NcTestClient {
  readonly decoder = new FramingDecoder();
  private readonly messages: string[] = [];
  private waiters: (() => void)[] = [];
  closed = false;
  private chunked = false;

  private constructor(
    readonly ssh: ssh2.Client,
    readonly channel: ClientChannel,
  ) {
    channel.on('data', (data: Buffer) => {
      this.decoder.push(data);
      for (let m = this.decoder.next(); m !== undefined; m = this.decoder.next()) {
        this.messages.push(m.toString('utf8'));
      }
      this.wake();
    });
    channel.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  /** Open SSH and the netconf subsystem; does not send a hello. */
  static async connect(options: ConnectOptions): Promise<NcTestClient> {
    const ssh = new ssh2.Client();
    await new Promise<void>((resolve, reject) => {
      ssh.once('ready', () => resolve());
      ssh.once('error', reject);
      ssh.connect({
        host: options.host,
        port: options.port,
        username: options.username ?? 'admin',
        ...(options.privateKey !== undefined ? { privateKey: options.privateKey } : { password: options.password ?? 'admin' }),
        readyTimeout: 30_000,
      });
    });
    ssh.on('error', () => undefined);
    const channel = await new Promise<ClientChannel>((resolve, reject) =>
      ssh.subsys('netconf', (err, stream) => (err ? reject(err) : resolve(stream))),
    );
    return new NcTestClient(ssh, channel);
  }

  /** Connect, read the server hello, send ours; chunked framing after if both have base:1.1. */
  static async open(options: ConnectOptions, bases = [BASE10, BASE11]): Promise<{ client: NcTestClient; serverHello: string }> {
    const client = await NcTestClient.connect(options);
    const serverHello = await client.nextMessage();
    client.sendRaw(encodeEom(clientHello(bases)));
    if (bases.includes(BASE11) && serverHello.includes(BASE11)) client.useChunked();
    return { client, serverHello };
  }

  useChunked(): void {
    this.chunked = true;
    this.decoder.useChunked();
  }

  sendRaw(bytes: Buffer | string): void {
    this.channel.write(bytes);
  }

  send(xml: string): void {
    this.sendRaw(this.chunked ? encodeChunked(xml) : encodeEom(xml));
  }

  async rpc(xml: string, timeoutMs?: number): Promise<string> {
    this.send(xml);
    return this.nextMessage(timeoutMs);
  }

  async nextMessage(timeoutMs = 20_000): Promise<string> {
    await this.until(() => {
      if (this.messages.length > 0) return true;
      if (this.closed) throw new Error('channel closed before a message arrived');
      return false;
    }, timeoutMs, 'timed out waiting for a NETCONF message');
    return this.messages.shift()!;
  }

  /**
   * Every message received so far, at least one (waiting for it): for a reader of thousands of
   * notifications, which one shift() each from a long queue would make quadratic.
   */
  async nextMessages(timeoutMs = 20_000): Promise<string[]> {
    const first = await this.nextMessage(timeoutMs);
    return [first, ...this.messages.splice(0)];
  }

  async waitClosed(timeoutMs = 20_000): Promise<void> {
    await this.until(() => this.closed, timeoutMs, 'timed out waiting for the channel to close');
  }

  /** Looks at `done` again on every message and on close; throws `timeout` once timeoutMs have passed. */
  private async until(done: () => boolean, timeoutMs: number, timeout: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(timeout);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  end(): void {
    this.ssh.end();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

export function rpcXml(messageId: string, operation: string, extraAttributes = ''): string {
  return `<rpc xmlns="${BASE_NS}" message-id="${messageId}"${extraAttributes}>${operation}</rpc>`;
}

/** A server on 127.0.7.x with a fresh state dir; returns a cleanup function. */
export async function startServer(
  host: string,
  options: Partial<NetconfServerOptions> = {},
): Promise<{ server: NetconfServer; stateDir: string; cleanup: () => Promise<void> }> {
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'bmpd-netconf-')));
  const server = new NetconfServer({
    address: host,
    port: 0,
    logger: pino({ level: process.env.NETCONF_TEST_LOG ?? 'silent' }),
    ...options,
    stateDir,
  });
  await server.start();
  return {
    server,
    stateDir,
    cleanup: async () => {
      await server.stop();
      if (options.stateDir === undefined) await rm(stateDir, { recursive: true, force: true });
    },
  };
}
