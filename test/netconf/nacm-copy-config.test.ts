// copy-config under NACM: read access to the source datastore is needed as
// well as write access to the target (RFC 8341's table of access rights). A
// session that may write everything but not read one neighbor cannot copy
// running to startup or candidate; startup stays as it was and
// denied-data-writes counts the refusal. An inline <config> source is the
// client's own and is not read-checked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Datastores } from '../../src/datastore/datastores.js';
import { DatastoreError } from '../../src/datastore/errors.js';
import type { AccessControl } from '../../src/netconf/access-control.js';
import { NACM_NS } from '../../src/netconf/nacm.js';
import type { SessionInfo } from '../../src/netconf/session-control.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';
import { accessControlFor, sessionOf } from '../support/nacm-rig.js';

const BMPD = 'urn:bmpd:yang:bmpd';

const NACM = `<nacm xmlns="${NACM_NS}"><enable-nacm>true</enable-nacm>
  <groups><group><name>writers</name><user-name>writer</user-name></group><group><name>admin</name><user-name>admin</user-name></group></groups>
  <rule-list><name>writers</name><group>writers</group>
    <rule><name>hide-one-neighbor</name><module-name>bmpd</module-name><path xmlns:b="${BMPD}">/b:bgp/b:neighbor[b:address='127.0.3.1']</path>
      <access-operations>read</access-operations><action>deny</action></rule>
    <rule><name>write-all</name><module-name>*</module-name><access-operations>*</access-operations><action>permit</action></rule>
  </rule-list>
  <rule-list><name>admin</name><group>admin</group>
    <rule><name>permit-all</name><module-name>*</module-name><access-operations>*</access-operations><action>permit</action></rule>
  </rule-list>
</nacm>`;

const DATA = `<bgp xmlns="${BMPD}"><as-number>65000</as-number>
  <neighbor><address>127.0.9.9</address><remote-as>65009</remote-as></neighbor>
  <neighbor><address>127.0.3.1</address><remote-as>65003</remote-as></neighbor></bgp>`;

let model: YangModel;
let ds: Datastores;
let access: AccessControl;
const sessions = new Map<number, SessionInfo>();
const writer = sessionOf(1, 'writer');
const admin = sessionOf(2, 'admin');
sessions.set(1, writer);
sessions.set(2, admin);

beforeAll(async () => {
  model = await loadYangModel();
  access = accessControlFor(model, { session: (id) => sessions.get(id), running: () => ds.tree('running') });
  ds = await Datastores.open({
    context: model.context, stateDir: null,
    apply: async (change) => { if (change.changes.some((c) => c.path.startsWith('/ietf-netconf-acm:'))) access.load(change.after); },
    authorizeWrite: (w) => access.authorizeWrite(w),
    authorizeCopySource: (r) => access.authorizeCopySource(r),
  });
  await ds.editConfig('running', NACM + DATA, {}, 0);
});
afterAll(() => { ds.close(); model.context.destroy(); });

async function outcome(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'permit';
  } catch (err) {
    if (err instanceof DatastoreError) return err.errors[0]!.tag;
    throw err;
  }
}

const startupNeighbors = () => ds.tree('startup').paths('/bmpd:bgp/bmpd:neighbor');

describe('copy-config reads its source under NACM', () => {
  it('denies a copy of running by a session that may not read all of it, leaving the targets and counting it', async () => {
    const before = access.counters.deniedDataWrites;
    expect(await outcome(() => ds.copyConfig('startup', { datastore: 'running' }, writer.id))).toBe('access-denied');
    expect(startupNeighbors()).toEqual([]);
    expect(await outcome(() => ds.copyConfig('candidate', { datastore: 'running' }, writer.id))).toBe('access-denied');
    expect(access.counters.deniedDataWrites - before).toBe(2);
  });

  it('lets a session that may read everything copy it', async () => {
    expect(await outcome(() => ds.copyConfig('startup', { datastore: 'running' }, admin.id))).toBe('permit');
    expect(startupNeighbors()).toHaveLength(2);
  });

  it('does not read-check an inline <config>: the client sent it', async () => {
    const inline = NACM + DATA; // the content of <config>
    expect(await outcome(() => ds.copyConfig('candidate', { config: inline }, writer.id))).toBe('permit');
  });
});
