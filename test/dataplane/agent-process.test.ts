// The agent process and its data plane thread (dist/src/main.js, worker mode), seen from outside:
// - the thread's priority: the kernel's own record (/proc/<pid>/task/<tid>/stat, field 19, nice)
//   says the data plane thread runs --data-plane-nice levels below the NETCONF (main) thread;
// - <get>s that arrive together share one state build on the data plane (its debug line 'oper-state
//   built' is written once per build), and each gets the whole state;
// - a data plane thread that dies takes the process with it: the fatal line names the cause and
//   the status is 1. The death is the real path of an uncaught exception in the worker, set off by
//   the test-only fault injection of src/dataplane/worker.ts (BMPD_TEST_FAULT).
// Clients: ncclient (test/dataplane/clients/get_burst.py, test/agent/clients/nc.py).
//
// Addresses of this file: bmpd listens for BGP on 127.0.48.1; its passive neighbors are
// 127.48.0.0/16 and never connect.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runPython, startAgent, type RunningAgent } from '../support/agent.js';
import { DEFAULT_DATA_PLANE_NICE } from '../../src/dataplane/thread-priority.js';

const NC = join(ROOT, 'test', 'agent', 'clients', 'nc.py');
const BURST = join(ROOT, 'test', 'dataplane', 'clients', 'get_burst.py');
const NEIGHBORS = 1500;
const SESSIONS = 8;

/** A thread's nice value as the kernel holds it: field 19 of /proc/<pid>/task/<tid>/stat (proc(5)). */
function niceOf(pid: number, tid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count from after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[19 - 3]);
}

const logged = (agent: RunningAgent, msg: string) => agent.logs.filter((l) => l.msg === msg);

async function nc(agent: RunningAgent, ...args: (string | number)[]): Promise<Record<string, unknown>> {
  const r = await runPython(NC, [agent.port, ...args], 90_000);
  if (r.error) throw new Error(`NETCONF error: ${JSON.stringify(r.error)}`);
  return r;
}

describe('an agent with its default data plane priority', () => {
  let agent: RunningAgent;
  beforeAll(async () => { agent = await startAgent(); }, 60_000);
  afterAll(async () => { await agent?.stop(); });

  it(`runs the data plane thread ${DEFAULT_DATA_PLANE_NICE} nice levels below the NETCONF thread, and says so at start`, () => {
    const [started] = logged(agent, 'data plane started');
    expect(started).toMatchObject({ nice: DEFAULT_DATA_PLANE_NICE });
    const tid = Number(started!.tid);
    expect(tid).not.toBe(agent.pid);
    // The main thread's tid is the pid; it keeps the nice value the agent was started with.
    const main = niceOf(agent.pid, agent.pid);
    expect(niceOf(agent.pid, tid)).toBe(Math.min(19, main + DEFAULT_DATA_PLANE_NICE));
  });

  it(`answers ${SESSIONS} <get>s sent at once with fewer state builds than <get>s, each reply whole`, async () => {
    // Enough neighbors that one build takes a while: the burst's <get>s find it under way.
    const neighbors = Array.from({ length: NEIGHBORS }, (_, i) =>
      `<neighbor><address>127.48.${Math.floor(i / 250)}.${(i % 250) + 1}</address><remote-as>65049</remote-as><passive>true</passive></neighbor>`).join('');
    // Too long for one command-line argument: ncclient reads it from a file.
    const file = join(agent.stateDir, 'neighbors.xml');
    writeFileSync(file, `<config><bgp xmlns="urn:bmpd:yang:bmpd"><as-number>65048</as-number><router-id>127.0.48.1</router-id>` +
      `<listen><address>127.0.48.1</address></listen>${neighbors}</bgp></config>`);
    expect(await nc(agent, 'edit', file)).toMatchObject({ ok: true });

    const before = logged(agent, 'oper-state built').length;
    const burst = await runPython<{ replies: string[]; ms: number[] }>(BURST, [agent.port, SESSIONS, '/bmpd:bgp/neighbor/state/session-state'], 120_000);
    const builds = logged(agent, 'oper-state built').slice(before);
    console.log(`agent-process: ${SESSIONS} concurrent <get>s, ${builds.length} state builds of ${builds.map((b) => String(b.ms)).join(', ')} ms; ` +
      `round trips ${burst.ms.join(', ')} ms (shared machine)`);
    expect(builds.length).toBeGreaterThanOrEqual(1);
    expect(builds.length).toBeLessThan(SESSIONS);
    // Every session got the whole state: each neighbor's session-state (Idle: passive, no peer).
    for (const reply of burst.replies) expect(reply.match(/<session-state>/g)).toHaveLength(NEIGHBORS);

    // A <get> after the burst builds anew: a shared build serves only the reads that overlap it.
    await nc(agent, 'get', "/bmpd:bgp/neighbor[address='127.48.0.1']/state/session-state");
    expect(logged(agent, 'oper-state built').length).toBe(before + builds.length + 1);
  }, 180_000);
});

describe('an agent whose data plane thread dies', () => {
  let agent: RunningAgent;
  beforeAll(async () => {
    agent = await startAgent({ args: ['--data-plane-nice', '0'], env: { BMPD_TEST_FAULT: 'data-plane-throw-on-get' } });
  }, 60_000);
  afterAll(async () => { await agent?.stop(); });

  it('with --data-plane-nice 0 runs that thread at the NETCONF thread\'s priority', () => {
    const [started] = logged(agent, 'data plane started');
    expect(started).toMatchObject({ nice: niceOf(agent.pid, agent.pid) });
    expect(niceOf(agent.pid, Number(started!.tid))).toBe(niceOf(agent.pid, agent.pid));
  });

  it('logs the failure at fatal with its cause and exits with status 1', async () => {
    // The <get> never gets its reply: the process ends under it (ncclient then waits for its own
    // timeout; it is stopped sooner).
    const get = runPython(NC, [agent.port, 'get', '/bmpd:bgp'], 10_000).then(() => 'answered', () => 'failed');
    const status = await agent.exited;
    expect(await get).toBe('failed');
    expect(status).toBe(1);
    const fatal = agent.logs.filter((l) => l.level === 60);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatchObject({ topic: 'data-plane', reason: expect.stringContaining('fault injected by BMPD_TEST_FAULT') });
    expect(String(fatal[0]!.msg)).toMatch(/^the data plane failed \(.*\); every BGP and BMP session is lost, bmpd exits$/);
    expect(String(fatal[0]!.stack)).toContain('worker.js');
  }, 90_000);
});
