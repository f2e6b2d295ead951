// A minimal NETCONF-over-SSH client for benchmarks (RFC 6241, RFC 6242), on ssh2. It exists because
// ncclient's transport loop only wakes every 100 ms, which hides the server's own cost: this client
// writes an RPC as soon as it is asked to and resolves the moment the reply's last byte arrives.
// RPCs may be pipelined (replies come in request order, RFC 6241 §4.2); no notifications, no schema knowledge.
// Its framing codec is its own on purpose: a benchmark that shared bmpd's would not notice a bug both had.
import ssh2 from 'ssh2';

const { Client } = ssh2;

export const BASE_NS = 'urn:ietf:params:xml:ns:netconf:base:1.0';
const BASE_1_0 = 'urn:ietf:params:netconf:base:1.0';
const BASE_1_1 = 'urn:ietf:params:netconf:base:1.1';
const EOM = ']]>]]>'; // RFC 6242 §4.1

/** An <rpc-error> of severity error in a reply. */
export class RpcError extends Error {
  constructor(reply) {
    const field = (name) => new RegExp(`<(?:\\w+:)?${name}[^>]*>([^<]*)<`).exec(reply)?.[1]?.trim();
    super(`rpc-error ${field('error-tag') ?? '?'}: ${field('error-message') ?? reply.slice(0, 400)}`);
    this.name = 'RpcError';
    this.reply = reply;
  }
}

/**
 * RFC 6242 decoder: bytes in, whole messages (strings) out. Starts end-of-message framed (§4.1,
 * always used for the hello) and switches to chunked framing (§4.2) when told. Chunk bodies are
 * kept as a list of buffers, so a large reply arriving in many SSH packets is copied once.
 */
class FrameDecoder {
  // Nothing follows the server's hello before our first <rpc>, so switching after it is safe.
  mode = 'eom';
  #buffers = [];
  #length = 0;
  #parts = []; // chunk bodies of the message being received (chunked mode)
  #eomText = ''; // message being received (EOM mode)
  #scanFrom = 0;

  /** @returns {string[]} the messages completed by these bytes */
  push(data) {
    const messages = [];
    if (this.mode === 'eom') {
      this.#eomText += data.toString('utf8');
      for (;;) {
        const at = this.#eomText.indexOf(EOM, this.#scanFrom);
        if (at < 0) { this.#scanFrom = Math.max(0, this.#eomText.length - EOM.length + 1); break; }
        messages.push(this.#eomText.slice(0, at));
        this.#eomText = this.#eomText.slice(at + EOM.length);
        this.#scanFrom = 0;
      }
      return messages;
    }
    this.#buffers.push(data);
    this.#length += data.length;
    for (;;) {
      const message = this.#nextChunk();
      if (message === undefined) break;
      if (message !== null) messages.push(message);
    }
    return messages;
  }

  /** Consumes one chunk or end-of-chunks marker: undefined = need more bytes, null = chunk taken, string = message done. */
  #nextChunk() {
    if (this.#length < 4) return undefined;
    const head = this.#peek(Math.min(this.#length, 14)); // "\n#" + at most 10 digits + "\n"
    if (head[0] !== 0x0a || head[1] !== 0x23) throw new Error(`bad chunk header ${JSON.stringify(head.toString('latin1'))}`);
    if (head[2] === 0x23) {
      if (head[3] !== 0x0a) throw new Error('bad end-of-chunks marker');
      this.#take(4);
      const message = Buffer.concat(this.#parts).toString('utf8');
      this.#parts = [];
      return message;
    }
    const lf = head.indexOf(0x0a, 2);
    if (lf < 0) {
      if (head.length >= 14) throw new Error('chunk size too long');
      return undefined;
    }
    const size = Number(head.subarray(2, lf).toString('latin1'));
    if (!Number.isInteger(size) || size < 1) throw new Error(`bad chunk size ${head.subarray(2, lf).toString('latin1')}`);
    if (this.#length < lf + 1 + size) return undefined;
    this.#take(lf + 1);
    this.#parts.push(this.#take(size));
    return null;
  }

  #peek(n) {
    if (this.#buffers[0].length < n) this.#buffers = [Buffer.concat(this.#buffers)];
    return this.#buffers[0].subarray(0, n);
  }

  #take(n) {
    if (this.#buffers[0].length < n) this.#buffers = [Buffer.concat(this.#buffers)];
    const first = this.#buffers[0];
    const taken = first.subarray(0, n);
    if (first.length === n) this.#buffers.shift();
    else this.#buffers[0] = first.subarray(n);
    this.#length -= n;
    return taken;
  }
}

export class NetconfClient {
  #connection;
  #stream;
  #decoder = new FrameDecoder();
  #chunked = false;
  #messageId = 0;
  #pending = []; // { resolve, reject } of each RPC in flight, in request order
  #closed = null; // Error once the session is gone
  /** The server's hello, verbatim. */
  serverHello = '';
  /** Called with each <notification> as it arrives (its text), if set. */
  onNotification = undefined;

  /**
   * Opens the SSH connection and the netconf subsystem and exchanges hellos.
   * @param {{ host: string, port: number, username: string, password: string, timeoutMs?: number }} options
   */
  static async connect(options) {
    const client = new NetconfClient();
    await client.#open(options);
    return client;
  }

  get framing() { return this.#chunked ? 'chunked' : 'eom'; }

  async #open({ host, port, username, password, timeoutMs = 20_000 }) {
    const connection = new Client();
    this.#connection = connection;
    await new Promise((resolve, reject) => {
      connection.once('ready', resolve);
      connection.once('error', reject);
      // Benchmark servers get fresh host keys every run: any host key is accepted.
      connection.connect({ host, port, username, password, readyTimeout: timeoutMs, tryKeyboard: false });
    });
    connection.on('error', (err) => this.#fail(err));
    // Each RPC is one small write followed by a wait: Nagle must not hold it back.
    connection.setNoDelay(true);
    this.#stream = await new Promise((resolve, reject) => {
      connection.subsys('netconf', (err, stream) => (err ? reject(err) : resolve(stream)));
    });
    const hello = new Promise((resolve, reject) => { this.#pending.push({ resolve, reject }); });
    this.#stream.on('data', (data) => this.#onData(data));
    this.#stream.on('close', () => this.#fail(new Error('NETCONF channel closed')));
    this.#stream.write(`<?xml version="1.0" encoding="UTF-8"?><hello xmlns="${BASE_NS}"><capabilities>`
      + `<capability>${BASE_1_0}</capability><capability>${BASE_1_1}</capability></capabilities></hello>${EOM}`);
    const timer = setTimeout(() => this.#fail(new Error(`no server hello in ${timeoutMs} ms`)), timeoutMs);
    try {
      this.serverHello = await hello;
    } finally {
      clearTimeout(timer);
    }
  }

  #onData(data) {
    let messages;
    try {
      messages = this.#decoder.push(data);
    } catch (err) {
      this.#fail(err);
      return;
    }
    for (const message of messages) {
      // RFC 5277 §4 notifications arrive between replies; they answer no rpc.
      if (this.serverHello && /^\s*(<\?xml[^>]*>\s*)?<notification[\s>]/.test(message)) {
        this.onNotification?.(message);
        continue;
      }
      const pending = this.#pending.shift();
      if (!pending) continue; // unsolicited (a notification): nothing waits for it
      if (!this.serverHello) {
        // RFC 6242 §4.1: chunked framing once both hellos carry base:1.1, for everything after them.
        if (message.includes(BASE_1_1)) { this.#chunked = true; this.#decoder.mode = 'chunked'; }
      }
      pending.resolve(message);
    }
  }

  #fail(err) {
    if (this.#closed) return;
    this.#closed = err;
    for (const pending of this.#pending.splice(0)) pending.reject(err);
  }

  /**
   * Sends one <rpc> with the given operation XML and resolves with the reply text as soon as it is
   * complete. Rejects with RpcError when the reply carries an rpc-error of severity error.
   */
  rpc(operationXml, { raw = false } = {}) {
    if (this.#closed) return Promise.reject(this.#closed);
    const id = String(++this.#messageId);
    const message = `<rpc message-id="${id}" xmlns="${BASE_NS}">${operationXml}</rpc>`;
    const reply = new Promise((resolve, reject) => { this.#pending.push({ resolve, reject }); });
    this.#stream.write(this.#chunked ? `\n#${Buffer.byteLength(message)}\n${message}\n##\n` : message + EOM);
    return reply.then((text) => {
      if (raw) return text;
      if (!new RegExp(`message-id="${id}"`).test(text)) throw new Error(`reply without message-id ${id}: ${text.slice(0, 400)}`);
      if (/<(?:\w+:)?error-severity>\s*error\s*</.test(text)) throw new RpcError(text);
      return text;
    });
  }

  editConfig(target, configInnerXml) {
    return this.rpc(`<edit-config><target><${target}/></target><config>${configInnerXml}</config></edit-config>`);
  }

  commit() { return this.rpc('<commit/>'); }

  getConfig(source, subtreeFilterXml) {
    const filter = subtreeFilterXml ? `<filter type="subtree">${subtreeFilterXml}</filter>` : '';
    return this.rpc(`<get-config><source><${source}/></source>${filter}</get-config>`);
  }

  /** <close-session>, then the SSH connection ends. */
  async close() {
    try {
      if (!this.#closed) await this.rpc('<close-session/>');
    } catch { /* the session may already be gone */ } finally {
      this.#connection?.end();
    }
  }
}
