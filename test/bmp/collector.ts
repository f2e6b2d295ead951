/** A real BMP collector for tests: a TCP server on loopback that decodes what it receives. */
import net from 'node:net';
import { BmpStreamDecoder, type BmpMessage } from '../../src/bmp/codec/index.js';
import { sleep, waitFor } from '../bgp/integration/daemons.js';

export interface CollectorConnection {
  readonly socket: net.Socket;
  readonly messages: BmpMessage[];
  readonly bytes: number;
  closed: boolean;
}

export class TestCollector {
  readonly connections: CollectorConnection[] = [];
  private server: net.Server;
  port = 0;

  constructor(readonly host: string) {
    this.server = net.createServer((socket) => {
      const decoder = new BmpStreamDecoder();
      const c: { socket: net.Socket; messages: BmpMessage[]; bytes: number; closed: boolean } = { socket, messages: [], bytes: 0, closed: false };
      this.connections.push(c);
      socket.on('data', (d) => {
        c.bytes += d.length;
        c.messages.push(...decoder.push(d));
      });
      socket.on('error', () => undefined);
      socket.on('close', () => (c.closed = true));
    });
  }

  async listen(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, this.host, resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  get last(): CollectorConnection | undefined {
    return this.connections[this.connections.length - 1];
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

export { sleep };

/** Polls `cond` every 5 ms until true (real time), failing with `what` after timeoutMs. */
export async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  await waitFor(what, cond, timeoutMs, 5);
}
