// Every command bmpd-cli knows, as data: one entry per command (its modes, its syntax in IOS
// notation, what it does). The grammar engine (grammar.ts) builds the parse/complete/help tree
// from this table, so a new command is one entry here. Configuration commands edit running
// through NETCONF at once, as IOS applies each line; show commands read /bgp and print the seed's
// layouts (show.ts, running-config.ts); debug and clear commands call the bmpd module's RPCs.
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { NETCONF_BASE_NS } from '../netconf/rpc-error.js';
import { escapeText } from '../netconf/xml.js';
import { Args, type CommandEntry, type GrammarDefinition, type ParamType } from './grammar.js';
import { runningConfig } from './running-config.js';
import { DEBUG_TOPICS, type DebugTopic } from '../bmp/config.js';
import { BMPD_NAMESPACE } from '../agent/oper-state.js';
import { bmpNeighbors, debugLine, serverDetail, serverSummary, showDebugging } from './show.js';
import type { WithDefaults } from './netconf-client.js';
import { XmlElement } from './xml.js';

export type Frame =
  | { readonly mode: 'user' }
  | { readonly mode: 'exec' }
  | { readonly mode: 'config' }
  | { readonly mode: 'router'; readonly as: string }
  /** `pendingActivate`: 'activate' typed before the server had an address (see 'activate'). */
  | { readonly mode: 'bmp-server'; readonly as: string; readonly server: number; pendingActivate: boolean }
  | { readonly mode: 'router-af'; readonly as: string; readonly afi: 'ipv4' | 'ipv6'; readonly vrf: string | null }
  | { readonly mode: 'vrf'; readonly vrf: string };

export type Mode = Frame['mode'];

/** What follows the hostname in the prompt, as IOS prints it. */
export const PROMPT_SUFFIX: Readonly<Record<Mode, string>> = {
  user: '>',
  exec: '#',
  config: '(config)#',
  router: '(config-router)#',
  'bmp-server': '(config-router-bmpsrvr)#',
  'router-af': '(config-router-af)#',
  vrf: '(config-vrf)#',
};

/** The NETCONF operations the commands use (NetconfClient implements them). */
export interface AgentPort {
  editRunning(configXml: string): Promise<string>;
  getConfig(subtreeFilter: string): Promise<string>;
  get(subtreeFilter: string, withDefaults?: WithDefaults): Promise<string>;
  rpc(operationXml: string): Promise<string>;
}

/** What a command may do to the session. */
export interface CommandContext {
  readonly frame: Frame;
  readonly agent: AgentPort;
  print(text: string): void;
  /** Enter a mode below the current one. */
  enter(frame: Frame): void;
  /** Replace the whole mode stack (enable, disable). */
  reset(frame: Frame): void;
  /** One mode up; from exec, the session ends. */
  exit(): void;
  /** Back to privileged exec ('end', Ctrl-Z). */
  end(): void;
  /** A command's own error: printed as one '% ...' line; the batch stops with a non-zero status. */
  fail(message: string): void;
}

// ---------------------------------------------------------------------------------------------
// Parameter types

function range(min: number, max: number, help: string): ParamType {
  return { hint: `<${min}-${max}>`, help, accepts: (w) => /^\d+$/.test(w) && Number(w) >= min && Number(w) <= max };
}

const IPV4 = (help: string): ParamType => ({ hint: 'A.B.C.D', help, accepts: (w) => isIPv4(w) });
const IPV6 = (help: string): ParamType => ({ hint: 'X:X:X::X', help, accepts: (w) => isIPv6(w) });
const WORD = (help: string, pattern = /^\S+$/): ParamType => ({ hint: 'WORD', help, accepts: (w) => pattern.test(w) && !isIP(w) });
const LINE = (help: string): ParamType => ({ hint: 'LINE', help, accepts: (w) => w.length > 0, rest: true });

const PARAMS: GrammarDefinition<CommandContext>['params'] = {
  as: [range(1, 4294967295, 'Autonomous system number')],
  server: [range(1, 10, 'BMP server number')],
  'buffer-mb': [range(1, 2048, 'Buffer size in megabytes')],
  'refresh-delay': [range(1, 3600, 'Delay in seconds before the initial refresh')],
  delay: [range(1, 3600, 'Delay in seconds')],
  period: [range(0, 3600, 'Period in seconds (0: no statistics)')],
  dscp: [range(0, 63, 'DSCP value')],
  port: [range(1, 65535, 'Port number')],
  keepalive: [range(0, 65535, 'Keepalive interval in seconds')],
  'hold-time': [range(0, 65535, 'Hold time in seconds (0, or 3 and more)')],
  address: [IPV4('IPv4 address'), IPV6('IPv6 address')],
  'router-id': [IPV4('BGP router identifier')],
  neighbor: [IPV4('Neighbor address'), WORD('Neighbor tag (peer-group name)', /^[A-Za-z][A-Za-z0-9_.-]*$/), IPV6('Neighbor IPv6 address')],
  tag: [WORD('Peer-group name', /^[A-Za-z][A-Za-z0-9_.-]*$/)],
  vrf: [WORD('VPN routing/forwarding instance name', /^[A-Za-z0-9][A-Za-z0-9_.-]*$/)],
  rd: [{ hint: 'ASN:nn or IP-address:nn', help: 'VPN Route Distinguisher', accepts: (w) => /^[0-9.]+:\d+$/.test(w) }],
  text: [LINE('Up to 80 characters of description')],
  interface: [{ hint: 'WORD', help: 'Interface type (ethernet) or Linux interface name (lo, eth0)', accepts: (w) => /^[A-Za-z][\w./-]*$/.test(w) }],
  'interface-number': [{ hint: '<0-9999>/<0-9999>', help: 'Interface number', accepts: (w) => /^\d+(\/\d+)*(\.\d+)?$/.test(w) }],
};

const PIPE_PARAM = [LINE('Regular Expression')];

const WORDS: GrammarDefinition<CommandContext>['words'] = {
  '|': 'Output modifiers',
  begin: 'Begin with the line that matches',
  exclude: 'Exclude lines that match',
  include: 'Include lines that match',
  section: 'Filter a section of output',
  enable: 'Turn on privileged commands',
  disable: 'Turn off privileged commands',
  exit: 'Exit from the EXEC',
  configure: 'Enter configuration mode',
  terminal: 'Configure from the terminal',
  show: 'Show running system information',
  ip: 'IP information',
  bgp: 'BGP information',
  bmp: 'BGP Monitoring Protocol',
  server: 'BMP server',
  summary: 'Summary of BMP servers',
  neighbors: 'BMP neighbors (BMP clients)',
  'running-config': 'Current operating configuration',
  debugging: 'State of each debugging option',
  debug: 'Debugging functions',
  undebug: 'Disable debugging functions',
  all: 'All',
  event: 'BMP events',
  neighbor: 'Specify a neighbor router',
  clear: 'Reset functions',
  no: 'Negate a command or set its defaults',
  do: 'To run exec commands in config mode',
  end: 'Exit to privileged EXEC mode',
  router: 'Enable a routing process',
  vrf: 'VPN Routing/Forwarding instance',
  definition: 'VRF definition',
  rd: 'Specify Route Distinguisher',
  'router-id': 'Override configured router identifier',
  listen: 'Where the BGP speaker accepts connections',
  address: 'BMP server address',
  port: 'TCP port',
  'buffer-size': 'Bound on the memory of all queued BMP data',
  'initial-refresh': 'Initial refresh of the neighbors\' tables',
  delay: 'Delay before the initial refresh',
  skip: 'Skip the initial refresh',
  activate: 'Activate',
  'port-number': 'BMP server port number',
  description: 'Description',
  'failure-retry-delay': 'Delay before reconnecting after a failure',
  'flapping-delay': 'Delay before reconnecting after repeated failures',
  'initial-delay': 'Delay before the first connection',
  set: 'Set values',
  dscp: 'Differentiated Services Code Point',
  'stats-reporting-period': 'Period of Statistics Reports',
  'update-source': 'Source of the session\'s connection',
  'exit-bmp-server-mode': 'Exit from BMP server configuration mode',
  'exit-address-family': 'Exit from address-family configuration mode',
  'remote-as': 'Specify a BGP neighbor',
  'peer-group': 'Member of the peer-group',
  'bmp-activate': 'Activate BMP monitoring for a neighbor',
  shutdown: 'Administratively shut down this neighbor',
  timers: 'BGP per neighbor timers',
  transport: 'Transport options',
  'connection-mode': 'Specify passive or active connection',
  passive: 'Only accept the neighbor\'s connection',
  'address-family': 'Enter address family command mode',
  ipv4: 'Address family',
  ipv6: 'Address family',
  unicast: 'Address Family modifier',
};

// ---------------------------------------------------------------------------------------------
// XML of edits

/** A subtree of /bgp for edit-config, with the nc prefix bound for nc:operation. */
function bgpEdit(inner: string): string {
  return `<bgp xmlns="${BMPD_NAMESPACE}" xmlns:nc="${NETCONF_BASE_NS}">${inner}</bgp>`;
}

/** RFC 6241 §7.2 'remove': delete if present, no error if absent, as IOS's 'no' is quiet about unset values. */
const REMOVE = ' nc:operation="remove"';

function leaf(name: string, value: string): string {
  return `<${name}>${escapeText(value)}</${name}>`;
}

function removed(name: string): string {
  return `<${name}${REMOVE}/>`;
}

function edit(c: CommandContext, inner: string): Promise<string> {
  return c.agent.editRunning(bgpEdit(inner));
}

function serverEdit(c: CommandContext, inner: string): Promise<string> {
  const f = frameOf(c, 'bmp-server');
  return edit(c, `<bmp><server><id>${f.server}</id>${inner}</server></bmp>`);
}

function frameOf<M extends Mode>(c: CommandContext, mode: M): Extract<Frame, { mode: M }> {
  if (c.frame.mode !== mode) throw new Error(`command for ${mode} mode run in ${c.frame.mode} mode`);
  return c.frame as Extract<Frame, { mode: M }>;
}

/**
 * Where 'neighbor X ...' lives: an address is a neighbor (global, or in the VRF of an
 * 'address-family ... vrf' mode), a word is a peer-group ('neighbor-tag' in the seed).
 */
function neighborEdit(c: CommandContext, neighbor: string, inner: string, remove = false): Promise<string> {
  const op = remove ? REMOVE : '';
  if (isIP(neighbor) === 0) return edit(c, `<peer-group${op}>${leaf('name', neighbor)}${inner}</peer-group>`);
  const entry = `<neighbor${op}>${leaf('address', neighbor)}${inner}</neighbor>`;
  const f = c.frame;
  if (f.mode === 'router-af' && f.vrf !== null) {
    return edit(c, `<vrf>${leaf('name', f.vrf)}<address-family><afi>${f.afi}</afi>${entry}</address-family></vrf>`);
  }
  return edit(c, entry);
}

/** 'update-source ethernet 0/0' names IOS's interface Ethernet0/0; one word ('lo') is a Linux name, kept as typed. */
const IOS_INTERFACE_TYPES = ['Ethernet', 'FastEthernet', 'GigabitEthernet', 'TenGigabitEthernet', 'Loopback', 'Vlan', 'Tunnel', 'Port-channel'];

export function interfaceName(type: string, number: string | undefined): string {
  if (number === undefined) return type;
  const known = IOS_INTERFACE_TYPES.find((t) => t.toLowerCase() === type.toLowerCase());
  return `${known ?? type.charAt(0).toUpperCase() + type.slice(1)}${number}`;
}

/** The model keeps the description text without IOS's 'LINE' placeholder, which the seed types literally. */
export function descriptionText(typed: string): string {
  return typed.replace(/^LINE\s+/, '');
}

/** The AS of 'router bgp' in running; undefined when BGP is not configured. */
async function runningAs(c: CommandContext): Promise<string | undefined> {
  const reply = await XmlElement.parse(await c.agent.getConfig(`<bgp xmlns="${BMPD_NAMESPACE}"><as-number/></bgp>`));
  return reply.at('data', 'bgp')?.leaf('as-number');
}

async function readBgp(c: CommandContext, filter: string, withDefaults: WithDefaults): Promise<XmlElement | undefined> {
  const reply = await XmlElement.parse(await c.agent.get(filter, withDefaults));
  return reply.at('data', 'bgp');
}

// ---------------------------------------------------------------------------------------------
// The table

type Entry = CommandEntry<CommandContext>;
const EXEC: readonly Mode[] = ['user', 'exec'];
const PRIVILEGED: readonly Mode[] = ['exec'];
/** IOS's configuration modes: left with 'end', Ctrl-Z, or a command of an enclosing mode. */
export const CONFIG_MODES: readonly Mode[] = ['config', 'router', 'bmp-server', 'router-af', 'vrf'];
const NEIGHBOR_MODES: readonly Mode[] = ['router', 'router-af'];

/** A server leaf: `X <value>`, and its `no X` and `no X <value>`. */
function serverLeaf(words: string, leafName: string, param: string, value: (a: Args) => string = (a) => a.get(param)): Entry[] {
  return [
    { modes: ['bmp-server'], syntax: `${words} <${param}>`, run: async (c, a) => { await serverEdit(c, leaf(leafName, value(a))); } },
    { modes: ['bmp-server'], syntax: `no ${words}`, run: async (c) => { await serverEdit(c, removed(leafName)); } },
    { modes: ['bmp-server'], syntax: `no ${words} <${param}>`, run: async (c) => { await serverEdit(c, removed(leafName)); } },
  ];
}

async function setDebug(c: CommandContext, topics: readonly DebugTopic[], on: boolean): Promise<void> {
  const list = topics.map((t) => leaf(on ? 'enable' : 'disable', t)).join('');
  await c.agent.rpc(`<debug-bmp xmlns="${BMPD_NAMESPACE}">${list}</debug-bmp>`);
}

function debugEntries(): Entry[] {
  return DEBUG_TOPICS.flatMap((topic): Entry[] => {
    const on: Entry['run'] = async (c) => { await setDebug(c, [topic], true); c.print(debugLine(topic, true)); };
    const off: Entry['run'] = async (c) => { await setDebug(c, [topic], false); c.print(debugLine(topic, false)); };
    return [
      { modes: PRIVILEGED, syntax: `debug ip bgp bmp ${topic}`, run: on },
      { modes: PRIVILEGED, syntax: `no debug ip bgp bmp ${topic}`, run: off },
      { modes: PRIVILEGED, syntax: `undebug ip bgp bmp ${topic}`, run: off },
    ];
  });
}

const undebugAll: Entry['run'] = async (c) => {
  await setDebug(c, DEBUG_TOPICS, false);
  c.print('All possible debugging has been turned off');
};

const BGP_FILTER = `<bgp xmlns="${BMPD_NAMESPACE}"/>`;
const BMP_FILTER = `<bgp xmlns="${BMPD_NAMESPACE}"><as-number/><bmp/></bgp>`;

const showNeighbors: Entry['run'] = async (c) => { c.print(bmpNeighbors(await readBgp(c, BGP_FILTER, 'report-all-tagged'))); };

/** 'activate' needs address and port-number (the model's must): typed before them, it waits for 'address'. */
const activate: Entry['run'] = async (c) => {
  const f = frameOf(c, 'bmp-server');
  const reply = await XmlElement.parse(await c.agent.getConfig(`<bgp xmlns="${BMPD_NAMESPACE}"><bmp><server><id>${f.server}</id></server></bmp></bgp>`));
  const server = reply.at('data', 'bgp', 'bmp', 'server');
  if (server?.leaf('address') === undefined || server.leaf('port-number') === undefined) {
    f.pendingActivate = true;
    return;
  }
  await serverEdit(c, '<activate/>');
};

function addressFamily(afi: 'ipv4' | 'ipv6', withVrf: boolean): Entry['run'] {
  return async (c, a) => {
    const as = c.frame.mode === 'router' ? c.frame.as : '';
    const vrf = withVrf ? a.get('vrf') : null;
    if (vrf !== null) await edit(c, `<vrf>${leaf('name', vrf)}<address-family><afi>${afi}</afi></address-family></vrf>`);
    c.enter({ mode: 'router-af', as, afi, vrf });
  };
}

export const COMMANDS: readonly Entry[] = [
  // ---- exec ----
  { modes: ['user'], syntax: 'enable', run: (c) => c.reset({ mode: 'exec' }) },
  { modes: PRIVILEGED, syntax: 'enable', run: () => undefined },
  { modes: PRIVILEGED, syntax: 'disable', run: (c) => c.reset({ mode: 'user' }) },
  { modes: EXEC, syntax: 'exit', run: (c) => c.exit() },
  { modes: PRIVILEGED, syntax: 'configure terminal', run: (c) => {
    c.print('Enter configuration commands, one per line.  End with CNTL/Z.');
    c.enter({ mode: 'config' });
  } },
  { modes: EXEC, syntax: 'show ip bgp bmp server summary', pipe: true, run: async (c) => {
    c.print(serverSummary(await readBgp(c, BMP_FILTER, 'report-all-tagged')));
  } },
  { modes: EXEC, syntax: 'show ip bgp bmp server <server>', pipe: true, run: async (c, a) => {
    c.print(serverDetail(await readBgp(c, BMP_FILTER, 'report-all-tagged'), Number(a.get('server'))));
  } },
  { modes: EXEC, syntax: 'show ip bgp bmp server neighbors', pipe: true, run: showNeighbors },
  { modes: EXEC, syntax: 'show ip bgp bmp neighbors', pipe: true, run: showNeighbors },
  { modes: EXEC, syntax: 'show running-config', pipe: true, run: async (c) => {
    const reply = await XmlElement.parse(await c.agent.getConfig(BGP_FILTER));
    c.print(runningConfig(reply.at('data', 'bgp')));
  } },
  { modes: EXEC, syntax: 'show debugging', pipe: true, run: async (c) => {
    const reply = await XmlElement.parse(await c.agent.get(`<debugging xmlns="${BMPD_NAMESPACE}"/>`));
    c.print(showDebugging(reply.at('data', 'debugging')?.leafList('topic') ?? []));
  } },
  ...debugEntries(),
  { modes: PRIVILEGED, syntax: 'undebug all', run: undebugAll },
  { modes: PRIVILEGED, syntax: 'no debug all', run: undebugAll },
  { modes: PRIVILEGED, syntax: 'clear ip bgp bmp server <server>', run: async (c, a) => {
    await c.agent.rpc(`<reset-bmp-server xmlns="${BMPD_NAMESPACE}">${leaf('server', a.get('server'))}</reset-bmp-server>`);
  } },

  // ---- every configuration mode ----
  { modes: CONFIG_MODES, syntax: 'end', run: (c) => c.end() },
  { modes: CONFIG_MODES, syntax: 'exit', run: (c) => c.exit() },
  { modes: CONFIG_MODES, syntax: 'do', delegate: 'exec' },

  // ---- global configuration ----
  { modes: ['config'], syntax: 'router bgp <as>', run: async (c, a) => {
    const as = a.get('as');
    const running = await runningAs(c);
    if (running !== undefined && running !== as) {
      c.fail(`BGP is already running; AS is ${running}`);
      return;
    }
    if (running === undefined) await edit(c, leaf('as-number', as));
    c.enter({ mode: 'router', as });
  } },
  { modes: ['config'], syntax: 'no router bgp <as>', run: async (c) => {
    await c.agent.editRunning(`<bgp xmlns="${BMPD_NAMESPACE}" xmlns:nc="${NETCONF_BASE_NS}"${REMOVE}/>`);
  } },
  { modes: ['config'], syntax: 'vrf definition <vrf>', run: (c, a) => c.enter({ mode: 'vrf', vrf: a.get('vrf') }) },
  { modes: ['config'], syntax: 'no vrf definition <vrf>', run: async (c, a) => {
    await edit(c, `<vrf${REMOVE}>${leaf('name', a.get('vrf'))}</vrf>`);
  } },
  { modes: ['vrf'], syntax: 'rd <rd>', run: async (c, a) => {
    // The model keeps VRFs under /bgp (they exist for BGP's sake here), so BGP must be configured first.
    if ((await runningAs(c)) === undefined) {
      c.fail("Configure 'router bgp <as>' first: bmpd keeps VRF definitions in the BGP process");
      return;
    }
    await edit(c, `<vrf>${leaf('name', frameOf(c, 'vrf').vrf)}${leaf('rd', a.get('rd'))}</vrf>`);
  } },

  // ---- router bgp ----
  { modes: ['router'], syntax: 'bgp router-id <router-id>', run: async (c, a) => { await edit(c, leaf('router-id', a.get('router-id'))); } },
  { modes: ['router'], syntax: 'no bgp router-id', run: async (c) => { await edit(c, removed('router-id')); } },
  { modes: ['router'], syntax: 'bgp listen address <address>', run: async (c, a) => { await edit(c, `<listen>${leaf('address', a.get('address'))}</listen>`); } },
  { modes: ['router'], syntax: 'no bgp listen address <address>', run: async (c, a) => {
    await edit(c, `<listen><address${REMOVE}>${escapeText(a.get('address'))}</address></listen>`);
  } },
  { modes: ['router'], syntax: 'bgp listen port <port>', run: async (c, a) => { await edit(c, `<listen>${leaf('port', a.get('port'))}</listen>`); } },
  { modes: ['router'], syntax: 'no bgp listen port', run: async (c) => { await edit(c, `<listen>${removed('port')}</listen>`); } },
  { modes: ['router'], syntax: 'bmp buffer-size <buffer-mb>', run: async (c, a) => { await edit(c, `<bmp>${leaf('buffer-size', a.get('buffer-mb'))}</bmp>`); } },
  { modes: ['router'], syntax: 'no bmp buffer-size', run: async (c) => { await edit(c, `<bmp>${removed('buffer-size')}</bmp>`); } },
  { modes: ['router'], syntax: 'no bmp buffer-size <buffer-mb>', run: async (c) => { await edit(c, `<bmp>${removed('buffer-size')}</bmp>`); } },
  { modes: ['router'], syntax: 'bmp initial-refresh delay <refresh-delay>', run: async (c, a) => {
    await edit(c, `<bmp><initial-refresh>${leaf('delay', a.get('refresh-delay'))}</initial-refresh></bmp>`);
  } },
  { modes: ['router'], syntax: 'bmp initial-refresh skip', run: async (c) => { await edit(c, '<bmp><initial-refresh><skip/></initial-refresh></bmp>'); } },
  { modes: ['router'], syntax: 'no bmp initial-refresh', run: async (c) => { await edit(c, `<bmp>${removed('initial-refresh')}</bmp>`); } },
  { modes: ['router'], syntax: 'no bmp initial-refresh delay', run: async (c) => { await edit(c, `<bmp><initial-refresh>${removed('delay')}</initial-refresh></bmp>`); } },
  { modes: ['router'], syntax: 'no bmp initial-refresh delay <refresh-delay>', run: async (c) => { await edit(c, `<bmp><initial-refresh>${removed('delay')}</initial-refresh></bmp>`); } },
  { modes: ['router'], syntax: 'no bmp initial-refresh skip', run: async (c) => { await edit(c, `<bmp><initial-refresh>${removed('skip')}</initial-refresh></bmp>`); } },
  { modes: ['router'], syntax: 'bmp server <server>', run: async (c, a) => {
    const server = Number(a.get('server'));
    await edit(c, `<bmp><server><id>${server}</id></server></bmp>`);
    c.enter({ mode: 'bmp-server', as: frameOf(c, 'router').as, server, pendingActivate: false });
  } },
  { modes: ['router'], syntax: 'no bmp server <server>', run: async (c, a) => { await edit(c, `<bmp><server${REMOVE}>${leaf('id', a.get('server'))}</server></bmp>`); } },
  { modes: ['router'], syntax: 'address-family ipv4', run: addressFamily('ipv4', false) },
  { modes: ['router'], syntax: 'address-family ipv4 unicast', run: addressFamily('ipv4', false) },
  { modes: ['router'], syntax: 'address-family ipv6', run: addressFamily('ipv6', false) },
  { modes: ['router'], syntax: 'address-family ipv6 unicast', run: addressFamily('ipv6', false) },
  { modes: ['router'], syntax: 'address-family ipv4 vrf <vrf>', run: addressFamily('ipv4', true) },
  { modes: ['router'], syntax: 'address-family ipv6 vrf <vrf>', run: addressFamily('ipv6', true) },
  ...(['ipv4', 'ipv6'] as const).map((afi): Entry => ({ modes: ['router'], syntax: `no address-family ${afi} vrf <vrf>`, run: async (c, a) => {
    await edit(c, `<vrf>${leaf('name', a.get('vrf'))}<address-family${REMOVE}><afi>${afi}</afi></address-family></vrf>`);
  } })),
  { modes: ['router-af'], syntax: 'exit-address-family', run: (c) => c.exit() },

  // ---- neighbor X ... (router and address-family modes) ----
  { modes: NEIGHBOR_MODES, syntax: 'neighbor <neighbor> remote-as <as>', run: async (c, a) => { await neighborEdit(c, a.get('neighbor'), leaf('remote-as', a.get('as'))); } },
  { modes: NEIGHBOR_MODES, syntax: 'no neighbor <neighbor> remote-as', run: async (c, a) => { await neighborEdit(c, a.get('neighbor'), removed('remote-as')); } },
  { modes: NEIGHBOR_MODES, syntax: 'no neighbor <neighbor> remote-as <as>', run: async (c, a) => { await neighborEdit(c, a.get('neighbor'), removed('remote-as')); } },
  { modes: NEIGHBOR_MODES, syntax: 'no neighbor <neighbor>', run: async (c, a) => { await neighborEdit(c, a.get('neighbor'), '', true); } },
  { modes: ['router'], syntax: 'neighbor <neighbor> peer-group', run: async (c, a) => {
    const tag = a.get('neighbor');
    if (isIP(tag) !== 0) { c.fail('A peer-group name is a word, not an address'); return; }
    await neighborEdit(c, tag, '');
  } },
  { modes: NEIGHBOR_MODES, syntax: 'neighbor <neighbor> peer-group <tag>', run: async (c, a) => { await neighborEdit(c, a.get('neighbor'), leaf('peer-group', a.get('tag'))); } },
  { modes: NEIGHBOR_MODES, syntax: 'no neighbor <neighbor> peer-group', run: async (c, a) => { await neighborEdit(c, a.get('neighbor'), removed('peer-group')); } },
  { modes: NEIGHBOR_MODES, syntax: 'no neighbor <neighbor> peer-group <tag>', run: async (c, a) => { await neighborEdit(c, a.get('neighbor'), removed('peer-group')); } },
  { modes: NEIGHBOR_MODES, syntax: 'neighbor <neighbor> update-source <interface>', run: async (c, a) => { await neighborEdit(c, a.get('neighbor'), leaf('update-source', a.get('interface'))); } },
  { modes: NEIGHBOR_MODES, syntax: 'neighbor <neighbor> update-source <interface> <interface-number>', run: async (c, a) => {
    await neighborEdit(c, a.get('neighbor'), leaf('update-source', interfaceName(a.get('interface'), a.value('interface-number'))));
  } },
  { modes: NEIGHBOR_MODES, syntax: 'neighbor <neighbor> update-source <address>', run: async (c, a) => { await neighborEdit(c, a.get('neighbor'), leaf('update-source', a.get('address'))); } },
  { modes: NEIGHBOR_MODES, syntax: 'no neighbor <neighbor> update-source', run: async (c, a) => { await neighborEdit(c, a.get('neighbor'), removed('update-source')); } },
  { modes: NEIGHBOR_MODES, syntax: 'neighbor <neighbor> description <text>', run: async (c, a) => { await neighborEdit(c, a.get('neighbor'), leaf('description', a.get('text'))); } },
  { modes: NEIGHBOR_MODES, syntax: 'no neighbor <neighbor> description', run: async (c, a) => { await neighborEdit(c, a.get('neighbor'), removed('description')); } },
  { modes: NEIGHBOR_MODES, syntax: 'neighbor <neighbor> timers <keepalive> <hold-time>', run: async (c, a) => {
    await neighborEdit(c, a.get('neighbor'), `<timers>${leaf('keepalive', a.get('keepalive'))}${leaf('hold-time', a.get('hold-time'))}</timers>`);
  } },
  { modes: NEIGHBOR_MODES, syntax: 'no neighbor <neighbor> timers', run: async (c, a) => { await neighborEdit(c, a.get('neighbor'), removed('timers')); } },
  { modes: NEIGHBOR_MODES, syntax: 'neighbor <neighbor> transport connection-mode passive', run: async (c, a) => {
    await neighborEdit(c, a.get('neighbor'), leaf('passive', 'true'));
  } },
  { modes: NEIGHBOR_MODES, syntax: 'no neighbor <neighbor> transport connection-mode passive', run: async (c, a) => {
    await neighborEdit(c, a.get('neighbor'), removed('passive'));
  } },
  { modes: NEIGHBOR_MODES, syntax: 'neighbor <neighbor> shutdown', run: async (c, a) => { await neighborEdit(c, a.get('neighbor'), '<shutdown/>'); } },
  { modes: NEIGHBOR_MODES, syntax: 'no neighbor <neighbor> shutdown', run: async (c, a) => { await neighborEdit(c, a.get('neighbor'), removed('shutdown')); } },
  { modes: NEIGHBOR_MODES, syntax: 'neighbor <neighbor> bmp-activate all', run: async (c, a) => {
    await neighborEdit(c, a.get('neighbor'), '<bmp-activate><all/></bmp-activate>');
  } },
  { modes: NEIGHBOR_MODES, syntax: 'neighbor <neighbor> bmp-activate server <server> ...', run: async (c, a) => {
    // The servers typed are the whole list, as IOS replaces it: the choice's other case ('all') goes too.
    const servers = [...new Set(a.all('server'))].map((s) => leaf('server', s)).join('');
    await neighborEdit(c, a.get('neighbor'), `<bmp-activate nc:operation="replace">${servers}</bmp-activate>`);
  } },
  { modes: NEIGHBOR_MODES, syntax: 'no neighbor <neighbor> bmp-activate', run: async (c, a) => { await neighborEdit(c, a.get('neighbor'), removed('bmp-activate')); } },
  { modes: NEIGHBOR_MODES, syntax: 'no neighbor <neighbor> bmp-activate all', run: async (c, a) => { await neighborEdit(c, a.get('neighbor'), `<bmp-activate>${removed('all')}</bmp-activate>`); } },
  { modes: NEIGHBOR_MODES, syntax: 'no neighbor <neighbor> bmp-activate server <server> ...', run: async (c, a) => {
    const servers = a.all('server').map((s) => `<server${REMOVE}>${escapeText(s)}</server>`).join('');
    await neighborEdit(c, a.get('neighbor'), `<bmp-activate>${servers}</bmp-activate>`);
  } },
  { modes: ['router-af'], syntax: 'neighbor <neighbor> activate', run: async (c, a) => {
    const f = frameOf(c, 'router-af');
    // In a VRF the address family is where the neighbor lives; globally it is a negotiated family.
    await neighborEdit(c, a.get('neighbor'), f.vrf !== null ? '' : `<address-family><name>${f.afi}-unicast</name></address-family>`);
  } },
  { modes: ['router-af'], syntax: 'no neighbor <neighbor> activate', run: async (c, a) => {
    const f = frameOf(c, 'router-af');
    if (f.vrf !== null) await neighborEdit(c, a.get('neighbor'), '', true);
    else await neighborEdit(c, a.get('neighbor'), `<address-family${REMOVE}><name>${f.afi}-unicast</name></address-family>`);
  } },

  // ---- bmp server N ----
  { modes: ['bmp-server'], syntax: 'activate', run: activate },
  { modes: ['bmp-server'], syntax: 'no activate', run: async (c) => {
    frameOf(c, 'bmp-server').pendingActivate = false;
    await serverEdit(c, removed('activate'));
  } },
  { modes: ['bmp-server'], syntax: 'address <address> port-number <port>', run: async (c, a) => {
    const f = frameOf(c, 'bmp-server');
    await serverEdit(c, leaf('address', a.get('address')) + leaf('port-number', a.get('port')) + (f.pendingActivate ? '<activate/>' : ''));
    f.pendingActivate = false;
  } },
  { modes: ['bmp-server'], syntax: 'no address', run: async (c) => { await serverEdit(c, removed('address') + removed('port-number')); } },
  { modes: ['bmp-server'], syntax: 'no address <address> port-number <port>', run: async (c) => { await serverEdit(c, removed('address') + removed('port-number')); } },
  ...serverLeaf('description', 'description', 'text', (a) => descriptionText(a.get('text'))),
  ...serverLeaf('failure-retry-delay', 'failure-retry-delay', 'delay'),
  ...serverLeaf('flapping-delay', 'flapping-delay', 'delay'),
  ...serverLeaf('initial-delay', 'initial-delay', 'delay'),
  ...serverLeaf('set ip dscp', 'dscp', 'dscp'),
  ...serverLeaf('stats-reporting-period', 'stats-reporting-period', 'period'),
  ...serverLeaf('update-source', 'update-source', 'interface'),
  { modes: ['bmp-server'], syntax: 'update-source <interface> <interface-number>', run: async (c, a) => {
    await serverEdit(c, leaf('update-source', interfaceName(a.get('interface'), a.value('interface-number'))));
  } },
  { modes: ['bmp-server'], syntax: 'exit-bmp-server-mode', run: (c) => c.exit() },
];

export const GRAMMAR: GrammarDefinition<CommandContext> = { words: WORDS, params: PARAMS, commands: COMMANDS, pipeParam: PIPE_PARAM };
