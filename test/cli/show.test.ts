// The show commands' layouts from model data (the XML a <get> with report-all-tagged returns), and
// the output modifiers. The seed's samples are the reference; the agent-backed test
// (seed-examples.test.ts) checks the same output with live values.
import { describe, expect, it } from 'vitest';
import { GRAMMAR, type CommandContext } from '../../src/cli/commands.js';
import { Grammar } from '../../src/cli/grammar.js';
import { applyPipe, runningConfig } from '../../src/cli/running-config.js';
import { bmpNeighbors, formatUptime, serverDetail, serverSummary, showDebugging } from '../../src/cli/show.js';
import { XmlElement } from '../../src/cli/xml.js';

const WD = 'xmlns:wd="urn:ietf:params:xml:ns:netconf:default:1.0"';

async function bgp(inner: string): Promise<XmlElement> {
  const data = await XmlElement.parse(`<data xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><bgp xmlns="urn:bmpd:yang:bmpd" ${WD}>${inner}</bgp></data>`);
  return data.child('bgp')!;
}

const SERVERS = `<as-number>65000</as-number><bmp><buffer-size>2048</buffer-size><initial-refresh><delay>30</delay></initial-refresh>
  <server><id>1</id><activate/><address>10.1.1.1</address><port-number>8000</port-number><description>SERVER1</description>
    <failure-retry-delay>40</failure-retry-delay><flapping-delay>120</flapping-delay><initial-delay>20</initial-delay>
    <state><status>up</status><up-time>2329</up-time><tcb>0x2A98B07138</tcb><messages-sent>162</messages-sent><last-stats>9</last-stats><session-startup>route-refresh</session-startup></state></server>
  <server><id>2</id><activate/><address>20.1.1.1</address><port-number>9000</port-number>
    <failure-retry-delay wd:default="true">600</failure-retry-delay><flapping-delay wd:default="true">1800</flapping-delay><initial-delay wd:default="true">600</initial-delay>
    <state><status>connecting</status><tcb>0x0</tcb><messages-sent>0</messages-sent></state></server>
  <state><servers-configured>2</servers-configured><neighbors-configured>10</neighbors-configured><transition-queue>0</transition-queue>
    <monitoring-queue>0</monitoring-queue><config-queue>0</config-queue><stats-queue>0</stats-queue><refresh-in-progress>false</refresh-in-progress>
    <refresh-scheduled>false</refresh-scheduled><buffer-bytes-used>1048577</buffer-bytes-used></state></bmp>`;

describe('show commands', () => {
  it("'show ip bgp bmp server summary': the seed's header lines and table, Up with uptime and counters, Down otherwise", async () => {
    expect(serverSummary(await bgp(SERVERS))).toBe(`
Number of BMP servers configured: 2
Number of BMP neighbors configured: 10
Number of neighbors on TransitionQ: 0, MonitoringQ: 0, ConfigQ: 0
Number of BMP servers on StatsQ: 0
BMP Refresh not in progress, refresh not scheduled
Initial Refresh Delay configured, refresh value 30s
BMP buffer size configured, buffer size 2048 MB, buffer size bytes used 1 MB

ID Host/Net          Port  TCB          Status  Uptime    MsgSent  LastStat
1  10.1.1.1          8000  0x2A98B07138 Up      00:38:49  162      00:00:09
2  20.1.1.1          9000  0x0          Down    0         0`);
  });

  it('prints the buffer line only when the operator configured a buffer size, and the skip mode', async () => {
    const text = serverSummary(await bgp(`<as-number>1</as-number><bmp><buffer-size wd:default="true">256</buffer-size><initial-refresh><skip/></initial-refresh></bmp>`));
    expect(text).not.toContain('BMP buffer size configured');
    expect(text).toContain('Initial Refresh skip configured');
    expect(serverSummary(undefined)).toBe('% BGP not active');
  });

  it("'show ip bgp bmp server N': the seed's detail lines with effective timer values", async () => {
    expect(serverDetail(await bgp(SERVERS), 1)).toBe(`
Print detailed info for 1 server number 1.

bmp server 1
address: 10.1.1.1    port 8000
description SERVER1
up time 00:38:49
session-startup route-refresh
initial-delay 20
failure-retry-delay 40
flapping-delay 120
activated`);
    const down = serverDetail(await bgp(SERVERS), 2);
    expect(down).toContain('\ninitial-delay 600\nfailure-retry-delay 600\nflapping-delay 1800\nactivated');
    expect(serverDetail(await bgp(SERVERS), 7)).toBe('\nPrint detailed info for 0 server number 7.');
  });

  it("'show ip bgp bmp neighbors': one row per neighbor reported to a server, global then VRF", async () => {
    const text = bmpNeighbors(await bgp(`${SERVERS}
      <neighbor><address>30.1.1.1</address><state><priq-depth>0</priq-depth><msgq-depth>0</msgq-depth><configured-servers>1</configured-servers>
        <configured-servers>2</configured-servers><active-servers>1</active-servers><route-monitoring-sent>16</route-monitoring-sent></state></neighbor>
      <neighbor><address>40.1.1.1</address><state><session-state>idle</session-state></state></neighbor>
      <vrf><name>v</name><address-family><afi>ipv6</afi><neighbor><address>2001:db8::2002</address><state><configured-servers>1</configured-servers>
        <route-monitoring-sent>9</route-monitoring-sent></state></neighbor></address-family></vrf>`));
    expect(text.split('\n').slice(-3)).toEqual([
      'Neighbor        PriQ  MsgQ  CfgSvr#  ActSvr#  RM Sent',
      '30.1.1.1        0     0     1 2      1        16',
      '2001:db8::2002  0     0     1                 9',
    ]);
  });

  it("'show debugging' and IOS's uptime forms", () => {
    expect(showDebugging(['server'])).toBe('\nIP routing:\nBGP BMP server debugging is on');
    expect(showDebugging([])).toBe('');
    expect([formatUptime(0), formatUptime(59 * 60 + 1), formatUptime(86_400 + 2 * 3600), formatUptime(15 * 86_400)]).toEqual(['00:00:00', '00:59:01', '1d02h', '2w1d']);
  });

  it("'show running-config | section bmp' prints each matching line with the lines indented under it", async () => {
    const text = runningConfig(await bgp(`<as-number>65000</as-number><bmp><initial-refresh><delay>30</delay></initial-refresh>
      <server><id>1</id><activate/><address>10.1.1.1</address><port-number>8000</port-number><dscp>5</dscp></server></bmp>
      <neighbor><address>30.1.1.1</address><remote-as>65030</remote-as><bmp-activate><all/></bmp-activate></neighbor>`));
    expect(applyPipe(text, { kind: 'section', pattern: 'bmp' })).toBe([
      ' bmp server 1', '  address 10.1.1.1 port-number 8000', '  set ip dscp 5', '  activate', '  exit-bmp-server-mode',
      ' bmp initial-refresh delay 30', ' neighbor 30.1.1.1 bmp-activate all',
    ].join('\n'));
    expect(applyPipe(text, { kind: 'include', pattern: 'remote-as' })).toBe(' neighbor 30.1.1.1 remote-as 65030');
    expect(applyPipe(text, { kind: 'begin', pattern: '^ neighbor' }).split('\n')[0]).toBe(' neighbor 30.1.1.1 remote-as 65030');
    expect(() => applyPipe(text, { kind: 'include', pattern: '(' })).toThrow();
  });

  it('prints a running configuration whose every line the grammar accepts in its mode, so it can be typed back', async () => {
    const text = runningConfig(await bgp(`<as-number>65000</as-number><router-id>192.0.2.1</router-id>
      <listen><address>127.0.0.1</address><port>1179</port></listen>
      <bmp><buffer-size>16</buffer-size><initial-refresh><skip/></initial-refresh>
        <server><id>3</id><activate/><address>2001:db8::9</address><port-number>5000</port-number><description>three words here</description>
          <failure-retry-delay>1</failure-retry-delay><flapping-delay>2</flapping-delay><initial-delay>3</initial-delay><dscp>46</dscp>
          <stats-reporting-period>0</stats-reporting-period><update-source>Ethernet0/0</update-source></server></bmp>
      <peer-group><name>PG</name><remote-as>65001</remote-as><bmp-activate><all/></bmp-activate>
        <address-family><name>ipv4-unicast</name></address-family></peer-group>
      <neighbor><address>192.0.2.7</address><peer-group>PG</peer-group><description>edge router</description><update-source>lo</update-source>
        <passive>true</passive><timers><hold-time>30</hold-time></timers><shutdown/>
        <bmp-activate><server>3</server></bmp-activate><address-family><name>ipv6-unicast</name></address-family></neighbor>
      <vrf><name>blue</name><rd>192.0.2.1:7</rd><address-family><afi>ipv6</afi>
        <neighbor><address>2001:db8::7</address><remote-as>65002</remote-as><bmp-activate><server>3</server></bmp-activate></neighbor></address-family></vrf>`));
    const grammar = new Grammar<CommandContext>(GRAMMAR);
    // The mode a line's children are typed in, by the command that opens it.
    const opens: Record<string, string> = { 'router bgp <as>': 'router', 'vrf definition <vrf>': 'vrf', 'bmp server <server>': 'bmp-server' };
    const modes = ['config'];
    let checked = 0;
    for (const line of text.split('\n')) {
      const indent = line.length - line.trimStart().length;
      if (['', '!', 'end', 'Building configuration...', 'Current configuration:'].includes(line.trim())) continue;
      const mode = line.trim() === 'exit-address-family' ? 'router-af' : modes[indent]!;
      const parsed = grammar.parse(mode, line);
      expect(parsed.kind, `${mode}: '${line}'`).toBe('command');
      if (parsed.kind !== 'command') continue;
      checked++;
      const syntax = parsed.entry.syntax;
      modes[indent + 1] = opens[syntax] ?? (syntax.startsWith('address-family') ? 'router-af' : mode);
    }
    expect(checked).toBeGreaterThan(30);
  });
});

