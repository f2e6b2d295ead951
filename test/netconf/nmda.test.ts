// NMDA (RFC 8342, RFC 8526) against the real agent, through two independent clients: ncclient
// sending raw <get-data>/<edit-data> RPCs, and the libnetconf2 client (test/support/nc-client.c,
// Debian's libnetconf2 as netopeer2-cli uses it). A real gobgpd neighbor and a real pmbmpd
// collector make the operational datastore's learned and applied parts real.
//
// Addresses of this file: bmpd 127.0.70.1:179, gobgpd 127.0.70.2 (API 127.0.70.2:50071),
// collector 127.0.70.10:8000.
import { execFile, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, gobgp, gobgpdToml, startGobgpd, tempDir, waitFor } from '../bgp/integration/daemons.js';
import { Pmbmpd } from '../bmp/integration/pmbmpd.js';
import { ROOT, runPython, startAgent, type RunningAgent } from '../support/agent.js';
import { buildLibnetconf2Client, libnetconf2, type ClientLine, type RpcErrorLine } from '../support/libnetconf2-client.js';

const NC = join(ROOT, 'test', 'agent', 'clients', 'nc.py');
const BMPD = '127.0.70.1';
const GOBGP = '127.0.70.2';
const GOBGP_API = `${GOBGP}:50071`;
const COLLECTOR = { host: '127.0.70.10', port: 8000 };
/** An interface that does not exist, so it has no address: server 2's update-source cannot be applied. */
const NO_SUCH_INTERFACE = 'nmda-none0';

const NMDA = 'urn:ietf:params:xml:ns:yang:ietf-netconf-nmda';
const DS = 'urn:ietf:params:xml:ns:yang:ietf-datastores';
const BMPD_NS = 'urn:bmpd:yang:bmpd';

const CONFIG = `<bgp xmlns="${BMPD_NS}"><as-number>65000</as-number><router-id>${BMPD}</router-id>
  <listen><address>${BMPD}</address></listen>
  <bmp><server><id>1</id><activate/><address>${COLLECTOR.host}</address><port-number>${COLLECTOR.port}</port-number>
      <initial-delay>1</initial-delay><update-source>lo</update-source></server>
    <server><id>2</id><activate/><address>${COLLECTOR.host}</address><port-number>${COLLECTOR.port}</port-number>
      <initial-delay>1</initial-delay><update-source>${NO_SUCH_INTERFACE}</update-source></server></bmp>
  <neighbor><address>${GOBGP}</address><remote-as>65030</remote-as><update-source>${BMPD}</update-source>
    <bmp-activate><server>1</server><server>2</server></bmp-activate></neighbor></bgp>`;

const gobgpdConf = gobgpdToml({ as: 65030, routerId: GOBGP, port: 179, localAddresses: [GOBGP] }, [
  { address: BMPD, peerAs: 65000, localAddress: GOBGP },
]);

let agent: RunningAgent;
let collector: Pmbmpd;
let gobgpd: Daemon;
let client: string;
const dirs: string[] = [];
/** A users file replaces the loopback default admin/admin; admin keeps its name. */
const ADMIN_PASSWORD = 'admin-password';
/** The NACM-restricted user's key pair (libnetconf2 logs in with it). */
let readerKey: { publicKey: string; privateKey: string };

const NACM_NS = 'urn:ietf:params:xml:ns:yang:ietf-netconf-acm';
/** Group readers may not read the BMP servers; writes are denied by NACM's default (write-default deny). */
const READERS = `<nacm xmlns="${NACM_NS}"><rule-list><name>readers</name><group>readers</group>
  <rule><name>no-bmp-servers</name><module-name>bmpd</module-name><path xmlns:b="${BMPD_NS}">/b:bgp/b:bmp/b:server</path>
    <access-operations>read</access-operations><action>deny</action></rule></rule-list></nacm>`;

/** bmpd-adduser as an operator runs it. */
async function adduser(stateDir: string, args: string[], password?: string): Promise<void> {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'adduser.js'), '--state-dir', stateDir, ...args,
    ...(password !== undefined ? ['--password-stdin'] : [])], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  child.stdin.end(password !== undefined ? `${password}\n` : '');
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`adduser ${args.join(' ')}: ${out}`);
}

/** One raw rpc through ncclient; its reply as XML text, or its rpc-error. */
async function rpc(xml: string): Promise<{ reply?: string; error?: { tag: string; message: string } }> {
  return runPython(NC, [agent.port, 'rpc', xml], 90_000);
}

function getData(datastore: string, params = ''): string {
  return `<get-data xmlns="${NMDA}" xmlns:ds="${DS}"><datastore>${datastore}</datastore>${params}</get-data>`;
}

/** The text of the first `<name>` element after `from` in xml (any attributes). */
function elementAfter(xml: string, from: string, name: string): string | undefined {
  const at = xml.indexOf(from);
  if (at < 0) return undefined;
  return new RegExp(`<${name}(?:\\s[^>]*)?>([^<]*)</${name}>`).exec(xml.slice(at))?.[1];
}

/** The start tag of the first `<name ...>` element in xml. */
function startTag(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}(?:\\s[^>]*)?>`).exec(xml)?.[0];
}

/** server[id] entry's XML in a reply. */
function serverEntry(xml: string, id: number): string {
  const entries = xml.split(/<server(?:\s[^>]*)?>/).slice(1).map((e) => e.slice(0, e.indexOf('</server>')));
  return entries.find((e) => new RegExp(`^\\s*<id>${id}</id>`).test(e)) ?? '';
}

const dataOf = (lines: ClientLine[]): string => {
  const reply = lines.find((l) => l.type === 'reply');
  if (reply === undefined || !('data' in reply)) throw new Error(`no data reply: ${JSON.stringify(lines)}`);
  return reply.data;
};
const errorsOf = (lines: ClientLine[]): RpcErrorLine[] => {
  const reply = lines.find((l) => l.type === 'reply');
  if (reply === undefined || !('errors' in reply)) throw new Error(`no error reply: ${JSON.stringify(lines)}`);
  return reply.errors;
};

beforeAll(async () => {
  client = await buildLibnetconf2Client();
  const cd = tempDir('nmda-collector');
  const gd = tempDir('nmda-gobgpd');
  dirs.push(cd, gd);
  collector = await Pmbmpd.start(cd, COLLECTOR.host, COLLECTOR.port);
  gobgpd = await startGobgpd({ dir: gd, toml: gobgpdConf, api: GOBGP_API });
  await gobgp(GOBGP_API, ['global', 'rib', 'add', '10.70.0.0/24', 'nexthop', '198.51.100.7', '-a', 'ipv4']);
  // A users file: admin (nc.py's login) and reader, who logs in with a key only.
  const stateDir = tempDir('nmda-state');
  const keys = tempDir('nmda-keys');
  dirs.push(stateDir, keys);
  await promisify(execFile)('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keys, 'reader'), '-C', 'reader']);
  readerKey = { publicKey: join(keys, 'reader.pub'), privateKey: join(keys, 'reader') };
  await adduser(stateDir, ['--name', 'admin', '--group', 'admin'], ADMIN_PASSWORD);
  // nc.py logs in with these (this file runs in its own process).
  process.env.BMPD_NC_PASSWORD = ADMIN_PASSWORD;
  await adduser(stateDir, ['--name', 'reader', '--group', 'readers', '--key', readerKey.publicKey]);
  agent = await startAgent({ stateDir });
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await gobgpd?.stop();
  await collector?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('NMDA with ncclient (raw RPCs)', () => {
  it('edit-data changes candidate only; commit applies it: gobgpd establishes and pmbmpd sees the peer', async () => {
    const edit = await rpc(`<edit-data xmlns="${NMDA}" xmlns:ds="${DS}"><datastore>ds:candidate</datastore>` +
      `<default-operation>merge</default-operation><config>${CONFIG}${READERS}</config></edit-data>`);
    expect(edit.error).toBeUndefined();
    expect(edit.reply).toContain('<ok/>');
    const candidate = (await rpc(getData('ds:candidate', '<xpath-filter xmlns:b="urn:bmpd:yang:bmpd">/b:bgp/b:neighbor</xpath-filter>'))).reply!;
    expect(candidate).toContain(`<address>${GOBGP}</address>`);
    const runningBefore = (await rpc(getData('ds:running'))).reply!;
    expect(runningBefore).not.toContain(GOBGP);
    expect((await rpc(`<commit xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"/>`)).reply).toContain('<ok/>');
    const running = (await rpc(getData('ds:running'))).reply!;
    expect(running).toContain(`<address>${GOBGP}</address>`);
    // intended is running as it is (RFC 8342 §5.1.4: bmpd has no inactive configuration or templates).
    expect((await rpc(getData('ds:intended'))).reply!.replace(/message-id="[^"]*"/, '')).toBe(running.replace(/message-id="[^"]*"/, ''));
    await waitFor('gobgpd reports the session established', async () =>
      /Establ/.test(await gobgp(GOBGP_API, ['neighbor'])) || null, 60_000);
    await waitFor('pmbmpd logs a Peer Up for gobgpd', () => collector.records('127.0.0.1').some((r) => r.bmp_msg_type === 'peer_up' && r.peer_ip === GOBGP) || null, 60_000);
  }, 150_000);

  it('get-data of operational with-origin: applied config intended, defaults default, agent state system, what the neighbor sent learned', async () => {
    await waitFor('operational shows the session established', async () =>
      /<session-state[^>]*>established</.test((await rpc(getData('ds:operational', '<xpath-filter xmlns:b="urn:bmpd:yang:bmpd">/b:bgp/b:neighbor/b:state</xpath-filter>'))).reply ?? '') || null, 30_000);
    const reply = (await rpc(getData('ds:operational',
      '<with-origin/><with-defaults xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults">report-all</with-defaults>'))).reply!;
    expect(startTag(reply, 'bgp')).toMatch(/or:origin="or:intended"/);
    expect(startTag(reply, 'bgp')).toContain('xmlns:or="urn:ietf:params:xml:ns:yang:ietf-origin"');
    // bmp/buffer-size is not configured: libyang's default, reported as such.
    expect(startTag(reply, 'buffer-size')).toMatch(/or:origin="or:default"/);
    expect(elementAfter(reply, '<buffer-size', 'buffer-size') ?? /<buffer-size[^>]*>(\d+)</.exec(reply)?.[1]).toBe('256');
    // Per node: what gobgpd sent (its OPEN's router-id and capabilities, its UPDATEs' prefixes) is
    // learned; bmpd's own FSM state and BMP columns in the same container are the agent's.
    const neighborState = reply.slice(reply.indexOf(`<address>${GOBGP}</address>`));
    expect(startTag(neighborState, 'state')).toMatch(/or:origin="or:system"/);
    expect(startTag(neighborState, 'remote-router-id')).toMatch(/or:origin="or:learned"/);
    expect(elementAfter(neighborState, '<state', 'remote-router-id')).toBe(GOBGP);
    expect(startTag(neighborState, 'capabilities')).toMatch(/or:origin="or:learned"/);
    expect(startTag(neighborState, 'prefixes')).toMatch(/or:origin="or:learned"/);
    expect(startTag(neighborState, 'session-state')).not.toMatch(/origin=/);
    expect(startTag(neighborState, 'active-servers')).not.toMatch(/origin=/);
    // The BMP server's session is the agent's own: system.
    const server1 = serverEntry(reply, 1);
    expect(startTag(server1, 'state')).toMatch(/or:origin="or:system"/);
    expect(elementAfter(server1, '<state', 'status')).toBe('up');
    // Server 2's update-source names an interface without an address: running holds it, the
    // engine does not run it, so operational leaves it out (the kernel's source is local-address).
    const server2 = serverEntry(reply, 2);
    expect(server2).not.toContain('update-source');
    expect(elementAfter(server2, '<state', 'local-address')).toMatch(/^127\./);
    expect(serverEntry(reply, 1)).toContain('<update-source>lo</update-source>');
    const running = (await rpc(getData('ds:running'))).reply!;
    expect(serverEntry(running, 2)).toContain(`<update-source>${NO_SUCH_INTERFACE}</update-source>`);
    // Conventional datastores carry no origins; without with-origin neither does operational.
    // (ietf-origin itself is named in the module lists as text: only annotations in tags count.)
    const annotation = /<[^>]*:origin="/;
    expect(running).not.toMatch(annotation);
    const plain = (await rpc(getData('ds:operational'))).reply!;
    expect(plain).toContain('<remote-router-id>');
    expect(plain).not.toMatch(annotation);
    expect(plain).not.toMatch(/<[^>]*xmlns:[\w.-]+="urn:ietf:params:xml:ns:yang:ietf-origin"/);
  }, 60_000);

  it('config-filter, max-depth and with-defaults select what RFC 8526 says', async () => {
    const filter = '<xpath-filter xmlns:b="urn:bmpd:yang:bmpd">/b:bgp/b:neighbor</xpath-filter>';
    const configOnly = (await rpc(getData('ds:operational', `${filter}<config-filter>true</config-filter>`))).reply!;
    expect(configOnly).toContain('<remote-as>65030</remote-as>');
    expect(configOnly).not.toContain('<state');
    const stateOnly = (await rpc(getData('ds:operational', `${filter}<config-filter>false</config-filter>`))).reply!;
    expect(stateOnly).toContain(`<address>${GOBGP}</address>`); // the key that places the state
    expect(stateOnly).toMatch(/<session-state>established</);
    expect(stateOnly).not.toContain('<remote-as>');
    // The same through a subtree filter (RFC 6241 §6 form in RFC 8526's subtree-filter).
    const subtree = (await rpc(getData('ds:operational', `<subtree-filter><bgp xmlns="${BMPD_NS}"><neighbor><state/></neighbor></bgp></subtree-filter>`))).reply!;
    expect(subtree).toMatch(/<session-state>established</);
    expect(subtree).not.toContain('<remote-as>');
    // A conventional datastore has no config false nodes.
    expect((await rpc(getData('ds:running', '<config-filter>false</config-filter>'))).reply).toMatch(/<data xmlns="[^"]+"\/>|<data xmlns="[^"]+"><\/data>/);

    // max-depth 1: the selected server entries with their keys, nothing below.
    const servers = '<xpath-filter xmlns:b="urn:bmpd:yang:bmpd">/b:bgp/b:bmp/b:server</xpath-filter>';
    const depth1 = (await rpc(getData('ds:operational', `${servers}<max-depth>1</max-depth>`))).reply!;
    expect(depth1).toMatch(/<server>\s*<id>1<\/id>\s*<\/server>/);
    expect(depth1).toMatch(/<server>\s*<id>2<\/id>\s*<\/server>/);
    expect(depth1).not.toContain('<address>');
    const depth2 = (await rpc(getData('ds:operational', `${servers}<max-depth>2</max-depth>`))).reply!;
    expect(depth2).toContain(`<address>${COLLECTOR.host}</address>`);
    expect(depth2).toContain('<state>');
    expect(depth2).not.toContain('<status>');
    // No filter: depth counts from the top-level nodes.
    const top = (await rpc(getData('ds:running', '<max-depth>1</max-depth>'))).reply!;
    expect(top).toMatch(/<bgp xmlns="urn:bmpd:yang:bmpd"\/>|<bgp xmlns="urn:bmpd:yang:bmpd">\s*<\/bgp>/);

    // with-defaults (RFC 8526 §2.2 with-operational-defaults): explicit leaves the unconfigured buffer-size out.
    const bmp = '<xpath-filter xmlns:b="urn:bmpd:yang:bmpd">/b:bgp/b:bmp/b:buffer-size</xpath-filter>';
    expect((await rpc(getData('ds:operational', bmp))).reply).not.toContain('<buffer-size');
    const tagged = (await rpc(getData('ds:operational',
      `${bmp}<with-defaults xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults">report-all-tagged</with-defaults>`))).reply!;
    expect(startTag(tagged, 'buffer-size')).toMatch(/:default="true"/);
  }, 60_000);

  it('origin-filter and negated-origin-filter select configuration by origin; state is not filtered', async () => {
    const OR = 'urn:ietf:params:xml:ns:yang:ietf-origin';
    const all = '<with-defaults xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults">report-all</with-defaults>';
    const neighbors = '<xpath-filter xmlns:b="urn:bmpd:yang:bmpd">/b:bgp</xpath-filter>';
    const read = async (params: string) => (await rpc(getData('ds:operational', `${neighbors}${params}${all}`))).reply!;
    // Configured: remote-as, the server's address. Defaulted: bmp/buffer-size. State: the session.
    const intended = await read(`<origin-filter xmlns:or="${OR}">or:intended</origin-filter>`);
    expect(intended).toContain('<remote-as>65030</remote-as>');
    expect(intended).toContain(`<address>${COLLECTOR.host}</address>`);
    expect(intended).not.toMatch(/<buffer-size[\s>]/);
    expect(intended).toMatch(/<session-state>established</);
    const defaults = await read(`<origin-filter xmlns:or="${OR}">or:default</origin-filter>`);
    expect(defaults).toMatch(/<buffer-size>256</);
    expect(defaults).not.toContain('<remote-as>');
    expect(defaults).toMatch(/<session-state>established</);
    // Negated: everything configured that is not intended, i.e. the defaults.
    const negated = await read(`<negated-origin-filter xmlns:or="${OR}">or:intended</negated-origin-filter>`);
    expect(negated).toMatch(/<buffer-size>256</);
    expect(negated).not.toContain('<remote-as>');
    // or:origin is the base itself, which the type (identityref, base origin) does not take (RFC 7950
    // §9.10.2: identities derived from the base): invalid-value from the schema.
    const base = await rpc(getData('ds:operational', `<origin-filter xmlns:or="${OR}">or:origin</origin-filter>`));
    expect(base.error?.tag).toBe('invalid-value');
    // Two values are an or; the module name as prefix (libnetconf2's form) is accepted.
    const both = await read('<origin-filter>ietf-origin:intended</origin-filter><origin-filter>ietf-origin:default</origin-filter>');
    expect(both).toContain('<remote-as>65030</remote-as>');
    expect(both).toMatch(/<buffer-size>256</);
    // Nothing of bmpd's configuration is learned: only state, under the list keys that place it.
    const learned = await read(`<origin-filter xmlns:or="${OR}">or:learned</origin-filter><with-origin/>`);
    expect(learned).not.toContain('<remote-as>');
    expect(learned).not.toMatch(/<buffer-size[\s>]/);
    expect(learned).toMatch(/<session-state>established</);
    expect(learned).toMatch(/<remote-router-id [^>]*or:origin="or:learned"/);
  }, 60_000);

  it('answers hostile or malformed parameters with the rpc-error RFC 8526 names', async () => {
    const cases: [string, string][] = [
      [getData('ds:nonexistent'), 'invalid-value'],
      [getData('nonsense:operational'), 'invalid-value'],
      [`<get-data xmlns="${NMDA}"/>`, 'missing-element'],
      [getData('ds:running', '<with-origin/>'), 'invalid-value'],
      [getData('ds:operational', '<max-depth>0</max-depth>'), 'invalid-value'],
      [getData('ds:operational', '<config-filter>maybe</config-filter>'), 'invalid-value'],
      [getData('ds:operational', '<frobnicate/>'), 'unknown-element'],
      [getData('ds:operational', '<xpath-filter>/bmpd:bgp[</xpath-filter>'), 'invalid-value'],
      [getData('ds:running', '<origin-filter xmlns:or="urn:ietf:params:xml:ns:yang:ietf-origin">or:intended</origin-filter>'), 'invalid-value'],
      [getData('ds:operational', '<origin-filter xmlns:or="urn:ietf:params:xml:ns:yang:ietf-origin">or:nonsense</origin-filter>'), 'invalid-value'],
      [getData('ds:operational', '<origin-filter xmlns:x="urn:example">x:learned</origin-filter>'), 'invalid-value'],
      // Two cases of one choice: the schema's unknown-element (rpc-schema.ts).
      [getData('ds:operational', '<origin-filter>ietf-origin:learned</origin-filter><negated-origin-filter>ietf-origin:system</negated-origin-filter>'), 'unknown-element'],
      [`<edit-data xmlns="${NMDA}" xmlns:ds="${DS}"><datastore>ds:operational</datastore><config>${CONFIG}</config></edit-data>`, 'invalid-value'],
      [`<edit-data xmlns="${NMDA}" xmlns:ds="${DS}"><datastore>ds:intended</datastore><config>${CONFIG}</config></edit-data>`, 'invalid-value'],
      [`<edit-data xmlns="${NMDA}" xmlns:ds="${DS}"><datastore>ds:candidate</datastore></edit-data>`, 'missing-element'],
      [`<edit-data xmlns="${NMDA}" xmlns:ds="${DS}"><datastore>ds:candidate</datastore><config><bgp xmlns="${BMPD_NS}"><as-number>x</as-number></bgp></config></edit-data>`, 'invalid-value'],
    ];
    for (const [xml, tag] of cases) {
      const r = await rpc(xml);
      expect(r.error?.tag, xml).toBe(tag);
    }
    // The session and the agent keep serving.
    expect((await rpc(getData('ds:running'))).reply).toContain('<as-number>65000</as-number>');
  }, 120_000);
});

describe('bmpd-deviations: the modules promise no configuration bmpd ignores (ncclient)', () => {
  const NC_BASE = 'urn:ietf:params:xml:ns:netconf:base:1.0';
  const SN = 'urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications';
  /** One write to each subtree that RFC 8639's imports made implemented, and the error libyang's schema gives it. */
  const WRITES: { subtree: string; config: string; tag: string }[] = [
    { subtree: '/if:interfaces', tag: 'unknown-element',
      config: '<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>lo</name><enabled>false</enabled></interface></interfaces>' },
    { subtree: '/ni:network-instances', tag: 'unknown-element',
      config: '<network-instances xmlns="urn:ietf:params:xml:ns:yang:ietf-network-instance"><network-instance><name>red</name></network-instance></network-instances>' },
    { subtree: '/sn:subscriptions', tag: 'operation-failed',
      config: `<subscriptions xmlns="${SN}"><subscription><id>7</id><stream>NETCONF</stream><receivers><receiver><name>r</name></receiver></receivers></subscription></subscriptions>` },
    { subtree: '/sn:filters', tag: 'operation-failed',
      config: `<filters xmlns="${SN}"><stream-filter><name>f</name><stream-xpath-filter>/x</stream-xpath-filter></stream-filter></filters>` },
  ];
  const getConfig = (source: string) => `<get-config xmlns="${NC_BASE}"><source><${source}/></source></get-config>`;
  const body = (reply: string) => reply.replace(/message-id="[^"]*"/, '');

  it('refuses edit-config, edit-data and copy-config of /interfaces, /network-instances, /subscriptions and /filters; running and candidate stay as they were', async () => {
    const running = body((await rpc(getConfig('running'))).reply!);
    const candidate = body((await rpc(getConfig('candidate'))).reply!);
    for (const { subtree, config, tag } of WRITES) {
      const attempts = [
        `<edit-config xmlns="${NC_BASE}"><target><running/></target><config>${config}</config></edit-config>`,
        `<edit-data xmlns="${NMDA}" xmlns:ds="${DS}"><datastore>ds:candidate</datastore><config>${config}</config></edit-data>`,
        `<copy-config xmlns="${NC_BASE}"><target><candidate/></target><source><config>${CONFIG}${config}</config></source></copy-config>`,
      ];
      for (const attempt of attempts) {
        const r = await rpc(attempt);
        expect(r.reply, `${subtree}: ${attempt}`).toBeUndefined();
        expect(r.error?.tag, `${subtree}: ${attempt}`).toBe(tag);
        expect(r.error?.message, subtree).toMatch(tag === 'unknown-element' ? /not found in the "ietf-[\w-]+" module/ : /state node/);
      }
    }
    expect(body((await rpc(getConfig('running'))).reply!)).toBe(running);
    expect(body((await rpc(getConfig('candidate'))).reply!)).toBe(candidate);
    // The dynamic subscriptions are still reported there, as state.
    const streams = (await rpc(getData('ds:operational', `<xpath-filter xmlns:sn="${SN}">/sn:streams</xpath-filter>`))).reply!;
    expect(streams).toContain('<name>NETCONF</name>');
  }, 120_000);

  it('the yang-library, the hello and get-schema name the deviation module (RFC 8525, RFC 6020 §5.6.4, RFC 6022)', async () => {
    const library = (await rpc(getData('ds:operational',
      '<xpath-filter xmlns:yl="urn:ietf:params:xml:ns:yang:ietf-yang-library">/yl:yang-library/yl:module-set/yl:module</xpath-filter>'))).reply!;
    const entry = (name: string) => library.replace(/>\s+</g, '><').split('<module>').find((m) => m.startsWith(`<name>${name}</name>`)) ?? '';
    for (const deviated of ['ietf-interfaces', 'ietf-network-instance', 'ietf-subscribed-notifications']) {
      expect(entry(deviated), deviated).toContain('<deviation>bmpd-deviations</deviation>');
    }
    expect(entry('bmpd')).not.toContain('<deviation>');
    expect(entry('bmpd-deviations')).toContain('<namespace>urn:bmpd:yang:bmpd-deviations</namespace>');
    // RFC 7895's modules-state, which ncclient-era clients read: a deviation list entry with the revision.
    const legacy = (await rpc(getData('ds:operational',
      '<xpath-filter xmlns:yl="urn:ietf:params:xml:ns:yang:ietf-yang-library">/yl:modules-state/yl:module[yl:name=\'ietf-interfaces\']</xpath-filter>'))).reply!;
    expect(legacy).toMatch(/<deviation>\s*<name>bmpd-deviations<\/name>\s*<revision>\d{4}-\d{2}-\d{2}<\/revision>\s*<\/deviation>/);

    const hello = await runPython(NC, [agent.port, 'capabilities'], 60_000) as { capabilities: string[] };
    const capability = (module: string) => hello.capabilities.find((c) => c.includes(`module=${module}&`) || c.endsWith(`module=${module}`)) ?? '';
    expect(capability('ietf-interfaces')).toMatch(/[?&]deviations=bmpd-deviations(&|$)/);
    expect(capability('ietf-subscribed-notifications')).toMatch(/[?&]deviations=bmpd-deviations(&|$)/);
    expect(capability('bmpd-deviations')).toMatch(/^urn:bmpd:yang:bmpd-deviations\?module=bmpd-deviations&revision=\d{4}-\d{2}-\d{2}$/);
    expect(capability('bmpd')).not.toContain('deviations=');

    const schema = (await rpc('<get-schema xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring"><identifier>bmpd-deviations</identifier></get-schema>')).reply!;
    expect(schema).toContain('module bmpd-deviations');
    expect(schema).toMatch(/deviation "?\/if:interfaces"?/);
  }, 60_000);
});

describe('NMDA with libnetconf2', () => {
  const login = () => ({ port: agent.port, password: ADMIN_PASSWORD });

  it('connects, learns the schema through the yang-library (get-data of operational) and reads operational with origins', async () => {
    const r = await libnetconf2(client, login(), 'get-data', ['ietf-datastores:operational', '--filter', '/bmpd:bgp/neighbor', '--with-origin']);
    expect(r.code, r.stderr).toBe(0);
    const data = dataOf(r.lines);
    expect(data).toContain(`<address>${GOBGP}</address>`);
    expect(startTag(data.slice(data.indexOf('<neighbor')), 'remote-router-id')).toMatch(/origin="or:learned"/);
    expect(data).toMatch(/<session-state[^>]*>established</);
  }, 60_000);

  it('yang-library lists the five datastores', async () => {
    const r = await libnetconf2(client, login(), 'get-data', ['ietf-datastores:operational', '--filter', '/ietf-yang-library:yang-library/datastore']);
    expect(r.code, r.stderr).toBe(0);
    const names = [...dataOf(r.lines).matchAll(/<name[^>]*>([^<]+)<\/name>/g)].map((m) => m[1]!.replace(/^.*:/, ''));
    expect(names.sort()).toEqual(['candidate', 'intended', 'operational', 'running', 'startup']);
  }, 60_000);

  it('edit-data on candidate, max-depth and config-filter, and errors as rpc-errors', async () => {
    const edit = await libnetconf2(client, login(), 'edit-data', ['ietf-datastores:candidate',
      `<bgp xmlns="${BMPD_NS}"><neighbor><address>${GOBGP}</address><description>via libnetconf2</description></neighbor></bgp>`]);
    expect(edit.code, edit.stderr).toBe(0);
    expect(edit.lines[0]).toEqual({ type: 'reply', ok: true });
    const candidate = await libnetconf2(client, login(), 'get-data', ['ietf-datastores:candidate', '--filter', '/bmpd:bgp/neighbor/description']);
    expect(dataOf(candidate.lines)).toContain('<description>via libnetconf2</description>');
    const running = await libnetconf2(client, login(), 'get-data', ['ietf-datastores:running', '--filter', '/bmpd:bgp/neighbor/description']);
    expect(dataOf(running.lines)).not.toContain('via libnetconf2');

    const depth = await libnetconf2(client, login(), 'get-data', ['ietf-datastores:operational', '--filter', '/bmpd:bgp/neighbor', '--max-depth', '1']);
    expect(dataOf(depth.lines)).toMatch(new RegExp(`<neighbor>\\s*<address>${GOBGP.replace(/\./g, '\\.')}</address>\\s*</neighbor>`));
    const state = await libnetconf2(client, login(), 'get-data', ['ietf-datastores:operational', '--filter', '/bmpd:bgp/neighbor', '--config-filter', 'false']);
    expect(dataOf(state.lines)).toContain('<session-state>established</session-state>');
    expect(dataOf(state.lines)).not.toContain('<remote-as>');

    const denied = await libnetconf2(client, login(), 'edit-data', ['ietf-datastores:operational', `<bgp xmlns="${BMPD_NS}"/>`]);
    expect(denied.code).toBe(1);
    expect(errorsOf(denied.lines)[0]).toMatchObject({ tag: 'invalid-value', type: 'protocol' });
    const origin = await libnetconf2(client, login(), 'get-data', ['ietf-datastores:running', '--with-origin']);
    expect(errorsOf(origin.lines)[0]).toMatchObject({ tag: 'invalid-value' });

    // origin-filter as libnetconf2 sends it (nc_rpc_getdata): configured and defaulted nodes apart, state kept.
    const byOrigin = (origin: string, negated = false) => libnetconf2(client, login(), 'get-data', ['ietf-datastores:operational', '--filter', '/bmpd:bgp',
      '--origin-filter', origin, ...(negated ? ['--negated-origin-filter'] : []), '--with-defaults', 'report-all']);
    const intended = dataOf((await byOrigin('ietf-origin:intended')).lines);
    expect(intended).toContain('<remote-as>65030</remote-as>');
    expect(intended).not.toMatch(/<buffer-size[\s>]/);
    expect(intended).toContain('<session-state>established</session-state>');
    const notIntended = dataOf((await byOrigin('ietf-origin:intended', true)).lines);
    expect(notIntended).toMatch(/<buffer-size[^>]*>256</); // the client prints report-all-tagged
    expect(notIntended).not.toContain('<remote-as>');
  }, 90_000);

  it('NACM: a user denied the BMP servers reads operational without them, by filter or not, and may not edit-data (key login)', async () => {
    const reader = { port: agent.port, user: 'reader', key: readerKey };
    const all = await libnetconf2(client, reader, 'get-data', ['ietf-datastores:operational', '--filter', '/bmpd:bgp']);
    expect(all.code, all.stderr).toBe(0);
    // A server list entry starts with its key (bmp-activate's <server> leaf-list values do not).
    const serverEntries = /<server>\s*<id>/;
    expect(dataOf(all.lines)).toContain(`<address>${GOBGP}</address>`);
    expect(dataOf(all.lines)).toContain('<servers-configured>2</servers-configured>');
    expect(dataOf(all.lines)).not.toMatch(serverEntries);
    const servers = await libnetconf2(client, reader, 'get-data', ['ietf-datastores:operational', '--filter', '/bmpd:bgp/bmp/server/state']);
    expect(dataOf(servers.lines)).not.toMatch(serverEntries);
    const running = await libnetconf2(client, reader, 'get-data', ['ietf-datastores:running', '--filter', '/bmpd:bgp/bmp/server']);
    expect(dataOf(running.lines)).not.toMatch(serverEntries);
    const edit = await libnetconf2(client, reader, 'edit-data', ['ietf-datastores:candidate',
      `<bgp xmlns="${BMPD_NS}"><neighbor><address>${GOBGP}</address><description>reader</description></neighbor></bgp>`]);
    expect(errorsOf(edit.lines)[0]).toMatchObject({ tag: 'access-denied' });
    // admin still reads them.
    const admin = await libnetconf2(client, login(), 'get-data', ['ietf-datastores:operational', '--filter', '/bmpd:bgp/bmp/server/state/status']);
    expect(dataOf(admin.lines)).toMatch(/<status>up<\/status>/);
    expect(dataOf(admin.lines)).toMatch(serverEntries);
  }, 60_000);
});
