// The agent's oper state takes its view of running from the reconciler's index (Agent.runningViewOf):
// after a commit of neighbors, of the rest of /bgp, of another module only (NACM) and after a
// refused commit, <get>'s state shows running as written, and running is never printed for it
// (the debug line that names the fallback is absent). An in-process agent, data plane inline;
// NETCONF listens on 127.0.23.1 with an ephemeral port and no client connects.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { SYSTEM_SESSION } from '../../src/datastore/datastores.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';
import { commitOrDiscard } from '../datastore/commit-or-discard.js';
import { scratchDirs } from '../support/scratch.js';

const NS = 'urn:bmpd:yang:bmpd';
const NACM_NS = 'urn:ietf:params:xml:ns:yang:ietf-netconf-acm';
const FALLBACK = 'view of running read from a print of running';

const lines: { msg?: string }[] = [];
const tempDir = scratchDirs();
let model: YangModel;
let agent: Agent;

beforeAll(async () => {
  model = await loadYangModel();
  const sink = new Writable({ write(chunk, _enc, done) { for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l)); done(); } });
  agent = await Agent.start({
    model,
    stateDir: tempDir('running-view-agent'),
    netconfAddress: '127.0.23.1',
    netconfPort: 0,
    logger: pino({ level: 'debug' }, sink),
    dataPlane: 'inline',
    sysName: 'running-view-agent',
  });
}, 60_000);
afterAll(async () => {
  await agent?.stop();
  model?.context.destroy();
});

const commit = (config: string): Promise<boolean> => commitOrDiscard(agent.service.datastores, config, SYSTEM_SESSION);

const bgp = (inner: string) => `<bgp xmlns="${NS}">${inner}</bgp>`;
/** The neighbor addresses oper state was attached to, in the order of <get>'s state. */
const stateNeighbors = (xml: string) => [...xml.matchAll(/<neighbor><address>([^<]+)<\/address>/g)].map((m) => m[1]);

describe('oper state from the index\'s view of running', () => {
  it('follows every change of running without printing running', async () => {
    expect(stateNeighbors(await agent.operState())).toEqual([]);
    expect(await commit(bgp('<as-number>65000</as-number><neighbor><address>127.0.23.20</address><remote-as>65001</remote-as></neighbor>'))).toBe(true);
    expect(stateNeighbors(await agent.operState())).toEqual(['127.0.23.20']);

    expect(await commit(bgp('<neighbor><address>127.0.23.5</address><remote-as>65001</remote-as><update-source>dummy9</update-source></neighbor>'))).toBe(true);
    expect(stateNeighbors(await agent.operState())).toEqual(['127.0.23.5', '127.0.23.20']);

    expect(await commit(bgp('<bmp><buffer-size>256</buffer-size></bmp>'))).toBe(true);
    expect(await agent.operState()).toContain('<buffer-size-configured>');

    // Another module only: the apply hook sees it and leaves the engine alone; the view stays right.
    expect(await commit(`<nacm xmlns="${NACM_NS}"><groups><group><name>viewers</name><user-name>someone</user-name></group></groups></nacm>`)).toBe(true);
    expect(stateNeighbors(await agent.operState())).toEqual(['127.0.23.5', '127.0.23.20']);

    // Refused by the must (no remote-as anywhere): running and its view as they were.
    expect(await commit(bgp('<neighbor><address>127.0.23.6</address></neighbor>'))).toBe(false);
    expect(stateNeighbors(await agent.operState())).toEqual(['127.0.23.5', '127.0.23.20']);

    expect(lines.filter((l) => l.msg === FALLBACK)).toEqual([]);
  });
});
