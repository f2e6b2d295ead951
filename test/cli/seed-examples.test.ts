// Every command example of the seed document (IOS XE 17.5 'BGP Monitoring Protocol', its
// `Device...#` blocks, copied verbatim below) typed into bmpd-cli against the real agent, with the
// seed's addresses on loopback (SPEC §8: N0.1.1.1 -> 127.0.N.1). Then:
//   - ncclient reads running on its own and finds exactly what the commands said;
//   - 'show running-config | section bmp' prints the seed's block;
//   - the show commands print the seed's headings and columns with live values: Down while the
//     collectors (pmacct's pmbmpd) are not there, Up with an uptime and MsgSent once they listen;
//   - the debug commands make the seed's debug events appear in the agent's log.
//
// Addresses of this file: collectors 127.0.1.1:8000 and 127.0.2.1:9000 (the seed's 10.1.1.1 and
// 20.1.1.1); BGP neighbors 127.0.3.1 (30.1.1.1) and, in VRF vrf1, 127.0.1.1 (10.1.1.1). bmpd
// listens for no BGP connection; NETCONF on a free port of 127.0.0.1.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../bgp/integration/daemons.js';
import { Pmbmpd } from '../bmp/integration/pmbmpd.js';
import { ROOT, runPython, startAgent, type RunningAgent } from '../support/agent.js';
import { mapSeedAddresses, runCli, typedLines } from './run-cli.js';

const NC = join(ROOT, 'test', 'agent', 'clients', 'nc.py');

// ---- the seed's examples, verbatim ----

const SEED_NEIGHBOR = `
Device> enable
Device# configure terminal
Device(config)# router bgp 65000
Device(config-router)# neighbor 30.1.1.1 bmp-activate server 1 server 2
Device(config-router)# end`;

const SEED_INITIAL_REFRESH = `
Device> enable
Device# configure terminal
Device(config)# router bgp 65000
Device(config-router)# bmp initial-refresh delay 30
Device(config-router)# bmp buffer-size 2048
Device(config-router)# end`;

const SEED_SERVERS = `
Device> enable
Device# configure terminal
Device(config)# router bgp 65000
Device(config-router)# bmp server 1
Device(config-router-bmpsrvr)# activate
Device(config-router-bmpsrvr)# address 10.1.1.1 port-number 8000
Device(config-router-bmpsrvr)# description LINE SERVER1
Device(config-router-bmpsrvr)# failure-retry-delay 40
Device(config-router-bmpsrvr)# flapping-delay 120
Device(config-router-bmpsrvr)# initial-delay 20
Device(config-router-bmpsrvr)# set ip dscp 5
Device(config-router-bmpsrvr)# stats-reporting-period 30
Device(config-router-bmpsrvr)# update-source ethernet 0/0
Device(config-router-bmpsrvr)# exit-bmp-server-mode
Device(config-router)# bmp server 2
Device(config-router-bmpsrvr)# activate
Device(config-router-bmpsrvr)# address 20.1.1.1 port-number 9000
Device(config-router-bmpsrvr)# description LINE SERVER2
Device(config-router-bmpsrvr)# failure-retry-delay 40
Device(config-router-bmpsrvr)# flapping-delay 120
Device(config-router-bmpsrvr)# initial-delay 20
Device(config-router-bmpsrvr)# set ip dscp 7
Device(config-router-bmpsrvr)# stats-reporting-period 30
Device(config-router-bmpsrvr)# update-source ethernet 2/0
Device(config-router-bmpsrvr)# exit-bmp-server-mode
Device(config-router)# end`;

const SEED_VRF = `
Device> enable
Device# configure terminal
Device(config)# router bgp 65000
Device (config-router)# address-family 10.1.1.1 vrf vrfl
Device(config-router)# neighbor 10.1.1.1 bmp-activate server 1 server 2
Device(config-router)# end`;

const SEED_DEBUG = `
Device# debug ip bgp bmp event
BGP BMP events debugging is on

Device# debug ip bgp bmp neighbor
BGP BMP neighbor debugging is on

Device# debug ip bgp bmp server
BGP BMP server debugging is on`;

const SEED_SHOW_DEBUGGING = `
Device# show debugging

IP routing:
BGP BMP server debugging is on`;

const SEED_SECTION_BMP = `
bmp server 1
address 10.1.1.1 port-number 8000
description SERVER1
initial-delay 20
failure-retry-delay 40
flapping-delay 120
update-source Ethernet0/0
set ip dscp 3
activate
exit-bmp-server-mode
bmp server 2
address 20.1.1.1 port-number 9000
description SERVER2
initial-delay 20
failure-retry-delay 40
flapping-delay 120
update-source Ethernet2/0
set ip dscp 5
activate
exit-bmp-server-mode
bmp initial-refresh delay 30
bmp-activate all`;

const SEED_SUMMARY_HEAD = `
Number of BMP servers configured: 2
Number of BMP neighbors configured: 10
Number of neighbors on TransitionQ: 0, MonitoringQ: 0, ConfigQ: 0
Number of BMP servers on StatsQ: 0
BMP Refresh not in progress, refresh not scheduled
Initial Refresh Delay configured, refresh value 30s
BMP buffer size configured, buffer size 2048 MB, buffer size bytes used 0 MB

ID Host/Net          Port  TCB          Status  Uptime    MsgSent  LastStat`;

const SEED_SERVER_1 = `
Print detailed info for 1 server number 1.

bmp server 1
address: 10.1.1.1    port 8000
description SERVER1
up time 00:06:22
session-startup route-refresh
initial-delay 20
failure-retry-delay 40
flapping-delay 120
activated`;

const SEED_NEIGHBORS_HEAD = `
Number of BMP neighbors configured: 10
BMP Refresh not in progress, refresh not scheduled
Initial Refresh Delay configured, refresh value 30s
BMP buffer size configured, buffer size 2048 MB, buffer size bytes used 0 MB`;

/** The seed's debug log lines for server 1 (its 'show debugging' example), without their timestamps. */
const SEED_SERVER_EVENTS = [
  'BMP server connection attempt timer expired for server 1 - 10.1.1.1/8000',
  'BMP server 1 active open process success - 10.1.1.1/8000',
  'TCP KA interval is set to 15',
  'Register read/write notification callbacks with BMP server 1 TCB - 10.1.1.1/8000',
  'Initiation msg sent to BMP server 1 - 10.1.1.1/8000',
  'BMP server 1 connection - 10.1.1.1/8000 up, invoke refresh event',
];

/** A sample's numbers are that device's: the same line with any number there. */
function sameShape(sample: string): RegExp {
  const escaped = sample.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\d+(:\d+)*/g, '[\\d:]+');
  return new RegExp(`^${escaped}$`);
}

// ---- the test ----

let agent: RunningAgent;
let knownHosts: string;
const collectors: Pmbmpd[] = [];
const dirs: string[] = [];

async function cli(input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCli(['--port', String(agent.port), '--user', 'admin', '--password', 'admin', '--known-hosts', knownHosts, '--accept-new-host-key'], input);
}

/** Types a seed block (addresses mapped) and expects it to succeed. */
async function typeBlock(block: string): Promise<string> {
  const r = await cli(typedLines(mapSeedAddresses(block)).join('\n'));
  expect(r.stderr.replace(/^Warning: Permanently added .*\n/m, ''), r.stdout).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

async function show(command: string): Promise<string> {
  const r = await cli(`enable\n${command}\n`);
  expect(r.stderr.replace(/^Warning: Permanently added .*\n/m, '')).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

/** The summary table's rows by server id: the columns split at whitespace. */
function summaryRows(text: string): Map<string, string[]> {
  const lines = text.split('\n');
  const header = lines.findIndex((l) => l.startsWith('ID Host/Net'));
  return new Map(lines.slice(header + 1).filter((l) => l.trim() !== '').map((l) => {
    const cells = l.trim().split(/\s+/);
    return [cells[0]!, cells];
  }));
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bmpd-cli-seed-'));
  dirs.push(dir);
  knownHosts = join(dir, 'known_hosts');
  agent = await startAgent();
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  for (const c of collectors) await c.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("bmpd-cli types the seed's examples into a running agent", () => {
  it("turns debugging on with the seed's answers, and 'show debugging' lists it", async () => {
    const lines = typedLines(SEED_DEBUG).filter((l) => l.startsWith('debug'));
    expect(await show(lines.join('\n'))).toBe(`${SEED_DEBUG.split('\n').filter((l) => l.startsWith('BGP BMP')).join('\n')}\n`);
    const out = await show('show debugging');
    expect(out).toBe(`${SEED_SHOW_DEBUGGING.split('\n').slice(2).join('\n')}\n`
      .replace('IP routing:\n', 'IP routing:\nBGP BMP events debugging is on\nBGP BMP neighbor debugging is on\n'));
  });

  it('configures the servers, the neighbor and the VRF neighbor as the seed does; ncclient reads exactly that back', async () => {
    // The seed's prerequisite ('configure BGP neighbors first'): the neighbors with their AS, the VRF with its RD.
    await typeBlock(`enable\nconfigure terminal\nrouter bgp 65000\nneighbor 30.1.1.1 remote-as 65030\nexit\nvrf definition vrf1\nrd 65000:1
exit\nrouter bgp 65000\naddress-family ipv4 vrf vrf1\nneighbor 10.1.1.1 remote-as 65010\nend`);
    // bmp-activate names servers 1 and 2, so the server example goes first.
    await typeBlock(SEED_SERVERS);
    await typeBlock(SEED_NEIGHBOR);
    await typeBlock(SEED_INITIAL_REFRESH);

    // The seed's VRF example has a typo ('address-family 10.1.1.1 vrf vrfl', an address where
    // ipv4/ipv6 belongs): verbatim it is rejected under the address, as IOS would.
    const verbatim = await cli(typedLines(mapSeedAddresses(SEED_VRF)).join('\n'));
    expect(verbatim.code).toBe(1);
    expect(verbatim.stderr).toContain(`address-family 127.0.1.1 vrf vrfl\n               ^\n% Invalid input detected at '^' marker.`);
    await typeBlock(SEED_VRF.replace('address-family 10.1.1.1 vrf vrfl', 'address-family ipv4 vrf vrf1'));

    const { data } = await runPython<{ data: string }>(NC, [agent.port, 'get-config']);
    const bgp = /<bgp xmlns="urn:bmpd:yang:bmpd">.*<\/bgp>/s.exec(data.replace(/>\s+</g, '><'))?.[0];
    const server = (id: number, address: string, port: number, dscp: number, source: string): string =>
      `<server><id>${id}</id><activate/><address>${address}</address><port-number>${port}</port-number><description>SERVER${id}</description>`
      + `<failure-retry-delay>40</failure-retry-delay><flapping-delay>120</flapping-delay><initial-delay>20</initial-delay><dscp>${dscp}</dscp>`
      + `<stats-reporting-period>30</stats-reporting-period><update-source>${source}</update-source></server>`;
    const activate = '<bmp-activate><server>1</server><server>2</server></bmp-activate>';
    expect(bgp).toBe('<bgp xmlns="urn:bmpd:yang:bmpd"><as-number>65000</as-number>'
      + `<bmp><buffer-size>2048</buffer-size><initial-refresh><delay>30</delay></initial-refresh>`
      + `${server(1, '127.0.1.1', 8000, 5, 'Ethernet0/0')}${server(2, '127.0.2.1', 9000, 7, 'Ethernet2/0')}</bmp>`
      + `<neighbor><address>127.0.3.1</address><remote-as>65030</remote-as>${activate}</neighbor>`
      + `<vrf><name>vrf1</name><rd>65000:1</rd><address-family><afi>ipv4</afi>`
      + `<neighbor><address>127.0.1.1</address><remote-as>65010</remote-as>${activate}</neighbor></address-family></vrf></bgp>`);
  });

  it("prints the seed's 'show running-config | section bmp' block", async () => {
    const out = await show('show running-config | section bmp');
    // Where the seed's sample disagrees with its own commands, the commands win: they set dscp 5
    // and 7 (the sample prints 3 and 5), stats-reporting-period and buffer-size (the sample leaves
    // them out), and 'bmp-activate server 1 server 2' per neighbor (the sample's last line is a
    // cut 'bmp-activate all').
    const expected = mapSeedAddresses(SEED_SECTION_BMP).trim()
      .replace('set ip dscp 5', 'set ip dscp 7').replace('set ip dscp 3', 'set ip dscp 5')
      .replaceAll('activate\nexit-bmp-server-mode', 'stats-reporting-period 30\nactivate\nexit-bmp-server-mode')
      .replace('bmp initial-refresh delay 30', 'bmp initial-refresh delay 30\nbmp buffer-size 2048')
      .replace('bmp-activate all', 'neighbor 127.0.3.1 bmp-activate server 1 server 2\nneighbor 127.0.1.1 bmp-activate server 1 server 2');
    expect(out.trimEnd().split('\n').map((l) => l.trim())).toEqual(expected.split('\n'));
  });

  it("shows both servers Down before the collectors listen, in the seed's summary layout", async () => {
    const out = await show('show ip bgp bmp server summary');
    const sample = SEED_SUMMARY_HEAD.split('\n');
    const lines = out.trimEnd().split('\n');
    for (let i = 0; i < sample.length; i++) expect(lines[i]).toMatch(sameShape(sample[i]!));
    expect(lines[1]).toBe('Number of BMP servers configured: 2');
    expect(lines[2]).toBe('Number of BMP neighbors configured: 2');
    const rows = summaryRows(out);
    expect(rows.get('1')).toEqual(['1', '127.0.1.1', '8000', '0x0', 'Down', '0', '0']);
    expect(rows.get('2')).toEqual(['2', '127.0.2.1', '9000', '0x0', 'Down', '0', '0']);
  });

  it('shows them Up with an uptime and MsgSent once pmbmpd listens, and the seed\'s server events are in the agent\'s log', async () => {
    for (const [host, port] of [['127.0.1.1', 8000], ['127.0.2.1', 9000]] as const) {
      const dir = tempDir('cli-pmbmpd');
      dirs.push(dir);
      collectors.push(await Pmbmpd.start(dir, host, port));
    }
    // initial-delay 20 (the seed's) runs from the 'activate' above.
    const out = await waitFor('both servers up', async () => {
      const text = await show('show ip bgp bmp server summary');
      const rows = summaryRows(text);
      return rows.get('1')?.[4] === 'Up' && rows.get('2')?.[4] === 'Up' ? text : null;
    }, 40_000, 1000);
    for (const [id, host, port] of [['1', '127.0.1.1', '8000'], ['2', '127.0.2.1', '9000']] as const) {
      const row = summaryRows(out).get(id)!;
      expect(row.slice(0, 3)).toEqual([id, host, port]);
      expect(row[3]).toMatch(/^0x[0-9A-F]+$/);
      expect(row[3]).not.toBe('0x0');
      expect(row[5]).toMatch(/^\d\d:\d\d:\d\d$/);
      expect(Number(row[6])).toBeGreaterThanOrEqual(1);
    }
    // MsgSent counts what the collector got: at least the Initiation pmbmpd logged.
    // Ethernet0/0 does not exist here, so the kernel picks lo's 127.0.0.1 as the source.
    expect(collectors[0]!.records('127.0.0.1').some((r) => r.bmp_msg_type === 'init')).toBe(true);

    const detail = await show('show ip bgp bmp server 1');
    const sample = mapSeedAddresses(SEED_SERVER_1).split('\n');
    const lines = detail.trimEnd().split('\n');
    expect(lines).toHaveLength(sample.length);
    for (let i = 0; i < sample.length; i++) expect(lines[i]).toMatch(sameShape(sample[i]!));
    expect(lines.filter((l) => !l.startsWith('up time'))).toEqual(sample.filter((l) => !l.startsWith('up time')));

    const logged = agent.logs.map((l) => String(l.msg));
    for (const event of SEED_SERVER_EVENTS) expect(logged).toContain(mapSeedAddresses(event));
    expect(logged).toContain('Initiation msg sent to BMP server 2 - 127.0.2.1/9000');
  });

  it("lists the BMP neighbors in the seed's layout, for both spellings of the command", async () => {
    for (const command of ['show ip bgp bmp server neighbors', 'show ip bgp bmp neighbors']) {
      const lines = (await show(command)).trimEnd().split('\n');
      const sample = SEED_NEIGHBORS_HEAD.split('\n');
      for (let i = 0; i < sample.length; i++) expect(lines[i]).toMatch(sameShape(sample[i]!));
      expect(lines[1]).toBe('Number of BMP neighbors configured: 2');
      const header = lines.indexOf('Neighbor        PriQ  MsgQ  CfgSvr#  ActSvr#  RM Sent');
      expect(header).toBeGreaterThan(0);
      // Neither neighbor has a BGP session (nothing listens at 127.0.3.1:179): configured, not active.
      expect(lines.slice(header + 1).map((l) => l.trim().split(/\s{2,}/))).toEqual([
        ['127.0.3.1', '0', '0', '1 2', '0'],
        ['127.0.1.1', '0', '0', '1 2', '0'],
      ]);
    }
  });

  it('shows a server Down again when its collector goes away; clear, undebug all', async () => {
    await collectors[1]!.stop();
    await waitFor('server 2 down', async () => summaryRows(await show('show ip bgp bmp server summary')).get('2')?.[4] === 'Down', 20_000, 500);
    expect(summaryRows(await show('show ip bgp bmp server summary')).get('1')?.[4]).toBe('Up');
    expect(await show('clear ip bgp bmp server 1')).toBe('');
    await waitFor('the reset in the log', () => agent.logs.some((l) => l.msg === 'BMP server 1 reset by operator'), 5_000);
    expect(await show('undebug all\nshow debugging')).toBe('All possible debugging has been turned off\n');
    // With debugging off the same event is not logged: the log line above came from the debug command.
    const resets = (): number => agent.logs.filter((l) => l.msg === 'BMP server 1 reset by operator').length;
    expect(resets()).toBe(1);
    expect(await show('clear ip bgp bmp server 1\nshow ip bgp bmp server summary | include ^1 ')).toMatch(/^1 {2}127\.0\.1\.1/);
    expect(resets()).toBe(1);
  });

  it("undoes each seed command with its 'no' form; ncclient sees exactly what is left", async () => {
    await typeBlock(`enable\nconfigure terminal\nrouter bgp 65000\nbmp server 2\nno description\nno failure-retry-delay\nno flapping-delay 120
no initial-delay\nno set ip dscp\nno stats-reporting-period 30\nno update-source\nno activate\nno address\nexit-bmp-server-mode
no neighbor 30.1.1.1 bmp-activate server 2\nno bmp initial-refresh delay 30\nbmp initial-refresh skip\nno bmp buffer-size 2048
address-family ipv4 vrf vrf1\nno neighbor 10.1.1.1 bmp-activate\nend`);
    const read = async (): Promise<string> => {
      const { data } = await runPython<{ data: string }>(NC, [agent.port, 'get-config']);
      return data.replace(/>\s+</g, '><');
    };
    const data = await read();
    expect(data).toContain('<bmp><initial-refresh><skip/></initial-refresh><server><id>1</id>');
    expect(data).toContain('</server><server><id>2</id></server></bmp>');
    expect(data).toContain('<neighbor><address>127.0.3.1</address><remote-as>65030</remote-as><bmp-activate><server>1</server></bmp-activate></neighbor>');
    expect(data).toContain('<neighbor><address>127.0.1.1</address><remote-as>65010</remote-as></neighbor>');
    expect(data).not.toContain('buffer-size');
    await typeBlock('enable\nconfigure terminal\nrouter bgp 65000\nno bmp server 2\nend');
    expect(await read()).not.toContain('<id>2</id>');
    expect((await show('show ip bgp bmp server summary')).split('\n')[1]).toBe('Number of BMP servers configured: 1');
  });
});

