// The data plane really runs off the main thread (SPEC §1): the agent process (dist/src/main.js,
// its default --data-plane worker) takes a 200,000-prefix table from the load generator
// (tools/bgp-loadgen/loadgen.mjs, a real BGP speaker over TCP). The facts, from the agent's own
// log and NETCONF: the data plane starts on a thread that is not the main one; the BGP session
// comes up on that thread and the table lands there (<get>, served by NETCONF on the main thread,
// counts it from the data plane's snapshot); SIGTERM sends the neighbor a Cease from that thread and both threads report
// their event-loop delay and GC pauses. The figures are printed, not asserted: the machine is shared.
//
// Addresses of this file: bmpd 127.0.47.1:179, the generator 127.0.47.2.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runPython, startAgent, type RunningAgent } from '../support/agent.js';
import { killPid } from '../bgp/integration/daemons.js';

const NC = join(ROOT, 'test', 'agent', 'clients', 'nc.py');
const BMPD = '127.0.47.1';
const GENERATOR = '127.0.47.2';
const PREFIXES = 200_000;

const CONFIG = `<config><bgp xmlns="urn:bmpd:yang:bmpd">
  <as-number>65047</as-number><router-id>${BMPD}</router-id><listen><address>${BMPD}</address></listen>
  <neighbor><address>${GENERATOR}</address><remote-as>65048</remote-as><passive>true</passive>
    <address-family><name>ipv4-unicast</name></address-family></neighbor>
</bgp></config>`;

let agent: RunningAgent;
let generator: ChildProcess | null = null;
let generatorStderr = '';
let generatorExit: Promise<number | null>;
const generatorEvents: string[] = [];

async function nc(...args: (string | number)[]): Promise<Record<string, unknown>> {
  const r = await runPython(NC, [agent.port, ...args], 90_000);
  if (r.error) throw new Error(`NETCONF error: ${JSON.stringify(r.error)}`);
  return r;
}

async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const logged = (msg: string) => agent.logs.filter((l) => l.msg === msg);

beforeAll(async () => {
  agent = await startAgent();
}, 60_000);

afterAll(async () => {
  if (generator?.pid) await killPid(generator.pid);
  await agent?.stop();
});

describe('the data plane in its worker thread', () => {
  it('starts on a thread of its own, in the agent process', () => {
    const [started] = logged('data plane started');
    expect(started).toMatchObject({ pid: agent.pid, topic: 'data-plane' });
    expect(started!.threadId).toBeGreaterThan(0);
    // Named once: the worker's logger binds threadId to every line, the host adds none of its own.
    expect(agent.lines.find((l) => l.includes('"msg":"data plane started"'))!.match(/"threadId"/g)).toHaveLength(1);
    // The main thread's lines do not name a thread.
    expect(logged('bmpd ready')[0]).not.toHaveProperty('threadId');
  });

  it('brings the BGP session up and takes the whole table on that thread', async () => {
    const dataPlaneThread = logged('data plane started')[0]!.threadId;
    expect(await nc('edit-inline', CONFIG)).toMatchObject({ ok: true });
    generator = spawn(process.execPath, [join(ROOT, 'tools/bgp-loadgen/loadgen.mjs'),
      '--peer', BMPD, '--port', '179', '--local', GENERATOR, '--as', '65048', '--prefixes', String(PREFIXES), '--per-update', '50', '--json'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
    generatorExit = new Promise((r) => generator!.once('exit', r));
    generator.stderr!.on('data', (d: Buffer) => { generatorStderr += d.toString(); });
    createInterface({ input: generator.stdout! }).on('line', (line) => {
      try { generatorEvents.push(String((JSON.parse(line) as { event: string }).event)); } catch { /* not an event */ }
    });

    await eventually('the session Established in the log', () => logged('bgp session established').some((l) => l.neighbor === GENERATOR), 30_000);
    expect(logged('bgp session established').find((l) => l.neighbor === GENERATOR)!.threadId).toBe(dataPlaneThread);

    // NETCONF (main thread) asks; the count comes from the data plane's snapshot.
    let gets = 0;
    await eventually(`${PREFIXES} prefixes received`, async () => {
      gets++;
      const data = String((await nc('get', `/bmpd:bgp/neighbor[address='${GENERATOR}']/state/prefixes`)).data);
      return data.includes(`<received>${PREFIXES}</received>`);
    }, 120_000);
    expect(generatorEvents).toContain('sent');
    console.log(`worker-thread: ${PREFIXES} prefixes ingested on thread ${String(dataPlaneThread)}; ${gets} <get>s until the count was complete`);
  }, 180_000);

  it('on SIGTERM sends the neighbor a Cease from that thread, exits 0, and reports both threads\' event-loop delay', async () => {
    const dataPlaneThread = logged('data plane started')[0]!.threadId;
    expect(await agent.stop()).toBe(0);
    // The generator exits on the NOTIFICATION it got: Cease (6), Administrative Shutdown (2).
    await generatorExit;
    expect(generatorStderr).toMatch(/NOTIFICATION from peer: code 6 subcode 2/);
    const delays = logged('event-loop delay');
    const dataPlane = delays.find((l) => l.thread === 'data-plane');
    const main = delays.find((l) => l.thread === 'main');
    expect(dataPlane).toMatchObject({ threadId: dataPlaneThread });
    expect(main).toBeDefined();
    expect(main).not.toHaveProperty('threadId');
    // Both threads sampled their loop for the agent's whole life, the ingest included.
    for (const d of [dataPlane!, main!]) expect(d.samples).toBeGreaterThan(0);
    // The table's garbage was collected on the data plane's own heap: its young-generation pauses are counted there.
    expect((dataPlane!.gc as Record<string, { count: number }>).minor!.count).toBeGreaterThan(0);
    const figures = (d: Record<string, unknown>) => `p50 ${String(d.p50Ms)} ms, p99 ${String(d.p99Ms)} ms, max ${String(d.maxMs)} ms, busy ${String(d.busyMs)} ms, GC ${JSON.stringify(d.gc)}`;
    console.log(`worker-thread: event-loop delay, main: ${figures(main!)}; data plane: ${figures(dataPlane!)} (shared machine)`);
  }, 60_000);
});
