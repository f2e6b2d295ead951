// The one BMP collector of the tests: a real TCP server on loopback that decodes what it receives
// with the BMP stream decoder. Every session's messages, alone and all together in arrival order.
import net from 'node:net';
import { BmpStreamDecoder, type BmpMessage } from '../../src/bmp/codec/index.js';
import { sleep, waitFor } from '../bgp/integration/daemons.js';

export { sleep };

export interface CollectorSession {
  readonly socket: net.Socket;
  /** This session's messages alone (a reset session may still drain while the next one runs). */
  readonly messages: BmpMessage[];
  /** Octets received, decoded or not. */
  bytes: number;
  closed: boolean;
}

export class TestCollector {
  /** Every session's messages in arrival order. */
  readonly messages: BmpMessage[] = [];
  readonly sessions: CollectorSession[] = [];

  private constructor(
    private readonly server: net.Server,
    readonly host: string,
    readonly port: number,
  ) {}

  static async start(host: string, port = 0): Promise<TestCollector> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const collector = new TestCollector(server, host, (server.address() as net.AddressInfo).port);
    server.on('connection', (socket) => collector.accept(socket));
    return collector;
  }

  private accept(socket: net.Socket): void {
    const session: CollectorSession = { socket, messages: [], bytes: 0, closed: false };
    this.sessions.push(session);
    const decoder = new BmpStreamDecoder();
    socket.on('data', (chunk: Buffer) => {
      session.bytes += chunk.length;
      for (const m of decoder.push(chunk)) {
        this.messages.push(m);
        session.messages.push(m);
      }
    });
    socket.on('close', () => (session.closed = true));
    socket.on('error', () => undefined);
  }

  /** The latest session. */
  get last(): CollectorSession | undefined {
    return this.sessions.at(-1);
  }

  get closedSessions(): number {
    return this.sessions.filter((s) => s.closed).length;
  }

  /** Stop reading: the kernel buffers fill and the station's queue grows. */
  pauseReading(): void {
    for (const s of this.sessions) s.socket.pause();
  }

  resumeReading(): void {
    for (const s of this.sessions) s.socket.resume();
  }

  ofType<T extends BmpMessage['type']>(type: T): Extract<BmpMessage, { type: T }>[] {
    return this.messages.filter((m): m is Extract<BmpMessage, { type: T }> => m.type === type);
  }

  types(): string[] {
    return this.messages.map((m) => m.type);
  }

  /** Polls `probe` every 10 ms until true, failing after timeoutMs with what arrived so far. */
  async waitFor(what: string, probe: (c: TestCollector) => boolean, timeoutMs = 10_000): Promise<void> {
    await waitFor(`${what} at collector ${this.host}:${this.port} (got ${this.types().join(',')})`, () => probe(this), timeoutMs, 10);
  }

  async close(): Promise<void> {
    for (const s of this.sessions) s.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Polls `cond` every 5 ms until true (real time), failing with `what` after timeoutMs. */
export async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  await waitFor(what, cond, timeoutMs, 5);
}
