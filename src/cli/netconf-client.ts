// bmpd-cli's NETCONF client (RFC 6241 over RFC 6242 SSH) on ssh2's Client, reading frames with the
// project's own codec (src/netconf/framing.ts). One RPC in flight at a time: a CLI waits for each
// command's reply before it prints the next prompt. Host-key checking is the caller's
// (src/cli/known-hosts.ts): this class only asks `verifyHostKey`.
import ssh2 from 'ssh2';
import type { ClientChannel } from 'ssh2';
import { BASE_1_0, BASE_1_1 } from '../netconf/capabilities.js';
import { FramingDecoder, encodeFrame, type FramingMode } from '../netconf/framing.js';
import { NETCONF_BASE_NS } from '../netconf/rpc-error.js';
import { escapeText } from '../netconf/xml.js';
import { parseRpcErrors, type RpcErrorFields } from './rpc-errors.js';

const WITH_DEFAULTS_NS = 'urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults';

export interface NetconfClientOptions {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password?: string;
  readonly privateKey?: Buffer;
  readonly passphrase?: string;
  /**
   * Asked for a password during authentication, after the host key was accepted (ssh's order);
   * called again after a refusal, up to three attempts in all.
   */
  readonly askPassword?: (attempt: number) => Promise<string>;
  /** Decides on the server's host key (the raw SSH key blob); false ends the connection. */
  readonly verifyHostKey: (key: Buffer) => Promise<boolean>;
  readonly timeoutMs?: number;
}

/** An <rpc-reply> that carried <rpc-error>s of severity error. */
export class NetconfRpcError extends Error {
  constructor(readonly errors: readonly RpcErrorFields[]) {
    super(errors.map((e) => e.message ?? e.tag).join('; '));
    this.name = 'NetconfRpcError';
  }
}

const PASSWORD_ATTEMPTS = 3;

function passwordPrompts(username: string, ask: (attempt: number) => Promise<string>): ssh2.AuthHandlerMiddleware {
  let attempt = 0;
  return (_methodsLeft, _partial, next) => {
    if (++attempt > PASSWORD_ATTEMPTS) {
      next(false as never);
      return;
    }
    ask(attempt).then((password) => next({ type: 'password', username, password }), () => next(false as never));
  };
}

export type WithDefaults = 'explicit' | 'report-all' | 'report-all-tagged' | 'trim';

export class NetconfClient {
  private readonly decoder = new FramingDecoder();
  private framing: FramingMode = 'eom';
  private messageId = 0;
  private pending: { resolve: (m: string) => void; reject: (e: Error) => void } | null = null;
  private closedBy: Error | null = null;
  private closing = false;
  private readonly closeListeners: ((err: Error) => void)[] = [];

  private constructor(
    private readonly ssh: ssh2.Client,
    private readonly channel: ClientChannel,
  ) {
    channel.on('data', (data: Buffer) => this.onData(data));
    channel.on('close', () => this.fail(new Error('the agent closed the NETCONF session')));
    ssh.on('error', (err: Error) => this.fail(err));
    ssh.on('close', () => this.fail(new Error('connection to the agent closed')));
  }

  static async connect(options: NetconfClientOptions): Promise<NetconfClient> {
    const ssh = new ssh2.Client();
    await new Promise<void>((resolve, reject) => {
      ssh.once('ready', () => resolve());
      ssh.once('error', reject);
      ssh.connect({
        host: options.host,
        port: options.port,
        username: options.username,
        ...(options.password !== undefined ? { password: options.password } : {}),
        ...(options.privateKey !== undefined ? { privateKey: options.privateKey } : {}),
        ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
        tryKeyboard: false,
        ...(options.askPassword !== undefined ? { authHandler: passwordPrompts(options.username, options.askPassword) } : {}),
        readyTimeout: options.timeoutMs ?? 20_000,
        hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
          options.verifyHostKey(key).then(verify, () => verify(false));
        },
      });
    });
    const channel = await new Promise<ClientChannel>((resolve, reject) =>
      ssh.subsys('netconf', (err, stream) => (err ? reject(err) : resolve(stream))),
    );
    const client = new NetconfClient(ssh, channel);
    await client.hello(options.timeoutMs ?? 20_000);
    return client;
  }

  /** RFC 6241 §8.1: both hellos; chunked framing (RFC 6242 §4.2) once both sides name base:1.1. */
  private async hello(timeoutMs: number): Promise<void> {
    const serverHello = this.next(timeoutMs);
    this.channel.write(encodeFrame('eom', `<?xml version="1.0" encoding="UTF-8"?><hello xmlns="${NETCONF_BASE_NS}"><capabilities>`
      + `<capability>${BASE_1_0}</capability><capability>${BASE_1_1}</capability></capabilities></hello>`));
    const hello = await serverHello;
    if (hello.includes(BASE_1_1)) {
      this.framing = 'chunked';
      this.decoder.useChunked();
    }
  }

  private next(timeoutMs: number): Promise<string> {
    if (this.closedBy) return Promise.reject(this.closedBy);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`the agent did not answer in ${timeoutMs / 1000} s`)), timeoutMs);
      this.pending = {
        resolve: (m) => { clearTimeout(timer); resolve(m); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
    });
  }

  private onData(data: Buffer): void {
    try {
      this.decoder.push(data);
      for (let m = this.decoder.next(); m !== undefined; m = this.decoder.next()) {
        const pending = this.pending;
        this.pending = null;
        // A message nobody waits for (a notification) is not ours to read.
        pending?.resolve(m.toString('utf8'));
      }
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private fail(err: Error): void {
    if (this.closedBy) return;
    this.closedBy = err;
    const pending = this.pending;
    this.pending = null;
    pending?.reject(err);
    if (!this.closing) for (const listener of this.closeListeners) listener(err);
    this.ssh.end();
  }

  onClose(listener: (err: Error) => void): void {
    this.closeListeners.push(listener);
  }

  /** Sends one <rpc>; resolves with the reply, rejects with NetconfRpcError when it carries an error. */
  async rpc(operationXml: string, timeoutMs = 60_000): Promise<string> {
    if (this.pending) throw new Error('one NETCONF request at a time');
    const id = String(++this.messageId);
    const reply = this.next(timeoutMs);
    this.channel.write(encodeFrame(this.framing, `<rpc message-id="${id}" xmlns="${NETCONF_BASE_NS}">${operationXml}</rpc>`));
    const text = await reply;
    // RFC 6241 §4.2: the reply echoes our message-id; anything else is not the answer to this request.
    if (!new RegExp(`<(?:\\w+:)?rpc-reply[^>]*\\smessage-id=["']${id}["']`).test(text)) {
      this.fail(new Error(`the agent answered something other than request ${id}`));
      throw this.closedBy!;
    }
    if (/<(?:\w+:)?rpc-error[\s>]/.test(text)) {
      const errors = (await parseRpcErrors(text)).filter((e) => e.severity === 'error');
      if (errors.length > 0) throw new NetconfRpcError(errors);
    }
    return text;
  }

  /** edit-config of running: IOS applies each configuration line at once, and so does bmpd-cli (no lock held between lines). */
  editRunning(configXml: string): Promise<string> {
    return this.rpc(`<edit-config><target><running/></target><config>${configXml}</config></edit-config>`);
  }

  getConfig(subtreeFilter: string): Promise<string> {
    return this.rpc(`<get-config><source><running/></source><filter type="subtree">${subtreeFilter}</filter></get-config>`);
  }

  get(subtreeFilter: string, withDefaults: WithDefaults = 'explicit'): Promise<string> {
    const wd = withDefaults === 'explicit' ? '' : `<with-defaults xmlns="${WITH_DEFAULTS_NS}">${escapeText(withDefaults)}</with-defaults>`;
    return this.rpc(`<get><filter type="subtree">${subtreeFilter}</filter>${wd}</get>`);
  }

  /** <close-session>, then the SSH connection ends. */
  async close(): Promise<void> {
    this.closing = true;
    try {
      if (!this.closedBy) await this.rpc('<close-session/>', 5_000);
    } catch {
      /* the session may be gone already */
    } finally {
      this.ssh.end();
    }
  }
}
