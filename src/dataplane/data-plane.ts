// The management plane's end of the channel (channel.ts): the DataPlane the agent drives, and
// the two ways to run it.
//
//   worker (default): the speaker and the engine run in a worker thread (worker.ts) with their
//     own event loop, so a full-table ingest or a dump to a new BMP server never delays NETCONF.
//   inline (--data-plane=inline): the same host on the main thread, behind a MessageChannel, so
//     every request and event still crosses the same structured-clone boundary as in a worker.
//
// A worker that dies (an uncaught exception in the data plane, or out of memory) takes every BGP
// and BMP session with it. The DataPlane then fails its pending requests and every later one,
// and emits 'exit' once; the agent logs it and ends the process (src/agent/agent.ts says why).
import { EventEmitter } from 'node:events';
import { MessageChannel, Worker, threadId } from 'node:worker_threads';
import type { Level, Logger } from 'pino';
import type { SpeakerConfig } from '../bgp/config.js';
import {
  DataPlaneError, NEIGHBORS_PER_MESSAGE, type ChannelPort, type DataPlaneEvent, type DataPlaneMessage, type DataPlaneOp, type DataPlaneRequest, type DataPlaneResults,
} from './channel.js';
import { DataPlaneHost } from './host.js';
import { DEFAULT_DATA_PLANE_NICE } from './thread-priority.js';
import { workerScript } from '../worker-script.js';

export type DataPlaneMode = 'worker' | 'inline';

/** Events the agent listens to: the data plane's own (channel.ts), and its end. */
export interface DataPlaneEvents {
  event: [DataPlaneEvent];
  /** The worker ended without being asked to; `reason` says how (and `stack` where). Emitted at most once. */
  exit: [{ readonly reason: string; readonly stack?: string }];
}

/** What the agent drives: one request method per channel request, events as they come. */
export interface DataPlane extends EventEmitter<DataPlaneEvents> {
  readonly mode: DataPlaneMode;
  /** The thread the data plane runs on (worker_threads threadId; the process's main thread is 0). */
  readonly threadId: number;
  request<Op extends DataPlaneOp>(request: Extract<DataPlaneRequest, { op: Op }>): Promise<DataPlaneResults[Op]>;
  /** Stops the speaker and the engine (Termination, Cease, sockets closed), then the thread. */
  stop(): Promise<void>;
}

export interface DataPlaneOptions {
  readonly mode: DataPlaneMode;
  /** The agent's logger; the worker builds its own pino logger on stdout with the same level and base. */
  readonly logger: Logger;
  readonly sysName: string;
  readonly sysDescr: string;
  /**
   * How far the worker thread raises its nice value above the agent's (thread-priority.ts), so the
   * NETCONF thread gets the CPU first; 0 leaves it as the main thread's. Inline mode runs on the
   * main thread: ignored.
   */
  readonly niceIncrement?: number;
}

/** What worker.ts receives as workerData. */
export interface WorkerData {
  readonly level: Level;
  readonly base: Record<string, unknown>;
  readonly sysName: string;
  readonly sysDescr: string;
  readonly niceIncrement: number;
}

/**
 * The speaker's whole configuration, sent as apply-speaker-config. A configuration of more than
 * NEIGHBORS_PER_MESSAGE neighbors goes in slices first (stage-speaker-neighbors), each awaited,
 * so that the event loop serves other requests between them; the data plane applies it once, whole.
 */
export async function applySpeakerConfig(plane: Pick<DataPlane, 'request'>, config: SpeakerConfig): Promise<void> {
  const neighbors = config.neighbors;
  if (neighbors.length <= NEIGHBORS_PER_MESSAGE) {
    await plane.request({ op: 'apply-speaker-config', config });
    return;
  }
  for (let at = 0; at < neighbors.length; at += NEIGHBORS_PER_MESSAGE) {
    await plane.request({ op: 'stage-speaker-neighbors', at, neighbors: neighbors.slice(at, at + NEIGHBORS_PER_MESSAGE) });
  }
  await plane.request({ op: 'apply-speaker-config', config: { ...config, neighbors: [] }, staged: neighbors.length });
}

/** Correlates requests with replies on one port and re-emits the data plane's events in order. */
export class ChannelClient extends EventEmitter<DataPlaneEvents> {
  private nextId = 1;
  private readonly pending = new Map<number, { readonly op: DataPlaneOp; resolve(value: unknown): void; reject(err: Error): void }>();
  private ended: string | null = null;

  constructor(private readonly port: ChannelPort) {
    super();
    port.on('message', (m) => this.receive(m as DataPlaneMessage));
  }

  request<Op extends DataPlaneOp>(request: Extract<DataPlaneRequest, { op: Op }>): Promise<DataPlaneResults[Op]> {
    if (this.ended !== null) return Promise.reject(new DataPlaneError(request.op, { name: 'Error', message: `the data plane is not running: ${this.ended}` }));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { op: request.op, resolve: resolve as (value: unknown) => void, reject });
      this.port.postMessage({ id, request });
    });
  }

  /** False once end() was called: no reply will come any more. */
  protected get open(): boolean {
    return this.ended === null;
  }

  /** No more replies will come: every pending request fails with `reason`. */
  end(reason: string): void {
    if (this.ended !== null) return;
    this.ended = reason;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new DataPlaneError(p.op, { name: 'Error', message: `the data plane is not running: ${reason}` }));
    }
  }

  private receive(message: DataPlaneMessage): void {
    if (message.kind === 'event') {
      this.emit('event', restoreBuffers(message.event));
      return;
    }
    const pending = this.pending.get(message.id);
    if (pending === undefined) return;
    this.pending.delete(message.id);
    if (message.ok) pending.resolve(message.value);
    else pending.reject(new DataPlaneError(pending.op, message.error));
  }
}

/** A NOTIFICATION pdu comes across as a Uint8Array; the agent's helpers (bgp/events.ts) take a Buffer. */
function restoreBuffers(event: DataPlaneEvent): DataPlaneEvent {
  if (event.kind !== 'neighbor-down' || !('pdu' in event.reason)) return event;
  const pdu = event.reason.pdu as Uint8Array;
  return { ...event, reason: { ...event.reason, pdu: Buffer.from(pdu.buffer, pdu.byteOffset, pdu.byteLength) } };
}

class WorkerDataPlane extends ChannelClient implements DataPlane {
  readonly mode = 'worker' as const;
  private stopping = false;

  private constructor(private readonly worker: Worker, readonly threadId: number) {
    super(worker);
    worker.on('error', (err) => this.lost(`uncaught ${err.name}: ${err.message}`, err.stack));
    worker.on('exit', (code) => this.lost(`its thread exited with code ${code}`));
  }

  static start(options: DataPlaneOptions): Promise<WorkerDataPlane> {
    const data: WorkerData = { level: options.logger.level as Level, base: { pid: process.pid, ...options.logger.bindings() }, sysName: options.sysName, sysDescr: options.sysDescr, niceIncrement: options.niceIncrement ?? DEFAULT_DATA_PLANE_NICE };
    const worker = new Worker(workerScript(import.meta.url, './worker.js'), { workerData: data });
    return new Promise((resolve, reject) => {
      const failed = (err: Error) => reject(new Error(`the data plane worker did not start: ${err.message}`));
      const exited = (code: number) => reject(new Error(`the data plane worker exited with code ${code} before it was ready`));
      worker.once('error', failed);
      worker.once('exit', exited);
      worker.once('message', (m: DataPlaneMessage) => {
        worker.off('error', failed);
        worker.off('exit', exited);
        if (m.kind === 'event' && m.event.kind === 'ready') resolve(new WorkerDataPlane(worker, m.event.threadId));
        else reject(new Error(`the data plane worker's first message was not 'ready': ${JSON.stringify(m)}`));
      });
    });
  }

  private lost(reason: string, stack?: string): void {
    if (this.stopping) return;
    this.stopping = true;
    this.end(reason);
    this.emit('exit', { reason, ...(stack !== undefined ? { stack } : {}) });
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    try {
      await this.request({ op: 'stop' });
    } finally {
      this.stopping = true;
      this.end('stopped');
      await this.worker.terminate();
    }
  }
}

class InlineDataPlane extends ChannelClient implements DataPlane {
  readonly mode = 'inline' as const;
  readonly threadId = threadId;

  private constructor(private readonly channel: MessageChannel) {
    super(channel.port1);
  }

  static async start(options: DataPlaneOptions): Promise<InlineDataPlane> {
    const channel = new MessageChannel();
    const plane = new InlineDataPlane(channel);
    await DataPlaneHost.serve(channel.port2, options);
    return plane;
  }

  async stop(): Promise<void> {
    if (!this.open) return;
    try {
      await this.request({ op: 'stop' });
    } finally {
      this.end('stopped');
      this.channel.port1.close();
    }
  }
}

/** Starts the speaker and the engine (idle until the first configuration) in the mode asked for. */
export async function startDataPlane(options: DataPlaneOptions): Promise<DataPlane> {
  return options.mode === 'worker' ? WorkerDataPlane.start(options) : InlineDataPlane.start(options);
}
