// Issue 10 item 6: every rpc's parameters are judged by the schema (libyang's netconf-rpc parse and
// the input's validation) before NACM and the handler run (src/netconf/rpc-schema.ts). Unknown or
// misplaced parameters get unknown-element, bad values invalid-value, missing mandatory ones
// missing-element, each naming the element (RFC 6241 Appendix A). On the agent before item 6,
// <get-config>, <lock> and <commit> accepted unknown parameters silently, and kill-session, get-schema,
// create-subscription and bmpd's RPCs were checked by hand, each its own way.
//
// Against the real agent (dist/src/main.js): one case per operation and fault, all while a probe
// session's <get-config> keeps being answered, and the datastores are byte-identical afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NETCONF_BASE_NS } from '../../../src/netconf/rpc-error.js';
import { OperationSchema, operationEnvelope } from '../../../src/netconf/rpc-schema.js';
import { readRpc, type ParsedOperation } from '../../../src/netconf/rpc.js';
import { parseXmlMessage } from '../../../src/netconf/xml.js';
import { loadYangModel } from '../../../src/yang/model.js';
import { rpcXml, type NcTestClient } from '../nc-client.js';
import { BMPD_NS, errorTag, ok, startHostileAgent, underAttack, type HostileAgent } from './harness.js';

const WD = 'xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults"';
const MON = 'xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring"';
const NOTIF = 'xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"';
const NMDA = 'xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-nmda" xmlns:ds="urn:ietf:params:xml:ns:yang:ietf-datastores"';
const BMPD = `xmlns="${BMPD_NS}"`;
const SN = 'xmlns="urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications"';
const YP_NS = 'urn:ietf:params:xml:ns:yang:ietf-yang-push';
const OPERATIONAL = `<datastore xmlns="${YP_NS}" xmlns:ds="urn:ietf:params:xml:ns:yang:ietf-datastores">ds:operational</datastore>`;

type Fault = 'unknown' | 'misplaced' | 'bad value' | 'missing';

/**
 * [operation, fault, the operation element, the error-tag, the bad-element]. A mandatory choice missing
 * or given two cases (<source>'s datastores) names the node that holds it, as libyang reports it.
 */
const CASES: readonly (readonly [string, Fault, string, string, string])[] = [
  ['frobnicate', 'unknown', '<frobnicate/>', 'operation-not-supported', 'frobnicate'],
  ['get-config', 'unknown', '<get-config><source><running/></source><bogus/></get-config>', 'unknown-element', 'bogus'],
  ['get-config', 'misplaced', '<get-config><target><running/></target><source><running/></source></get-config>', 'unknown-element', 'target'],
  ['get-config', 'unknown', '<get-config><source><running/></source><filter xmlns="urn:example:other"/></get-config>', 'unknown-namespace', 'filter'],
  ['get-config', 'bad value', `<get-config><source><scratch/></source></get-config>`, 'unknown-element', 'scratch'],
  ['get-config', 'bad value', `<get-config><source><running/></source><with-defaults ${WD}>all</with-defaults></get-config>`, 'invalid-value', 'with-defaults'],
  ['get-config', 'missing', '<get-config/>', 'missing-element', 'get-config'],
  ['get', 'misplaced', '<get><source><running/></source></get>', 'unknown-element', 'source'],
  ['get', 'bad value', `<get><with-defaults ${WD}>everything</with-defaults></get>`, 'invalid-value', 'with-defaults'],
  ['edit-config', 'unknown', '<edit-config><target><candidate/></target><bogus/><config/></edit-config>', 'unknown-element', 'bogus'],
  ['edit-config', 'misplaced', '<edit-config><target><startup/></target><config/></edit-config>', 'unknown-element', 'startup'],
  ['edit-config', 'bad value', '<edit-config><target><candidate/></target><default-operation>merge-all</default-operation><config/></edit-config>', 'invalid-value', 'default-operation'],
  ['edit-config', 'missing', '<edit-config><target><candidate/></target></edit-config>', 'missing-element', 'edit-config'],
  ['copy-config', 'unknown', '<copy-config><target><candidate/></target><source><running/></source><force/></copy-config>', 'unknown-element', 'force'],
  ['copy-config', 'missing', '<copy-config><target><candidate/></target></copy-config>', 'missing-element', 'copy-config'],
  ['delete-config', 'misplaced', '<delete-config><target><running/></target></delete-config>', 'unknown-element', 'running'],
  ['delete-config', 'missing', '<delete-config/>', 'missing-element', 'delete-config'],
  ['lock', 'unknown', '<lock><target><candidate/></target><force/></lock>', 'unknown-element', 'force'],
  ['lock', 'bad value', '<lock><target><candidate/><running/></target></lock>', 'unknown-element', 'lock'],
  ['lock', 'missing', '<lock/>', 'missing-element', 'lock'],
  ['unlock', 'misplaced', '<unlock><source><candidate/></source></unlock>', 'unknown-element', 'source'],
  ['validate', 'missing', '<validate/>', 'missing-element', 'validate'],
  ['commit', 'unknown', '<commit><now/></commit>', 'unknown-element', 'now'],
  ['commit', 'bad value', '<commit><confirmed/><confirm-timeout>4294967296</confirm-timeout></commit>', 'invalid-value', 'confirm-timeout'],
  ['commit', 'bad value', '<commit><confirmed/><confirm-timeout>0</confirm-timeout></commit>', 'invalid-value', 'confirm-timeout'],
  ['commit', 'bad value', '<commit><confirmed>yes</confirmed></commit>', 'invalid-value', 'confirmed'],
  ['cancel-commit', 'misplaced', '<cancel-commit><persist>p</persist></cancel-commit>', 'unknown-element', 'persist'],
  ['discard-changes', 'unknown', '<discard-changes><all/></discard-changes>', 'unknown-element', 'all'],
  ['close-session', 'unknown', '<close-session><now/></close-session>', 'unknown-element', 'now'],
  ['kill-session', 'unknown', '<kill-session><session-id>999</session-id><force/></kill-session>', 'unknown-element', 'force'],
  ['kill-session', 'misplaced', '<kill-session><session-id>998</session-id><session-id>999</session-id></kill-session>', 'unknown-element', 'session-id'],
  ['kill-session', 'bad value', '<kill-session><session-id>0</session-id></kill-session>', 'invalid-value', 'session-id'],
  ['kill-session', 'bad value', '<kill-session><session-id>abc</session-id></kill-session>', 'invalid-value', 'session-id'],
  ['kill-session', 'missing', '<kill-session/>', 'missing-element', 'session-id'],
  ['get-schema', 'unknown', `<get-schema ${MON}><identifier>bmpd</identifier><bogus/></get-schema>`, 'unknown-element', 'bogus'],
  ['get-schema', 'bad value', `<get-schema ${MON}><identifier>bmpd</identifier><format>pdf</format></get-schema>`, 'invalid-value', 'format'],
  ['get-schema', 'missing', `<get-schema ${MON}><version>2026-11-26</version></get-schema>`, 'missing-element', 'identifier'],
  ['create-subscription', 'unknown', `<create-subscription ${NOTIF}><bogus/></create-subscription>`, 'unknown-element', 'bogus'],
  ['create-subscription', 'misplaced', `<create-subscription ${NOTIF}><source xmlns="${NETCONF_BASE_NS}"><running/></source></create-subscription>`, 'unknown-element', 'source'],
  ['create-subscription', 'bad value', `<create-subscription ${NOTIF}><startTime>yesterday</startTime></create-subscription>`, 'invalid-value', 'startTime'],
  ['get-data', 'unknown', `<get-data ${NMDA}><datastore>ds:running</datastore><bogus/></get-data>`, 'unknown-element', 'bogus'],
  ['get-data', 'misplaced', `<get-data ${NMDA}><datastore>ds:running</datastore><subtree-filter/><xpath-filter>/</xpath-filter></get-data>`, 'unknown-element', 'get-data'],
  ['get-data', 'bad value', `<get-data ${NMDA}><datastore>ds:running</datastore><max-depth>0</max-depth></get-data>`, 'invalid-value', 'max-depth'],
  ['get-data', 'bad value', `<get-data ${NMDA}><datastore>ds:running</datastore><with-origin/></get-data>`, 'invalid-value', 'with-origin'],
  ['get-data', 'bad value', `<get-data ${NMDA}><datastore>ds:nowhere</datastore></get-data>`, 'invalid-value', 'datastore'],
  ['get-data', 'missing', `<get-data ${NMDA}><max-depth>1</max-depth></get-data>`, 'missing-element', 'datastore'],
  ['edit-data', 'unknown', `<edit-data ${NMDA}><datastore>ds:candidate</datastore><bogus/><config/></edit-data>`, 'unknown-element', 'bogus'],
  ['edit-data', 'bad value', `<edit-data ${NMDA}><datastore>ds:candidate</datastore><default-operation>merge-all</default-operation><config/></edit-data>`, 'invalid-value', 'default-operation'],
  ['edit-data', 'bad value', `<edit-data ${NMDA}><datastore>ds:operational</datastore><config/></edit-data>`, 'invalid-value', 'datastore'],
  ['edit-data', 'missing', `<edit-data ${NMDA}><datastore>ds:candidate</datastore></edit-data>`, 'missing-element', 'edit-data'],
  ['reset-bmp-server', 'unknown', `<reset-bmp-server ${BMPD}><server>1</server><now/></reset-bmp-server>`, 'unknown-element', 'now'],
  ['reset-bmp-server', 'bad value', `<reset-bmp-server ${BMPD}><server>x</server></reset-bmp-server>`, 'invalid-value', 'server'],
  ['reset-bmp-server', 'bad value', `<reset-bmp-server ${BMPD}><server>9</server></reset-bmp-server>`, 'invalid-value', 'server'],
  ['reset-bmp-server', 'missing', `<reset-bmp-server ${BMPD}/>`, 'missing-element', 'server'],
  ['reset-bgp-neighbor', 'misplaced', `<reset-bgp-neighbor ${BMPD}><address>127.0.40.2</address><server>1</server></reset-bgp-neighbor>`, 'unknown-element', 'server'],
  ['reset-bgp-neighbor', 'bad value', `<reset-bgp-neighbor ${BMPD}><address>127.0.40.999</address></reset-bgp-neighbor>`, 'invalid-value', 'address'],
  ['reset-bgp-neighbor', 'bad value', `<reset-bgp-neighbor ${BMPD}><address>127.0.40.2</address><mode>gentle</mode></reset-bgp-neighbor>`, 'invalid-value', 'mode'],
  ['reset-bgp-neighbor', 'bad value', `<reset-bgp-neighbor ${BMPD}><address>127.0.40.2</address><vrf>blue</vrf></reset-bgp-neighbor>`, 'invalid-value', 'vrf'],
  ['reset-bgp-neighbor', 'missing', `<reset-bgp-neighbor ${BMPD}><mode>soft-in</mode></reset-bgp-neighbor>`, 'missing-element', 'address'],
  ['clear-bmp-counters', 'unknown', `<clear-bmp-counters ${BMPD}><all/></clear-bmp-counters>`, 'unknown-element', 'all'],
  ['clear-bmp-counters', 'bad value', `<clear-bmp-counters ${BMPD}><server>-1</server></clear-bmp-counters>`, 'invalid-value', 'server'],
  ['debug-bmp', 'unknown', `<debug-bmp ${BMPD}><enable>event</enable><verbose/></debug-bmp>`, 'unknown-element', 'verbose'],
  ['debug-bmp', 'bad value', `<debug-bmp ${BMPD}><enable>everything</enable></debug-bmp>`, 'invalid-value', 'enable'],
  // <url> where :url is not advertised (ietf-netconf's `if-feature url` is off): RFC 6241 Appendix A's
  // unknown-element ("an unexpected element is present"), not operation-not-supported, which is for an
  // operation the server does not have (<frobnicate/> above); libnetconf2 (Netopeer2) answers the same.
  ['edit-config', 'unknown', '<edit-config><target><candidate/></target><url>file:///tmp/bmpd.xml</url></edit-config>', 'unknown-element', 'url'],
  ['copy-config', 'unknown', '<copy-config><target><candidate/></target><source><url>file:///tmp/bmpd.xml</url></source></copy-config>', 'unknown-element', 'url'],
  ['copy-config', 'unknown', '<copy-config><target><url>file:///tmp/bmpd.xml</url></target><source><running/></source></copy-config>', 'unknown-element', 'url'],
  ['delete-config', 'unknown', '<delete-config><target><url>file:///tmp/bmpd.xml</url></target></delete-config>', 'unknown-element', 'url'],
  ['validate', 'unknown', '<validate><source><url>file:///tmp/bmpd.xml</url></source></validate>', 'unknown-element', 'url'],
  // RFC 8639's four RPCs are judged like every other (their own identities: the last test below).
  ['establish-subscription', 'unknown', `<establish-subscription ${SN}><stream>NETCONF</stream><bogus/></establish-subscription>`, 'unknown-element', 'bogus'],
  ['establish-subscription', 'misplaced', `<establish-subscription ${SN}><stream>NETCONF</stream><period xmlns="${YP_NS}">100</period></establish-subscription>`, 'unknown-element', 'period'],
  ['establish-subscription', 'bad value', `<establish-subscription ${SN}><stream>NETCONF</stream><stop-time>soon</stop-time></establish-subscription>`, 'invalid-value', 'stop-time'],
  ['establish-subscription', 'missing', `<establish-subscription ${SN}/>`, 'missing-element', 'establish-subscription'],
  ['modify-subscription', 'misplaced', `<modify-subscription ${SN}><id>1</id><stream>NETCONF</stream></modify-subscription>`, 'unknown-element', 'stream'],
  ['modify-subscription', 'missing', `<modify-subscription ${SN}><id>1</id><stop-time>2099-01-01T00:00:00Z</stop-time></modify-subscription>`, 'missing-element', 'modify-subscription'],
  ['delete-subscription', 'bad value', `<delete-subscription ${SN}><id>one</id></delete-subscription>`, 'invalid-value', 'id'],
  ['kill-subscription', 'unknown', `<kill-subscription ${SN}><id>1</id><force/></kill-subscription>`, 'unknown-element', 'force'],
  ['kill-subscription', 'missing', `<kill-subscription ${SN}/>`, 'missing-element', 'id'],
];

describe('strict RPCs against the agent', () => {
  let agent: HostileAgent;
  let client: NcTestClient;
  const replies = new Map<string, string>();

  beforeAll(async () => {
    agent = await startHostileAgent();
    client = await agent.session();
    // Every case once, while a probe session works; nothing may change any datastore.
    await underAttack(agent, { replyBoundMs: 60_000, rssBoundBytes: 64 * 1024 * 1024 }, async () => {
      for (const [, , operation] of CASES) replies.set(operation, await client.rpc(rpcXml('s', operation), 10_000));
    });
  }, 180_000);

  afterAll(async () => {
    client?.end();
    await agent?.stop();
  });

  it('logs each refusal with the operation, the error-tag and the element, long names cut', async () => {
    const long = 'x'.repeat(5000);
    expect(errorTag(await client.rpc(rpcXml('l', `<kill-session><${long}/></kill-session>`)))).toBe('unknown-element');
    const refused = agent.agent.logs.filter((l) => l.msg === 'rpc parameters refused by the schema');
    expect(refused).toContainEqual(expect.objectContaining({ operation: 'kill-session', tag: 'missing-element', badElement: 'session-id' }));
    expect(refused).toContainEqual(expect.objectContaining({ operation: 'reset-bmp-server', tag: 'invalid-value', badElement: 'server' }));
    const cut = refused.find((l) => String(l.badElement).startsWith('xxx'));
    expect(String(cut?.badElement)).toBe(`${'x'.repeat(128)}…(5000 chars)`);
  });

  it.each(CASES)('%s, %s parameter: %s is %s naming <%s>', (_name, _fault, operation, tag, badElement) => {
    const reply = replies.get(operation)!;
    expect(errorTag(reply)).toBe(tag);
    expect(reply).toContain(`<bad-element>${badElement}</bad-element>`);
    expect(reply).not.toContain('<ok/>');
  });

  it('the refused close-session and kill-session left the session open, and the handlers read typed input', async () => {
    // debug-bmp's leaf-list, read from the judged input, answers with the topics now on.
    const debug = await client.rpc(rpcXml('d', `<debug-bmp ${BMPD}><enable>event</enable><enable>server</enable></debug-bmp>`));
    expect(debug).toContain(`<enabled xmlns="${BMPD_NS}">event</enabled>`);
    expect(debug).toContain(`<enabled xmlns="${BMPD_NS}">server</enabled>`);
    // With every topic off there are no output parameters: <ok/> (RFC 7950 §7.14.4).
    ok(await client.rpc(rpcXml('o', `<debug-bmp ${BMPD}><disable>event</disable><disable>server</disable></debug-bmp>`)));
    // The schema's default (merge) and a module-name identity prefix as libnetconf2 writes it.
    const data = await client.rpc(rpcXml('g', '<get-data xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-nmda">' +
      `<datastore>ietf-datastores:running</datastore><xpath-filter xmlns:b="${BMPD_NS}">/b:bgp/b:as-number</xpath-filter></get-data>`));
    expect(data).toContain('<as-number>65000</as-number>');
    // kill-session of a session that does not exist: valid input, the handler's own answer.
    const kill = await client.rpc(rpcXml('k', '<kill-session><session-id>4000000000</session-id></kill-session>'));
    expect(errorTag(kill)).toBe('invalid-value');
    expect(kill).toContain('no session 4000000000');
  });

  it('does not advertise :url, whose <url> parameters it refuses (RFC 6241 §8.8)', async () => {
    const capabilities = await client.rpc(rpcXml('c', `<get><filter type="subtree"><netconf-state ${MON}><capabilities/></netconf-state></filter></get>`));
    expect(capabilities).toContain('<capability>urn:ietf:params:netconf:capability:candidate:1.0</capability>');
    expect(capabilities).not.toContain('capability:url');
  });

  // RFC 8639's error identities past the schema (RFC 8640 §2.4.1: invalid-value, the identity as error-app-tag).
  it.each([
    ['an unknown stream', `<establish-subscription ${SN}><stream>SYSLOG</stream></establish-subscription>`, 'ietf-subscribed-notifications:stream-unavailable'],
    ['a named filter (bmpd has none)', `<establish-subscription ${SN}><stream>NETCONF</stream><stream-filter-name>f</stream-filter-name></establish-subscription>`, 'ietf-subscribed-notifications:filter-unsupported'],
    ['an xpath filter that does not parse', `<establish-subscription ${SN}>${OPERATIONAL}<datastore-xpath-filter xmlns="${YP_NS}">/b:bgp[</datastore-xpath-filter>` +
      `<periodic xmlns="${YP_NS}"><period>100</period></periodic></establish-subscription>`, 'ietf-subscribed-notifications:filter-unsupported'],
    ['an encoding bmpd does not have', `<establish-subscription ${SN}><stream>NETCONF</stream><encoding>encode-json</encoding></establish-subscription>`, 'ietf-subscribed-notifications:encoding-unsupported'],
    ['a period below 100 ms', `<establish-subscription ${SN}>${OPERATIONAL}<periodic xmlns="${YP_NS}"><period>1</period></periodic></establish-subscription>`, 'ietf-yang-push:period-unsupported'],
    ['modify of no subscription', `<modify-subscription ${SN}><id>77</id>${OPERATIONAL}</modify-subscription>`, 'ietf-subscribed-notifications:no-such-subscription'],
    ['kill of no subscription', `<kill-subscription ${SN}><id>77</id></kill-subscription>`, 'ietf-subscribed-notifications:no-such-subscription'],
  ])('%s', async (_what, operation, identity) => {
    const reply = await client.rpc(rpcXml('i', operation));
    expect(errorTag(reply)).toBe('invalid-value');
    expect(reply).toContain(`<error-app-tag>${identity}</error-app-tag>`);
  });

  it('a refusal restated in RFC 8639\'s terms is logged with its identity', async () => {
    await client.rpc(rpcXml('f', `<establish-subscription ${SN}><stream>NETCONF</stream><stream-xpath-filter>((</stream-xpath-filter></establish-subscription>`));
    const restated = expect.objectContaining({ msg: 'rpc parameters refused by the schema', operation: 'establish-subscription', tag: 'invalid-value',
      appTag: 'ietf-subscribed-notifications:filter-unsupported', badElement: 'stream-xpath-filter' });
    // The agent's log lines arrive through its stdout, possibly just after the reply.
    await expect.poll(() => agent.agent.logs, { timeout: 5000 }).toContainEqual(restated);
  });
});

describe('the envelope the schema judges', () => {
  function operation(inner: string, rpcAttributes = `xmlns="${NETCONF_BASE_NS}"`): ParsedOperation {
    const read = readRpc(parseXmlMessage(`<rpc ${rpcAttributes} message-id="1">${inner}</rpc>`));
    if (read.kind !== 'rpc') throw new Error('not an rpc');
    return read.rpc.operation;
  }

  it('reads un-namespaced operations and parameters as NETCONF\'s (Ansible <get/>, ncclient <config>)', async () => {
    const { context } = await loadYangModel();
    const running = context.emptyTree();
    const schema = new OperationSchema(context, () => running);
    const ansible = operation('<get xmlns=""/>');
    expect(operationEnvelope(ansible)).toBe(`<rpc xmlns="${NETCONF_BASE_NS}" message-id="1"><get xmlns="${NETCONF_BASE_NS}"></get></rpc>`);
    expect(schema.input(ansible)).toEqual({});
    const ncclient = operation(`<edit-config><target><candidate/></target><config xmlns=""><bgp xmlns="${BMPD_NS}"/></config></edit-config>`);
    expect(schema.input(ncclient)).toMatchObject({ target: { candidate: [null] }, 'default-operation': 'merge', 'error-option': 'stop-on-error' });
  });

  it('keeps only the envelope: the content of a large <config> is not in it', () => {
    const neighbors = Array.from({ length: 1000 }, (_, i) => `<neighbor><address>127.1.0.${i % 250}</address></neighbor>`).join('');
    const op = operation(`<edit-config><target><candidate/></target><config><bgp xmlns="${BMPD_NS}">${neighbors}</bgp></config></edit-config>`);
    const envelope = operationEnvelope(op);
    expect(envelope).not.toContain('neighbor');
    expect(envelope.length).toBeLessThan(400);
  });
});
