// RFC 8341 §3.4.6 for the content of bmpd's own notifications: a subscriber
// whose event type is permitted still gets no bgp-neighbor-state-change or
// bmp-server-state-change about a neighbor or server it may not read, and
// denied-notifications counts each one withheld. Through the NotificationStream
// as the server wires it (access → AccessControl.notificationFor).
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { neighborNotification, serverNotification } from '../../src/agent/notifications.js';
import { AccessControl } from '../../src/netconf/access-control.js';
import { NACM_NS, defaultDenyOf } from '../../src/netconf/nacm.js';
import { NotificationStream } from '../../src/netconf/notifications.js';
import type { SessionInfo } from '../../src/netconf/session-control.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';

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
  </rule-list>
</nacm>`;

let model: YangModel;
let access: AccessControl;
const received = new Map<number, string[]>();

function session(id: number, username: string): SessionInfo {
  received.set(id, []);
  return { id, username, groups: [], sourceHost: '127.0.0.1', sourcePort: 1000 + id, transport: 'netconf-ssh', loginTime: new Date(),
    counters: { inRpcs: 0, inBadRpcs: 0, outRpcErrors: 0, outNotifications: 0 }, state: 'established', baseVersion: '1.1',
    clientCapabilities: [], sendNotification: (xml: string) => { received.get(id)!.push(xml); return true; },
    setIdleTimeoutExempt: () => {} } as unknown as SessionInfo;
}

const groupsOf: Record<string, string[]> = { blind: ['no-neighbors'], partly: ['partial'], admin: ['admin'] };
const blind = session(1, 'blind');
const partly = session(2, 'partly');
const admin = session(3, 'admin');
let stream: NotificationStream;

beforeAll(async () => {
  model = await loadYangModel();
  access = new AccessControl({
    context: model.context,
    defaultDeny: defaultDenyOf(model.modules.filter((m) => m.implemented).map((m) => m.name), (n) => model.context.moduleText(n, null, 'yin')),
    users: (name) => ({ groups: groupsOf[name] ?? [], recovery: false }),
    session: () => undefined,
    moduleOf: (ns) => model.modules.find((m) => m.namespace === ns && m.implemented)?.name ?? null,
    namespaceOf: (module) => model.modules.find((m) => m.name === module)?.namespace ?? null,
    logger: pino({ level: 'silent' }),
  }, () => { throw new Error('the test loads /nacm itself'); });
  const tree = model.context.parseData(NACM, { format: 'xml', validate: false, strict: true });
  try { access.load(tree); } finally { tree.free(); }
  stream = new NotificationStream((s, e) => access.notificationFor(s, e));
  for (const s of [blind, partly, admin]) stream.subscribe({ session: s, selectors: null, stopTime: null });
});
afterAll(() => model.context.destroy());

/** Who of blind, partly and admin got the event, and how many were withheld (denied-notifications). */
function deliver(event: ReturnType<typeof neighborNotification>): { to: string[]; denied: number } {
  const before = access.counters.deniedNotifications;
  const counts = [blind, partly, admin].map((s) => received.get(s.id)!.length);
  stream.publish(event);
  const to = [blind, partly, admin].filter((s, i) => received.get(s.id)!.length > counts[i]!).map((s) => s.username);
  return { to, denied: access.counters.deniedNotifications - before };
}

describe('notification content under NACM (RFC 8341 §3.4.6)', () => {
  it('bgp-neighbor-state-change reaches only who may read that neighbor', () => {
    expect(deliver(neighborNotification('127.0.3.1', null, null))).toEqual({ to: ['admin'], denied: 2 });
    expect(deliver(neighborNotification('127.0.4.1', null, { kind: 'remote-closed' }))).toEqual({ to: ['partly', 'admin'], denied: 1 });
    expect(received.get(partly.id)!.at(-1)).toContain('<address>127.0.4.1</address>');
  });

  it('a VRF neighbor is judged by its entry under the VRF', () => {
    // The no-neighbors rule names the global list only; the partial rule hides VRF red entirely.
    expect(deliver(neighborNotification('127.0.5.1', 'red', null))).toEqual({ to: ['blind', 'admin'], denied: 1 });
    expect(deliver(neighborNotification('127.0.5.1', 'blue', null))).toEqual({ to: ['blind', 'partly', 'admin'], denied: 0 });
    // IPv6 unicast over an IPv4 session: the entry under 'address-family ipv6 vrf blue' decides.
    expect(deliver(neighborNotification('127.0.5.1', 'blue', null, 'ipv6'))).toEqual({ to: ['blind', 'admin'], denied: 1 });
  });

  it('bmp-server-state-change reaches only who may read that server', () => {
    expect(deliver(serverNotification(2, '127.0.1.2', 5000, 'up', 'connection established', []))).toEqual({ to: ['blind', 'admin'], denied: 1 });
    expect(deliver(serverNotification(1, '127.0.1.1', 5000, 'down', 'connection refused', []))).toEqual({ to: ['blind', 'partly', 'admin'], denied: 0 });
  });
});
