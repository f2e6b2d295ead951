// What the speaker tests that drive a hand-made peer share: the peer itself and a polling wait.
import net from 'node:net';
import { BgpMessageReader, type BgpFrame } from '../../src/bgp/codec/index.js';

/** The far end of a speaker's session: a raw TCP socket that speaks BGP through the test-buffer builder. */
export class TestPeer {
  readonly frames: BgpFrame[] = [];
  closed = false;
  private readonly reader = new BgpMessageReader();
  private waiters: (() => void)[] = [];

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.frames.push(...this.reader.push(chunk));
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  /** Connects to `host` (::1 unless given), from `localAddress` when given. */
  static connect(port: number, host = '::1', localAddress?: string): Promise<TestPeer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port, ...(localAddress ? { localAddress } : {}) }, () => resolve(new TestPeer(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  send(message: Buffer): void {
    this.socket.write(message);
  }

  /** The next message of `type` not yet taken (removes it and everything before it). */
  async next(type: number, timeoutMs = 10_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.frames.findIndex((f) => f.type === type);
      if (index >= 0) return this.frames.splice(0, index + 1).at(-1)!.raw;
      if (this.closed) throw new Error(`connection closed before a message of type ${type}`);
      if (Date.now() > deadline) throw new Error(`no message of type ${type}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  async closedByPeer(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (!this.closed) throw new Error('connection still open');
  }
}

/** Resolves with the first truthy value `probe` returns, polling every 20 ms; throws after `timeoutMs`. */
export async function until<T>(probe: () => T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
