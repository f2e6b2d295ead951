// The show commands' text, laid out as the seed document's samples (IOS XE 17.5 'BGP Monitoring
// Protocol' chapter), from the bmpd model's data: configuration and state of /bgp read with one
// <get> (with-defaults report-all-tagged, so a value the operator never set is still printed where
// IOS prints the effective value, and is known to be a default where IOS prints only what is
// configured). Pure functions: XmlElement in, text out.
import { DEBUG_TOPICS, type DebugTopic } from '../bmp/config.js';
import type { XmlElement } from './xml.js';

/** IOS's uptime: hh:mm:ss under a day, then 1d02h, then 2w3d. */
export function formatUptime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const days = Math.floor(s / 86_400);
  if (days >= 7) return `${Math.floor(days / 7)}w${days % 7}d`;
  const hours = Math.floor((s % 86_400) / 3600);
  if (days > 0) return `${days}d${String(hours).padStart(2, '0')}h`;
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(hours)}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
}

const MB = 1_048_576;

function number(el: XmlElement | undefined, leaf: string): number {
  const v = el?.leaf(leaf);
  return v === undefined ? 0 : Number(v);
}

/** The lines the summary and the neighbors view share: refresh, initial-refresh and buffer. */
function engineLines(bmp: XmlElement | undefined): string[] {
  const state = bmp?.child('state');
  const lines = [
    `BMP Refresh ${state?.leaf('refresh-in-progress') === 'true' ? 'in progress' : 'not in progress'}, refresh ${state?.leaf('refresh-scheduled') === 'true' ? 'scheduled' : 'not scheduled'}`,
  ];
  const refresh = bmp?.child('initial-refresh');
  const delay = refresh?.leaf('delay');
  if (delay !== undefined) lines.push(`Initial Refresh Delay configured, refresh value ${delay}s`);
  else if (refresh?.child('skip') !== undefined) lines.push('Initial Refresh skip configured, no refresh on BMP server connect');
  // The configuration says whether the operator set a buffer size: a value tagged default was not.
  if (bmp?.leaf('buffer-size') !== undefined && !bmp.isDefault('buffer-size')) {
    const used = Math.floor(number(state, 'buffer-bytes-used') / MB);
    lines.push(`BMP buffer size configured, buffer size ${bmp.leaf('buffer-size')} MB, buffer size bytes used ${used} MB`);
  }
  return lines;
}

/** Left-aligned columns; a value wider than its column still gets one space. */
function row(widths: readonly number[], cells: readonly string[]): string {
  return cells.map((c, i) => (i < widths.length ? (c.length >= widths[i]! ? `${c} ` : c.padEnd(widths[i]!)) : c)).join('').trimEnd();
}

const SERVER_COLUMNS = [3, 18, 6, 13, 8, 10, 9] as const;

/** 'show ip bgp bmp server summary'. `bgp` is /bgp from <get>; undefined when 'router bgp' is not configured. */
export function serverSummary(bgp: XmlElement | undefined): string {
  if (!bgp) return '% BGP not active';
  const bmp = bgp.child('bmp');
  const state = bmp?.child('state');
  const servers = bmp?.children('server') ?? [];
  const lines = [
    '',
    `Number of BMP servers configured: ${state?.leaf('servers-configured') ?? servers.length}`,
    `Number of BMP neighbors configured: ${number(state, 'neighbors-configured')}`,
    `Number of neighbors on TransitionQ: ${number(state, 'transition-queue')}, MonitoringQ: ${number(state, 'monitoring-queue')}, ConfigQ: ${number(state, 'config-queue')}`,
    `Number of BMP servers on StatsQ: ${number(state, 'stats-queue')}`,
    ...engineLines(bmp),
    '',
    row(SERVER_COLUMNS, ['ID', 'Host/Net', 'Port', 'TCB', 'Status', 'Uptime', 'MsgSent', 'LastStat']),
  ];
  for (const server of servers) {
    const s = server.child('state');
    const up = s?.leaf('status') === 'up';
    const lastStat = s?.leaf('last-stats');
    lines.push(row(SERVER_COLUMNS, [
      server.leaf('id') ?? '',
      server.leaf('address') ?? '',
      server.leaf('port-number') ?? '',
      s?.leaf('tcb') ?? '0x0',
      up ? 'Up' : 'Down',
      up ? formatUptime(number(s, 'up-time')) : '0',
      String(number(s, 'messages-sent')),
      lastStat !== undefined ? formatUptime(Number(lastStat)) : '',
    ]));
  }
  return lines.join('\n');
}

/** 'show ip bgp bmp server N'. */
export function serverDetail(bgp: XmlElement | undefined, id: number): string {
  if (!bgp) return '% BGP not active';
  const server = bgp.child('bmp')?.children('server').find((s) => s.leaf('id') === String(id));
  if (!server) return `\nPrint detailed info for 0 server number ${id}.`;
  const state = server.child('state');
  const lines = ['', `Print detailed info for 1 server number ${id}.`, '', `bmp server ${id}`];
  const address = server.leaf('address');
  if (address !== undefined) lines.push(`address: ${address}    port ${server.leaf('port-number') ?? ''}`);
  const description = server.leaf('description');
  if (description !== undefined) lines.push(`description ${description}`);
  if (state?.leaf('status') === 'up') {
    lines.push(`up time ${formatUptime(number(state, 'up-time'))}`);
  } else {
    const next = state?.leaf('next-attempt');
    const error = state?.leaf('last-error');
    lines.push(`down${next !== undefined ? `, next connection attempt in ${next}s` : ''}${error !== undefined ? `, last error: ${error}` : ''}`);
  }
  const startup = state?.leaf('session-startup') ?? (bgp.at('bmp', 'initial-refresh', 'skip') !== undefined ? 'skip' : 'route-refresh');
  lines.push(`session-startup ${startup}`);
  for (const timer of ['initial-delay', 'failure-retry-delay', 'flapping-delay']) {
    const value = server.leaf(timer);
    if (value !== undefined) lines.push(`${timer} ${value}`);
  }
  lines.push(server.child('activate') !== undefined ? 'activated' : 'not activated');
  return lines.join('\n');
}

const NEIGHBOR_COLUMNS = [16, 6, 6, 9, 9] as const;

/** Every neighbor of /bgp, global first, then per VRF and address family, in configuration order. */
function allNeighbors(bgp: XmlElement): XmlElement[] {
  const vrfNeighbors = bgp.children('vrf').flatMap((v) => v.children('address-family').flatMap((af) => af.children('neighbor')));
  return [...bgp.children('neighbor'), ...vrfNeighbors];
}

/** 'show ip bgp bmp server neighbors' and 'show ip bgp bmp neighbors': neighbors reported to BMP servers. */
export function bmpNeighbors(bgp: XmlElement | undefined): string {
  if (!bgp) return '% BGP not active';
  const bmp = bgp.child('bmp');
  const lines = ['', `Number of BMP neighbors configured: ${number(bmp?.child('state'), 'neighbors-configured')}`, ...engineLines(bmp), ''];
  lines.push(row(NEIGHBOR_COLUMNS, ['Neighbor', 'PriQ', 'MsgQ', 'CfgSvr#', 'ActSvr#', 'RM Sent']));
  for (const n of allNeighbors(bgp)) {
    const s = n.child('state');
    const configured = s?.leafList('configured-servers') ?? [];
    if (configured.length === 0) continue;
    lines.push(row(NEIGHBOR_COLUMNS, [
      n.leaf('address') ?? '',
      String(number(s, 'priq-depth')),
      String(number(s, 'msgq-depth')),
      configured.join(' '),
      (s?.leafList('active-servers') ?? []).join(' '),
      String(number(s, 'route-monitoring-sent')),
    ]));
  }
  return lines.join('\n');
}

/** The seed's words for each topic ('BGP BMP events debugging is on'); a Record, so a new engine topic must get its words. */
export const DEBUG_TOPIC_WORDS: Readonly<Record<DebugTopic, string>> = { event: 'events', neighbor: 'neighbor', server: 'server' };

export function debugLine(topic: DebugTopic, on: boolean): string {
  return `BGP BMP ${DEBUG_TOPIC_WORDS[topic]} debugging is ${on ? 'on' : 'off'}`;
}

/** 'show debugging' from /debugging/topic. */
export function showDebugging(topics: readonly string[]): string {
  const known = DEBUG_TOPICS.filter((t) => topics.includes(t));
  if (known.length === 0) return '';
  return ['', 'IP routing:', ...known.map((t) => debugLine(t, true))].join('\n');
}
