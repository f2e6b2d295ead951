// Shared by the hostile-request suite (issue 10): a real agent process
// (dist/src/main.js) with a small configuration in running, candidate and
// startup; a probe session whose small <get-config> must keep being answered
// within PROBE_BOUND_MS while another session misbehaves; the agent's memory
// from /proc; and the datastores as bytes, to show that nothing changed.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { expect } from 'vitest';
import { startAgent, type RunningAgent } from '../../support/agent.js';
import { NcTestClient, rpcXml, type ConnectOptions } from '../nc-client.js';

export const BMPD_NS = 'urn:bmpd:yang:bmpd';
/** The bound on the second session's <get-config> while another session runs a hostile request. */
export const PROBE_BOUND_MS = 1000;

const SMALL_CONFIG =
  `<bgp xmlns="${BMPD_NS}"><as-number>65000</as-number>` +
  '<neighbor><address>127.0.40.2</address><remote-as>65001</remote-as><shutdown/></neighbor>' +
  '<neighbor><address>127.0.40.3</address><remote-as>65002</remote-as><shutdown/></neighbor></bgp>';
const PROBE = `<get-config><source><running/></source><filter type="subtree"><bgp xmlns="${BMPD_NS}"><as-number/></bgp></filter></get-config>`;

export const NEIGHBORS = 10_000;

/** 10,000 shut-down neighbors (nothing connects anywhere), remote-as 64512..65511 ten times over. */
export function tenThousandNeighbors(): string {
  const entries: string[] = [];
  for (let i = 0; i < NEIGHBORS; i++) {
    entries.push(`<neighbor><address>127.1.${(i >> 8) & 255}.${i & 255}</address><remote-as>${64512 + (i % 1000)}</remote-as><shutdown/></neighbor>`);
  }
  return `<bgp xmlns="${BMPD_NS}"><as-number>65000</as-number>${entries.join('')}</bgp>`;
}

export const xpathFilter = (select: string): string => `<filter type="xpath" xmlns:bmpd="${BMPD_NS}" select="${select}"/>`;

export interface HostileAgent {
  readonly agent: RunningAgent;
  /** A new NETCONF session (hello exchanged, base:1.1). */
  session(options?: Partial<ConnectOptions>): Promise<NcTestClient>;
  /** Sends one message on a session of its own and returns the reply (the session then ends). */
  send(message: string): Promise<string>;
  /** running, candidate and startup as get-config returns them, and the startup file's bytes. */
  datastores(): Promise<string[]>;
  /** Resident memory of the agent now (VmRSS), bytes. */
  rss(): number;
  stop(): Promise<void>;
}

export function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? 0) * 1024;
}

export function ok(reply: string): void {
  expect(reply).toContain('<ok/>');
}

/** Starts the agent with `args` (and a state directory or environment of its own) and puts SMALL_CONFIG (or `config`) in running and startup. */
export async function startHostileAgent(args: string[] = [], config = SMALL_CONFIG, options: { stateDir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<HostileAgent> {
  const agent = await startAgent({ ...options, args: ['--log-level', 'info', ...args] });
  const login = { host: '127.0.0.1', port: agent.port };
  const session = async (options: Partial<ConnectOptions> = {}) => (await NcTestClient.open({ ...login, ...options })).client;
  const admin = await session();
  ok(await admin.rpc(rpcXml('1', `<edit-config><target><candidate/></target><config>${config}</config></edit-config>`), 60_000));
  ok(await admin.rpc(rpcXml('2', '<commit/>'), 60_000));
  ok(await admin.rpc(rpcXml('3', '<copy-config><target><startup/></target><source><running/></source></copy-config>'), 60_000));
  admin.end();
  return {
    agent,
    session,
    async send(message) {
      const client = await session();
      try {
        return await client.rpc(message, 60_000);
      } finally {
        client.end();
      }
    },
    async datastores() {
      const reader = await session();
      try {
        const out: string[] = [];
        for (const source of ['running', 'candidate', 'startup']) {
          out.push(await reader.rpc(rpcXml('d', `<get-config><source><${source}/></source></get-config>`), 60_000));
        }
        out.push(readFileSync(join(agent.stateDir, 'startup.xml'), 'utf8'));
        return out;
      } finally {
        reader.end();
      }
    },
    rss: () => procStatus(agent.pid, 'VmRSS'),
    async stop() {
      await agent.stop();
    },
  };
}

/**
 * A session that sends a small <get-config> every 20 ms until stopped, and
 * records how long each took (one still unanswered at stop() counts as the
 * time it has waited so far).
 */
export class Probe {
  readonly latencies: number[] = [];
  private running = true;
  private inFlightSince: number | null = null;
  private readonly loop: Promise<void>;

  private constructor(private readonly client: NcTestClient) {
    this.loop = this.run();
  }

  static async start(agent: HostileAgent): Promise<Probe> {
    const probe = new Probe(await agent.session());
    while (probe.latencies.length < 3) await new Promise((r) => setTimeout(r, 20));
    return probe;
  }

  private async run(): Promise<void> {
    let id = 0;
    while (this.running) {
      this.inFlightSince = performance.now();
      const reply = await this.client.rpc(rpcXml(`p${++id}`, PROBE), 120_000);
      this.latencies.push(performance.now() - this.inFlightSince);
      this.inFlightSince = null;
      expect(reply).toContain('<as-number>65000</as-number>');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Stops the loop; returns the longest wait seen. */
  async stop(): Promise<number> {
    this.running = false;
    const stalled = this.inFlightSince === null ? 0 : performance.now() - this.inFlightSince;
    await Promise.race([this.loop, new Promise((r) => setTimeout(r, 5_000))]);
    this.client.end();
    return Math.max(stalled, ...this.latencies);
  }
}

/**
 * The Probe in a child process (test/support/probe-child.mjs): for a test whose own thread decodes
 * a flood of messages (a replay of tens of megabytes), so that the latencies measure the agent and
 * not the test's event loop. Same contract as Probe: latencies, and stop() returns the longest wait.
 */
export class ProcessProbe {
  latencies: number[] = [];
  private readonly result: Promise<string>;

  private constructor(private readonly child: ChildProcess) {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => { out += text; });
    this.result = new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`probe process exited with ${code}: ${out}`))));
    });
  }

  static async start(agent: HostileAgent): Promise<ProcessProbe> {
    const script = fileURLToPath(new URL('../../support/probe-child.mjs', import.meta.url));
    const child = spawn(process.execPath, [script, '127.0.0.1', String(agent.agent.port)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const probe = new ProcessProbe(child);
    // A test that fails before stop() still ends its child, by pid, when its own process ends.
    const kill = () => child.kill('SIGKILL');
    process.once('exit', kill);
    child.once('exit', () => process.off('exit', kill));
    await new Promise<void>((resolve, reject) => {
      const onData = (text: string) => { if (text.includes('ready')) { child.stdout!.off('data', onData); resolve(); } };
      child.stdout!.on('data', onData);
      probe.result.then(() => reject(new Error('probe process ended before it was ready')), reject);
    });
    return probe;
  }

  /** Stops the child; returns the longest wait seen (a request still unanswered counts as waited so far). */
  async stop(): Promise<number> {
    this.child.stdin!.end('stop\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    try {
      const out = await this.result;
      const { latencies, stalledMs } = JSON.parse(out.slice(out.lastIndexOf('{'))) as { latencies: number[]; stalledMs: number };
      this.latencies = latencies;
      return Math.max(stalledMs, ...latencies);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The agent's RSS sampled every 25 ms from start to stop: how far it grew at its peak. */
export class RssGrowth {
  private peak: number;
  private readonly sampler: NodeJS.Timeout;

  private constructor(private readonly agent: HostileAgent, private readonly before: number) {
    this.peak = before;
    this.sampler = setInterval(() => this.sample(), 25);
  }

  static start(agent: HostileAgent): RssGrowth {
    return new RssGrowth(agent, agent.rss());
  }

  private sample(): void {
    this.peak = Math.max(this.peak, this.agent.rss());
  }

  /** Stops sampling (a last sample included); returns the peak's growth over the start, bytes. */
  stop(): number {
    clearInterval(this.sampler);
    this.sample();
    return this.peak - this.before;
  }
}

/**
 * Runs `attack` while a probe session works, and checks the four
 * facts: the attack's reply came within `replyBoundMs`, the probe was
 * answered within PROBE_BOUND_MS throughout, the agent's memory grew by less
 * than `rssBoundBytes`, and the datastores are byte-identical afterwards.
 * Returns the attack's result.
 */
export async function underAttack<T>(
  agent: HostileAgent,
  opts: { replyBoundMs: number; rssBoundBytes: number },
  attack: () => Promise<T>,
): Promise<T> {
  const before = await agent.datastores();
  const rss = RssGrowth.start(agent);
  const probe = await Probe.start(agent);
  const t0 = performance.now();
  let result: T;
  let growth: number;
  try {
    result = await attack();
  } finally {
    growth = rss.stop();
  }
  const replyMs = performance.now() - t0;
  const probeMax = await probe.stop();
  expect(replyMs).toBeLessThan(opts.replyBoundMs);
  expect(probe.latencies.length).toBeGreaterThan(2);
  expect(probeMax).toBeLessThan(PROBE_BOUND_MS);
  expect(growth).toBeLessThan(opts.rssBoundBytes);
  expect(await agent.datastores()).toEqual(before);
  return result;
}

/** The error-tag of the (first) rpc-error in a reply, or undefined. */
export function errorTag(reply: string): string | undefined {
  return /<error-tag>([^<]*)<\/error-tag>/.exec(reply)?.[1];
}
