// 'show running-config': the running datastore (get-config, basic-mode explicit, so only what the
// operator set) written back as the IOS commands that set it, in IOS's layout: one space of
// indentation per mode, '!' between blocks. Every line printed here is a line the grammar
// (src/cli/commands.ts) accepts in that mode, so a printed configuration can be typed back.
// Also the output modifiers `| begin`, `| include`, `| exclude`, `| section`.
import type { PipeFilter } from './grammar.js';
import type { XmlElement } from './xml.js';

/** The lines a neighbor or peer-group carries in router (or address-family) mode. */
function neighborLines(n: XmlElement, id: string, indent: string): string[] {
  const lines: string[] = [];
  const add = (text: string): void => { lines.push(`${indent}neighbor ${id} ${text}`); };
  const remoteAs = n.leaf('remote-as');
  if (remoteAs !== undefined) add(`remote-as ${remoteAs}`);
  const group = n.leaf('peer-group');
  if (group !== undefined) add(`peer-group ${group}`);
  const description = n.leaf('description');
  if (description !== undefined) add(`description ${description}`);
  const source = n.leaf('update-source');
  if (source !== undefined) add(`update-source ${source}`);
  if (n.leaf('passive') === 'true') add('transport connection-mode passive');
  const timers = n.child('timers');
  // IOS's 'timers' sets both; one the operator left out prints as the model's default (60, 180).
  if (timers?.leaf('keepalive') !== undefined || timers?.leaf('hold-time') !== undefined) {
    add(`timers ${timers.leaf('keepalive') ?? 60} ${timers.leaf('hold-time') ?? 180}`);
  }
  if (n.child('shutdown') !== undefined) add('shutdown');
  const activate = n.child('bmp-activate');
  if (activate?.child('all') !== undefined) add('bmp-activate all');
  const servers = activate?.leafList('server') ?? [];
  if (servers.length > 0) add(`bmp-activate ${servers.map((s) => `server ${s}`).join(' ')}`);
  return lines;
}

function serverLines(server: XmlElement): string[] {
  const id = server.leaf('id') ?? '';
  const lines = [` bmp server ${id}`];
  const add = (text: string): void => { lines.push(`  ${text}`); };
  const address = server.leaf('address');
  if (address !== undefined) add(`address ${address} port-number ${server.leaf('port-number') ?? ''}`.trimEnd());
  const description = server.leaf('description');
  if (description !== undefined) add(`description ${description}`);
  // The seed's order (its 'show running-config | section bmp').
  for (const timer of ['initial-delay', 'failure-retry-delay', 'flapping-delay', 'update-source']) {
    const value = server.leaf(timer);
    if (value !== undefined) add(`${timer} ${value}`);
  }
  const dscp = server.leaf('dscp');
  if (dscp !== undefined) add(`set ip dscp ${dscp}`);
  const period = server.leaf('stats-reporting-period');
  if (period !== undefined) add(`stats-reporting-period ${period}`);
  if (server.child('activate') !== undefined) add('activate');
  add('exit-bmp-server-mode');
  lines.push(' !');
  return lines;
}

const FAMILY_HEADER: Readonly<Record<string, string>> = {
  'ipv4-unicast': 'address-family ipv4',
  'ipv6-unicast': 'address-family ipv6',
  'vpnv4-unicast': 'address-family vpnv4',
  'vpnv6-unicast': 'address-family vpnv6',
};

/** The running configuration as IOS prints it; `bgp` is /bgp of get-config, undefined when absent. */
export function runningConfig(bgp: XmlElement | undefined): string {
  const lines = ['Building configuration...', '', 'Current configuration:', '!'];
  if (!bgp) return [...lines, 'end'].join('\n');
  for (const vrf of bgp.children('vrf')) {
    lines.push(`vrf definition ${vrf.leaf('name') ?? ''}`);
    const rd = vrf.leaf('rd');
    if (rd !== undefined) lines.push(` rd ${rd}`);
    lines.push('!');
  }
  lines.push(`router bgp ${bgp.leaf('as-number') ?? ''}`);
  const routerId = bgp.leaf('router-id');
  if (routerId !== undefined) lines.push(` bgp router-id ${routerId}`);
  const listen = bgp.child('listen');
  for (const address of listen?.leafList('address') ?? []) lines.push(` bgp listen address ${address}`);
  if (listen?.leaf('port') !== undefined) lines.push(` bgp listen port ${listen.leaf('port')}`);
  const bmp = bgp.child('bmp');
  for (const server of bmp?.children('server') ?? []) lines.push(...serverLines(server));
  const refresh = bmp?.child('initial-refresh');
  if (refresh?.leaf('delay') !== undefined) lines.push(` bmp initial-refresh delay ${refresh.leaf('delay')}`);
  if (refresh?.child('skip') !== undefined) lines.push(' bmp initial-refresh skip');
  if (bmp?.leaf('buffer-size') !== undefined) lines.push(` bmp buffer-size ${bmp.leaf('buffer-size')}`);
  for (const group of bgp.children('peer-group')) {
    const name = group.leaf('name') ?? '';
    lines.push(` neighbor ${name} peer-group`, ...neighborLines(group, name, ' '));
  }
  const neighbors = bgp.children('neighbor');
  for (const n of neighbors) lines.push(...neighborLines(n, n.leaf('address') ?? '', ' '));
  // Global address families: IOS lists the neighbors activated in each.
  for (const [family, header] of Object.entries(FAMILY_HEADER)) {
    const active = neighbors.filter((n) => n.children('address-family').some((af) => af.leaf('name') === family));
    const groups = bgp.children('peer-group').filter((g) => g.children('address-family').some((af) => af.leaf('name') === family));
    if (active.length + groups.length === 0) continue;
    lines.push(' !', ` ${header}`);
    for (const n of [...groups.map((g) => g.leaf('name')), ...active.map((a) => a.leaf('address'))]) lines.push(`  neighbor ${n ?? ''} activate`);
    lines.push(' exit-address-family');
  }
  for (const vrf of bgp.children('vrf')) {
    for (const af of vrf.children('address-family')) {
      lines.push(' !', ` address-family ${af.leaf('afi') ?? ''} vrf ${vrf.leaf('name') ?? ''}`);
      for (const n of af.children('neighbor')) lines.push(...neighborLines(n, n.leaf('address') ?? '', '  '));
      lines.push(' exit-address-family');
    }
  }
  lines.push('!', 'end');
  return lines.join('\n');
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/**
 * IOS output modifiers. `section`: each line that matches, with the lines indented under it
 * (a matching line inside a printed section is printed once). The regular expression is an
 * ECMAScript one; IOS's are POSIX-like, and the simple patterns operators type read the same.
 */
export function applyPipe(text: string, pipe: PipeFilter): string {
  const regex = new RegExp(pipe.pattern);
  const lines = text.split('\n');
  switch (pipe.kind) {
    case 'include':
      return lines.filter((l) => regex.test(l)).join('\n');
    case 'exclude':
      return lines.filter((l) => !regex.test(l)).join('\n');
    case 'begin': {
      const at = lines.findIndex((l) => regex.test(l));
      return at < 0 ? '' : lines.slice(at).join('\n');
    }
    case 'section': {
      const out: string[] = [];
      for (let i = 0; i < lines.length; i++) {
        if (!regex.test(lines[i]!)) continue;
        const indent = indentOf(lines[i]!);
        out.push(lines[i]!);
        while (i + 1 < lines.length && lines[i + 1]!.trim() !== '!' && indentOf(lines[i + 1]!) > indent) out.push(lines[++i]!);
      }
      return out.join('\n');
    }
  }
}
