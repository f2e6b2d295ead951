// NACM read access (RFC 8341 §3.4.5) where <get>/<get-config> are really
// computed: in the agent's evaluation workers (issue 10), which get each
// session's read rules as data. No xpath or subtree filter of a user without
// read access may select on the neighbor password (nacm:default-deny-all),
// on <get> (running merged with state, /nacm counters included) and on
// <get-config>; the admin's same filters do select, so these can fail. A rule
// that later grants the password is honoured by the workers at once, so they
// do not keep a stale copy of the rules.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startAgent, type RunningAgent } from '../support/agent.js';
import { NcTestClient, rpcXml } from './nc-client.js';

const NS = 'urn:bmpd:yang:bmpd';
const NACM = 'urn:ietf:params:xml:ns:yang:ietf-netconf-acm';
const SECRET = 'x-md5-key';
const ADDUSER = join(ROOT, 'dist', 'src', 'adduser.js');

let dir: string;
let agent: RunningAgent;
let admin: NcTestClient;
let operator: NcTestClient;

async function adduser(name: string, group: string): Promise<void> {
  const child = spawn(process.execPath, [ADDUSER, '--state-dir', dir, '--name', name, '--group', group, '--password-stdin'], { stdio: ['pipe', 'ignore', 'inherit'] });
  child.stdin.end(`${name}-password\n`);
  expect(await new Promise((r) => child.once('exit', r))).toBe(0);
}

async function session(name: string): Promise<NcTestClient> {
  return (await NcTestClient.open({ host: '127.0.0.1', port: agent.port, username: name, password: `${name}-password` })).client;
}

let nextId = 1;
async function rpc(client: NcTestClient, operation: string): Promise<string> {
  const reply = await client.rpc(rpcXml(String(nextId++), operation), 30_000);
  expect(reply).not.toContain('<rpc-error>');
  return reply;
}

const xpath = (select: string) => `<filter type="xpath" xmlns:b="${NS}" select="${select}"/>`;
const subtree = (inner: string) => `<filter type="subtree">${inner}</filter>`;
const FILTERS: Record<string, string> = {
  'xpath content match': xpath(`//b:neighbor[b:password='${SECRET}']`),
  'xpath on the value': xpath("/b:bgp/b:neighbor[string-length(b:password) &gt; 0]"),
  'xpath selecting the leaf': xpath('//b:password'),
  'subtree content match': subtree(`<bgp xmlns="${NS}"><neighbor><password>${SECRET}</password></neighbor></bgp>`),
};
const reads = (filter: string) => ({
  get: `<get>${filter}</get>`,
  'get-config': `<get-config><source><running/></source>${filter}</get-config>`,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bmpd-nacm-worker-'));
  await adduser('admin', 'admin');
  await adduser('operator', 'operators');
  agent = await startAgent({ stateDir: dir });
  admin = await session('admin');
  operator = await session('operator');
  await rpc(admin, `<edit-config><target><running/></target><config><bgp xmlns="${NS}"><as-number>65000</as-number>` +
    `<neighbor><address>127.0.3.1</address><remote-as>65001</remote-as><shutdown/><password>${SECRET}</password></neighbor></bgp></config></edit-config>`);
}, 120_000);

afterAll(async () => {
  admin?.end();
  operator?.end();
  await agent?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('NACM read access in the evaluation workers', () => {
  it('no filter of the operator selects on the hidden password; the same filters of the admin do', async () => {
    for (const [name, filter] of Object.entries(FILTERS)) {
      for (const [op, xml] of Object.entries(reads(filter))) {
        const mine = await rpc(operator, xml);
        expect(mine, `${name} (${op}) as operator`).not.toContain('<neighbor');
        expect(mine, `${name} (${op}) as operator`).not.toContain(SECRET);
        const theirs = await rpc(admin, xml);
        expect(theirs, `${name} (${op}) as admin`).toContain(SECRET);
      }
    }
  }, 120_000);

  it('unfiltered, the operator reads the neighbor without its password, and /nacm (counters included) not at all', async () => {
    for (const xml of Object.values(reads(''))) {
      const reply = await rpc(operator, xml);
      expect(reply).toContain('<address>127.0.3.1</address>');
      expect(reply).not.toContain('<password');
      expect(reply).not.toContain(`<nacm xmlns="${NACM}"`);
    }
    expect(await rpc(operator, `<get>${subtree(`<nacm xmlns="${NACM}"><denied-operations/></nacm>`)}</get>`)).not.toContain('denied-operations');
    expect(await rpc(admin, `<get>${subtree(`<nacm xmlns="${NACM}"><denied-operations/></nacm>`)}</get>`)).toContain('denied-operations');
  }, 60_000);

  it('a rule that grants the operator the password is in force in the workers for the next request', async () => {
    await rpc(admin, `<edit-config><target><running/></target><config><nacm xmlns="${NACM}"><rule-list><name>operators</name><group>operators</group>` +
      `<rule><name>read-passwords</name><module-name>bmpd</module-name><path xmlns:b="${NS}">/b:bgp/b:neighbor/b:password</path>` +
      '<access-operations>read</access-operations><action>permit</action></rule></rule-list></nacm></config></edit-config>');
    for (const xml of Object.values(reads(FILTERS['xpath content match']!))) {
      expect(await rpc(operator, xml)).toContain(SECRET);
    }
  }, 60_000);
});
