// RFC 8341 Appendix A's example configuration, adapted to bmpd's modules,
// loaded into running through edit-config and checked rule by rule the way the
// Appendix describes each one. The acme modules map onto ours:
//   acme-system system-restart        → bmpd reset-bgp-neighbor
//   /acme-netconf/config-parameters   → /bgp/bmp
//   /interfaces/interface             → /bgp/neighbor ('dummy' → 127.0.9.9)
//   sys-config-change notification    → netconf-config-change (RFC 6470)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Datastores } from '../../src/datastore/datastores.js';
import { DatastoreError, NACM_RULE_PATH } from '../../src/datastore/errors.js';
import type { AccessControl } from '../../src/netconf/access-control.js';
import { NACM_NS } from '../../src/netconf/nacm.js';
import { configChangeEvent, NC_NOTIFICATIONS_NS } from '../../src/netconf/notifications.js';
import { NETCONF_BASE_NS, RpcError } from '../../src/netconf/rpc-error.js';
import type { ParsedOperation, RpcContext } from '../../src/netconf/rpc.js';
import type { SessionInfo } from '../../src/netconf/session-control.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';
import { accessControlFor, sessionOf } from '../support/nacm-rig.js';

const BMPD = 'urn:bmpd:yang:bmpd';
const MONITORING = 'urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring';

const rule = (name: string, body: string, action: 'permit' | 'deny') => `<rule><name>${name}</name>${body}<action>${action}</action></rule>`;

const APPENDIX_A = `<nacm xmlns="${NACM_NS}" xmlns:b="${BMPD}">
  <groups>
    <group><name>admin</name><user-name>admin</user-name><user-name>andy</user-name></group>
    <group><name>limited</name><user-name>wilma</user-name><user-name>bam-bam</user-name></group>
    <group><name>guest</name><user-name>guest</user-name><user-name>guest@example.com</user-name></group>
  </groups>
  <rule-list><name>guest-acl</name><group>guest</group>
    ${rule('deny-ncm', '<module-name>ietf-netconf-monitoring</module-name><access-operations>*</access-operations>', 'deny')}
    ${rule('deny-nacm', '<path>/nacm</path><access-operations>*</access-operations>', 'deny')}
  </rule-list>
  <rule-list><name>guest-limited-acl</name><group>limited</group><group>guest</group>
    ${rule('deny-system-restart', '<module-name>bmpd</module-name><rpc-name>reset-bgp-neighbor</rpc-name><access-operations>exec</access-operations>', 'deny')}
    ${rule('deny-config-change', '<module-name>ietf-netconf-notifications</module-name><notification-name>netconf-config-change</notification-name><access-operations>read</access-operations>', 'deny')}
  </rule-list>
  <rule-list><name>limited-acl</name><group>limited</group>
    ${rule('permit-ncm', '<module-name>ietf-netconf-monitoring</module-name><access-operations>read</access-operations>', 'permit')}
    ${rule('permit-exec', '<module-name>*</module-name><access-operations>exec</access-operations>', 'permit')}
    ${rule('permit-acme-config', '<module-name>bmpd</module-name><path>/b:bgp/b:bmp</path><access-operations>read create update delete</access-operations>', 'permit')}
    ${rule('permit-dummy-interface', "<module-name>bmpd</module-name><path>/b:bgp/b:neighbor[b:address='127.0.9.9']</path><access-operations>read update</access-operations>", 'permit')}
  </rule-list>
  <rule-list><name>admin-acl</name><group>admin</group>
    ${rule('permit-all', '<module-name>*</module-name><access-operations>*</access-operations>', 'permit')}
  </rule-list>
</nacm>`.replace('<path>/nacm</path>', `<path xmlns:n="${NACM_NS}">/n:nacm</path>`);

const DATA = `<bgp xmlns="${BMPD}"><as-number>65000</as-number>
  <bmp><server><id>1</id><address>127.0.1.1</address></server></bmp>
  <neighbor><address>127.0.9.9</address><remote-as>65009</remote-as></neighbor>
  <neighbor><address>127.0.3.1</address><remote-as>65003</remote-as></neighbor></bgp>`;

let model: YangModel;
let ds: Datastores;
let access: AccessControl;
const sessions = new Map<number, SessionInfo>();

function session(id: number, username: string): SessionInfo {
  const s = sessionOf(id, username);
  sessions.set(id, s);
  return s;
}

const andy = session(1, 'andy');
const wilma = session(2, 'wilma');
const guest = session(3, 'guest');

beforeAll(async () => {
  model = await loadYangModel();
  access = accessControlFor(model, { session: (id) => sessions.get(id), running: () => ds.tree('running') });
  ds = await Datastores.open({
    context: model.context, stateDir: null,
    apply: async (change) => { if (change.changes.some((c) => c.path.startsWith('/ietf-netconf-acm:'))) access.load(change.after); },
    authorizeWrite: (w) => access.authorizeWrite(w),
  });
  // Loaded by the system (session 0), as an operator would with a recovery session.
  await ds.editConfig('running', APPENDIX_A + DATA, {}, 0);
});
afterAll(() => { ds.close(); model.context.destroy(); });

function exec(s: SessionInfo, namespace: string, name: string): 'permit' | string {
  const ctx = { session: s, operation: { namespace, name } as ParsedOperation } as RpcContext;
  try {
    access.authorizeOperation(ctx);
    return 'permit';
  } catch (err) {
    return (err as RpcError).tag;
  }
}

async function write(s: SessionInfo, xml: string): Promise<'permit' | string> {
  try {
    await ds.editConfig('running', xml, {}, s.id);
    return 'permit';
  } catch (err) {
    if (err instanceof DatastoreError) return err.errors[0]!.tag;
    throw err;
  }
}

function read(s: SessionInfo, xml: string): string {
  const tree = model.context.parseData(xml, { validate: false, strict: true });
  try {
    const view = access.readView(s, tree, true, false);
    return view.printed(view.tree.print({ format: 'xml' }));
  } finally {
    tree.free();
  }
}

describe('RFC 8341 Appendix A, adapted to bmpd', () => {
  it('loads: running holds the three groups and four rule-lists in order', () => {
    const config = access.current();
    expect([...config.groups.keys()]).toEqual(['admin', 'limited', 'guest']);
    expect(config.ruleLists.map((l) => l.name)).toEqual(['guest-acl', 'guest-limited-acl', 'limited-acl', 'admin-acl']);
  });

  it('A.2 deny-ncm / permit-ncm: guests read no monitoring data, the limited group does', () => {
    const state = `<netconf-state xmlns="${MONITORING}"><sessions><session><session-id>1</session-id><transport>netconf-ssh</transport>` +
      '<username>andy</username><source-host>127.0.0.1</source-host><login-time>2026-01-01T00:00:00Z</login-time><in-rpcs>0</in-rpcs>' +
      '<in-bad-rpcs>0</in-bad-rpcs><out-rpc-errors>0</out-rpc-errors><out-notifications>0</out-notifications></session></sessions></netconf-state>';
    expect(read(guest, state)).not.toContain('netconf-state');
    expect(read(wilma, state)).toContain('<username>andy</username>');
    expect(read(andy, state)).toContain('<username>andy</username>');
  });

  it('A.2 permit-exec / permit-all: the limited group may invoke operations, the admin group everything', () => {
    expect(exec(wilma, NETCONF_BASE_NS, 'edit-config')).toBe('permit');
    expect(exec(andy, NETCONF_BASE_NS, 'kill-session')).toBe('permit');
    // "any protocol operation": a rule outranks kill-session's nacm:default-deny-all, which still holds for guests.
    expect(exec(wilma, NETCONF_BASE_NS, 'kill-session')).toBe('permit');
    expect(exec(guest, NETCONF_BASE_NS, 'kill-session')).toBe('access-denied');
    expect(exec(guest, NETCONF_BASE_NS, 'get')).toBe('permit');
  });

  it('A.3 deny-system-restart: only the admin group may reset a neighbor', () => {
    expect(exec(wilma, BMPD, 'reset-bgp-neighbor')).toBe('access-denied');
    expect(exec(guest, BMPD, 'reset-bgp-neighbor')).toBe('access-denied');
    expect(exec(andy, BMPD, 'reset-bgp-neighbor')).toBe('permit');
    expect(exec(guest, BMPD, 'reset-bmp-server')).toBe('permit'); // exec-default permit
  });

  it('A.4 deny-nacm: guests cannot touch /nacm; the admin group can', async () => {
    expect(await write(guest, `<nacm xmlns="${NACM_NS}"><read-default>deny</read-default></nacm>`)).toBe('access-denied');
    expect(read(guest, ds.tree('running').print({ format: 'xml' }))).not.toContain('rule-list');
    expect(read(andy, ds.tree('running').print({ format: 'xml' }))).toContain('<name>guest-acl</name>');
  });

  it('A.4 permit-acme-config: the limited group creates, updates and deletes BMP configuration', async () => {
    expect(await write(wilma, `<bgp xmlns="${BMPD}"><bmp><server><id>2</id><address>127.0.2.1</address></server></bmp></bgp>`)).toBe('permit');
    expect(await write(wilma, `<bgp xmlns="${BMPD}"><bmp><server><id>2</id><description>W</description></server></bmp></bgp>`)).toBe('permit');
    expect(await write(wilma, `<bgp xmlns="${BMPD}" xmlns:nc="${NETCONF_BASE_NS}"><bmp><server nc:operation="delete"><id>2</id></server></bmp></bgp>`)).toBe('permit');
    expect(await write(guest, `<bgp xmlns="${BMPD}"><bmp><server><id>2</id><address>127.0.2.1</address></server></bmp></bgp>`)).toBe('access-denied');
  });

  it('A.4 permit-dummy-interface: the limited group updates that one neighbor but creates and deletes none', async () => {
    expect(await write(wilma, `<bgp xmlns="${BMPD}"><neighbor><address>127.0.9.9</address><remote-as>65010</remote-as></neighbor></bgp>`)).toBe('permit');
    expect(await write(wilma, `<bgp xmlns="${BMPD}"><neighbor><address>127.0.9.9</address><description>new</description></neighbor></bgp>`)).toBe('access-denied');
    expect(await write(wilma, `<bgp xmlns="${BMPD}"><neighbor><address>127.0.3.1</address><remote-as>65010</remote-as></neighbor></bgp>`)).toBe('access-denied');
    expect(await write(wilma, `<bgp xmlns="${BMPD}" xmlns:nc="${NETCONF_BASE_NS}"><neighbor nc:operation="delete"><address>127.0.9.9</address></neighbor></bgp>`))
      .toBe('access-denied');
    expect(await write(andy, `<bgp xmlns="${BMPD}"><neighbor><address>127.0.9.9</address><description>new</description></neighbor></bgp>`)).toBe('permit');
  });

  it('enable-nacm false lifts every rule until it is true again', async () => {
    const grow = `<bgp xmlns="${BMPD}"><neighbor><address>127.0.3.1</address><description>guest was here</description></neighbor></bgp>`;
    expect(await write(guest, grow)).toBe('access-denied');
    expect(await write(andy, `<nacm xmlns="${NACM_NS}"><enable-nacm>false</enable-nacm></nacm>`)).toBe('permit');
    expect(await write(guest, grow)).toBe('permit');
    expect(exec(guest, NETCONF_BASE_NS, 'kill-session')).toBe('permit');
    expect(read(guest, ds.tree('running').print({ format: 'xml' }))).toContain('<name>guest-acl</name>');
    expect(await write(guest, `<nacm xmlns="${NACM_NS}"><enable-nacm>true</enable-nacm></nacm>`)).toBe('permit');
    expect(await write(guest, grow.replace('guest was here', 'again'))).toBe('access-denied');
  });

  it('refuses rule paths that are not node-instance-identifiers (non-key predicates, positions, wildcards, //, axes, unions) with invalid-value: write and notification checks match on keys only', async () => {
    // libyang checks node-instance-identifier values as it loads /nacm, so a predicate on a non-key leaf,
    // a position or a predicate on a container never reaches the rules (README, access control).
    const withPath = (name: string, path: string) => `<nacm xmlns="${NACM_NS}" xmlns:b="${BMPD}"><rule-list><name>limited-acl</name>` +
      `${rule(name, `<module-name>bmpd</module-name><path>${path}</path><access-operations>update</access-operations>`, 'permit')}</rule-list></nacm>`;
    const before = ds.tree('running').print({ format: 'xml' });
    for (const [path, why] of [
      ["/b:bgp/b:neighbor[b:remote-as='65003']", 'Key expected instead of leaf "remote-as"'],
      ['/b:bgp/b:neighbor[1]', 'Positional predicate'],
      ["/b:bgp[b:as-number='65000']", 'List predicate defined for container'],
      // Wildcards and other XPath: a node-instance-identifier is an instance-identifier (§3.2.5),
      // so libyang takes none of them, and the write and notification matcher never meets one.
      ['/b:bgp/b:*', 'Not found node "*"'],
      ['/b:*', 'Not found node "*"'],
      ['/*', 'Prefix missing for "*"'],
      ['//b:password', 'Recursive Path'],
      ['/b:bgp//b:password', 'Unparsed characters'],
      ['/b:bgp/b:neighbor/b:password | /b:bgp/b:bmp', 'Unparsed characters'],
      ['/b:bgp/b:neighbor/..', '".."'],
      ['/b:bgp/b:neighbor/descendant::b:password', 'descendant'],
      ["/b:bgp/b:neighbor[b:address!='1']", 'Non-equal'],
      ['/b:bgp/neighbor', 'Prefix missing for "neighbor"'],
    ] as const) {
      const err = await ds.editConfig('running', withPath('unmatchable', path), {}, andy.id).catch((e: unknown) => e);
      expect(err, path).toBeInstanceOf(DatastoreError);
      expect((err as DatastoreError).errors[0], path).toMatchObject({ tag: 'invalid-value', message: expect.stringContaining(why),
        path: expect.stringContaining("rule[name='unmatchable']/path") });
      expect((err as DatastoreError).errors[0]!.message, path).toContain(NACM_RULE_PATH);
    }
    expect(ds.tree('running').print({ format: 'xml' })).toBe(before);
    expect(await write(andy, withPath('by-address', "/b:bgp/b:neighbor[b:address='127.0.3.1']"))).toBe('permit');
  });

  it('A.5 deny-config-change: the limited and guest groups get no netconf-config-change, the admin group does', () => {
    const event = configChangeEvent({ id: 1, username: 'andy', sourceHost: '127.0.0.1' }, [], () => null);
    expect(event.namespace).toBe(NC_NOTIFICATIONS_NS);
    const before = access.counters.deniedNotifications;
    expect(access.notificationFor(wilma, event)).toBeNull();
    expect(access.notificationFor(guest, event)).toBeNull();
    expect(access.notificationFor(andy, event)).toContain('<username>andy</username>');
    expect(access.counters.deniedNotifications - before).toBe(2);
  });
});
