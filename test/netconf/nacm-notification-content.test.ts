// RFC 8341 §3.4.6 for bmpd's own notifications and netconf-config-change: the
// event type decides alone ("If the user is authorized to receive the
// notification event type, then it is also authorized to receive any data it
// contains"). A subscriber whose rules deny reading a neighbor or server still
// gets the events about it, whole; a notification-name rule withholds an event
// type, and only that counts in denied-notifications. Through the
// NotificationStream as the server wires it (access → AccessControl.notificationFor).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { neighborNotification, serverNotification } from '../../src/agent/notifications.js';
import type { AccessControl } from '../../src/netconf/access-control.js';
import { NACM_NS } from '../../src/netconf/nacm.js';
import { configChangeEvent, NotificationStream, type NotificationEvent } from '../../src/netconf/notifications.js';
import type { SessionInfo } from '../../src/netconf/session-control.js';
import type { DiffChange } from 'libyang-wasm';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';
import { accessControlFor, sessionOf } from '../support/nacm-rig.js';

const BMPD = 'urn:bmpd:yang:bmpd';

const rule = (name: string, path: string) =>
  `<rule><name>${name}</name><module-name>bmpd</module-name><path xmlns:b="${BMPD}">${path}</path>` +
  '<access-operations>read</access-operations><action>deny</action></rule>';

// read-default permit: everything not denied here is readable.
const NACM = `<nacm xmlns="${NACM_NS}"><enable-nacm>true</enable-nacm><read-default>permit</read-default>
  <rule-list><name>no-neighbors</name><group>no-neighbors</group>${rule('hide-neighbors', '/b:bgp/b:neighbor')}</rule-list>
  <rule-list><name>partial</name><group>partial</group>
    ${rule('hide-one-neighbor', "/b:bgp/b:neighbor[b:address='127.0.3.1']")}
    ${rule('hide-vrf-red', "/b:bgp/b:vrf[b:name='red']")}
    ${rule('hide-server-2', "/b:bgp/b:bmp/b:server[b:id='2']")}
    ${rule('hide-blue-ipv6', "/b:bgp/b:vrf[b:name='blue']/b:address-family[b:afi='ipv6']")}
    <rule><name>no-neighbor-events</name><module-name>bmpd</module-name><notification-name>bgp-neighbor-state-change</notification-name>
      <access-operations>read</access-operations><action>deny</action></rule>
  </rule-list>
</nacm>`;

let model: YangModel;
let access: AccessControl;
const received = new Map<number, string[]>();

function session(id: number, username: string): SessionInfo {
  received.set(id, []);
  return sessionOf(id, username, { sendNotification: (xml: string) => { received.get(id)!.push(xml); return true; } });
}

const groupsOf: Record<string, string[]> = { blind: ['no-neighbors'], partly: ['partial'], admin: ['admin'] };
const blind = session(1, 'blind');
const partly = session(2, 'partly');
const admin = session(3, 'admin');
let stream: NotificationStream;

beforeAll(async () => {
  model = await loadYangModel();
  access = accessControlFor(model, { users: (name) => ({ groups: groupsOf[name] ?? [], recovery: false }) });
  const tree = model.context.parseData(NACM, { format: 'xml', validate: false, strict: true });
  try { access.load(tree); } finally { tree.free(); }
  stream = new NotificationStream((s, e) => access.notificationFor(s, e));
  for (const s of [blind, partly, admin]) stream.subscribe({ session: s, selectors: null, stopTime: null });
});
afterAll(() => model.context.destroy());

/** Who of blind, partly and admin got the event, and how many were withheld (denied-notifications). */
function deliver(event: NotificationEvent): { to: string[]; denied: number } {
  const before = access.counters.deniedNotifications;
  const counts = [blind, partly, admin].map((s) => received.get(s.id)!.length);
  stream.publish(event);
  const to = [blind, partly, admin].filter((s, i) => received.get(s.id)!.length > counts[i]!).map((s) => s.username);
  return { to, denied: access.counters.deniedNotifications - before };
}

describe('notification authorization (RFC 8341 §3.4.6): the event type decides, not the data it names', () => {
  it('bgp-neighbor-state-change reaches a subscriber who may not read that neighbor, whole; a notification-name rule withholds it', () => {
    // blind may read no global neighbor, partly not 127.0.3.1; partly's rule-list also denies the event type.
    expect(deliver(neighborNotification('127.0.3.1', null, null))).toEqual({ to: ['blind', 'admin'], denied: 1 });
    expect(received.get(blind.id)!.at(-1)).toContain('<address>127.0.3.1</address>');
    expect(deliver(neighborNotification('127.0.5.1', 'red', { kind: 'remote-closed' }))).toEqual({ to: ['blind', 'admin'], denied: 1 });
    expect(received.get(blind.id)!.at(-1)).toContain('<vrf>red</vrf>');
  });

  it('bmp-server-state-change reaches a subscriber who may not read that server', () => {
    expect(deliver(serverNotification(2, '127.0.1.2', 5000, 'up', 'connection established', []))).toEqual({ to: ['blind', 'partly', 'admin'], denied: 0 });
    expect(received.get(partly.id)!.at(-1)).toContain('<server>2</server>');
  });

  it('netconf-config-change lists every edit to every subscriber of the event type, paths of nodes it may not read included', () => {
    const change = (path: string, schemaPath: string) => ({ path, schemaPath, operation: 'update', nodeType: 'leaf', inherited: false }) as unknown as DiffChange;
    const event = configChangeEvent({ id: 9, username: 'admin', sourceHost: '127.0.0.1' }, [
      change("/bmpd:bgp/neighbor[address='127.0.3.1']/password", '/bmpd:bgp/bmpd:neighbor/bmpd:password'),
      change("/bmpd:bgp/bmp/server[id='2']/description", '/bmpd:bgp/bmpd:bmp/bmpd:server/bmpd:description'),
    ], (m) => model.modules.find((x) => x.name === m)?.namespace ?? null);
    expect(deliver(event)).toEqual({ to: ['blind', 'partly', 'admin'], denied: 0 });
    for (const s of [blind, partly]) {
      expect(received.get(s.id)!.at(-1)).toContain("bmpd:neighbor[bmpd:address='127.0.3.1']/bmpd:password");
      expect(received.get(s.id)!.at(-1)).toContain("bmpd:server[bmpd:id='2']/bmpd:description");
    }
  });
});
