// RFC 8341 decisions (src/netconf/nacm.ts) against the served modules: rule
// matching, path rules against data nodes, groups, defaults and the schema's
// default-deny-write / default-deny-all marks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NACM_NS, UserRules, ancestorPaths, defaultDenyOf, elidePrinted, nacmConfigFromJson, parsePath, pathCovers,
  type DefaultDeny, type NacmConfig,
} from '../../src/netconf/nacm.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';

const BMPD = 'urn:bmpd:yang:bmpd';
let model: YangModel;
let deny: DefaultDeny;

beforeAll(async () => {
  model = await loadYangModel();
  deny = defaultDenyOf(model.modules.filter((m) => m.implemented).map((m) => m.name), (name) => model.context.moduleText(name, null, 'yin'));
});
afterAll(() => model.context.destroy());

/** /nacm as configured by `inner`, read the way the server reads it (validated, JSON). */
function config(inner: string): NacmConfig {
  const tree = model.context.parseData(`<nacm xmlns="${NACM_NS}" xmlns:b="${BMPD}">${inner}</nacm>`, { configOnly: true, strict: true });
  try {
    const nacm = tree.select('/ietf-netconf-acm:nacm');
    try { return nacmConfigFromJson(nacm.print({ format: 'json', withDefaults: 'report-all' })); } finally { nacm.free(); }
  } finally { tree.free(); }
}

function rule(name: string, body: string, action: 'permit' | 'deny' = 'permit'): string {
  return `<rule><name>${name}</name>${body}<action>${action}</action></rule>`;
}

function ruleList(name: string, groups: string[], rules: string): string {
  return `<rule-list><name>${name}</name>${groups.map((g) => `<group>${g}</group>`).join('')}${rules}</rule-list>`;
}

describe('paths', () => {
  it('a rule path covers the node it names and its descendants, keys compared when the rule gives them', () => {
    const rulePath = parsePath("/bmpd:bgp/bmp/server")!;
    expect(pathCovers(rulePath, parsePath("/bmpd:bgp/bmp/server[id='1']/address")!)).toBe(true);
    expect(pathCovers(rulePath, parsePath('/bmpd:bgp/bmp')!)).toBe(false);
    expect(pathCovers(rulePath, parsePath("/bmpd:bgp/neighbor[address='1.1.1.1']")!)).toBe(false);
    const keyed = parsePath("/bmpd:bgp/bmpd:neighbor[bmpd:address='10.0.0.1']")!;
    expect(pathCovers(keyed, parsePath("/bmpd:bgp/neighbor[address='10.0.0.1']/description")!)).toBe(true);
    expect(pathCovers(keyed, parsePath("/bmpd:bgp/neighbor[address='10.0.0.2']/description")!)).toBe(false);
    expect(pathCovers(parsePath('/ietf-netconf-acm:nacm')!, parsePath('/bmpd:bgp')!)).toBe(false);
  });

  it('what is not a node-instance-identifier parses to null and so matches nothing', () => {
    expect(parsePath('//server')).toBeNull();
    expect(parsePath('/bmpd:bgp/*')).toBeNull();
    expect(parsePath("/bmpd:bgp/neighbor[1]")).toBeNull();
    expect(parsePath('bgp')).toBeNull();
  });

  it('ancestors are split outside quoted keys', () => {
    expect(ancestorPaths("/a:x/y[k='p/q']/z")).toEqual(['/a:x', "/a:x/y[k='p/q']"]);
  });
});

describe('the schema marks', () => {
  it('finds nacm:default-deny-all on the neighbor password (through the grouping), /nacm and two ietf-netconf operations', () => {
    expect(deny.data.get('/bmpd:bgp/bmpd:neighbor/bmpd:password')).toBe('all');
    expect(deny.data.get('/bmpd:bgp/bmpd:vrf/bmpd:address-family/bmpd:neighbor/bmpd:password')).toBe('all');
    expect(deny.data.get('/ietf-netconf-acm:nacm')).toBe('all');
    expect(deny.operations.get('ietf-netconf:kill-session')).toBe('all');
    expect(deny.operations.get('ietf-netconf:delete-config')).toBe('all');
    expect(deny.operations.has('ietf-netconf:get')).toBe(false);
    expect(deny.nonPresence.has('/bmpd:bgp/bmpd:bmp')).toBe(true);
  });
});

describe('protocol operations (§3.4.4)', () => {
  const c = () => config(
    '<exec-default>permit</exec-default>' +
    '<groups><group><name>ops</name><user-name>olga</user-name></group></groups>' +
    ruleList('ops', ['ops'], rule('no-reset', '<module-name>bmpd</module-name><rpc-name>reset-bgp-neighbor</rpc-name><access-operations>exec</access-operations>', 'deny')) +
    ruleList('all', ['admin'], rule('permit-all', '<module-name>*</module-name><access-operations>*</access-operations>')));

  it('the first matching rule decides; without one exec-default does', () => {
    const olga = new UserRules(c(), deny, 'olga', []);
    expect(olga.groups).toEqual(['ops']);
    expect(olga.operation('bmpd', 'reset-bgp-neighbor')).toEqual({ permit: false, rule: 'ops/no-reset' });
    expect(olga.operation('bmpd', 'reset-bmp-server')).toEqual({ permit: true, rule: null });
  });

  it('default-deny-all operations are denied without a rule, and permitted by one', () => {
    expect(new UserRules(c(), deny, 'olga', []).operation('ietf-netconf', 'kill-session').permit).toBe(false);
    expect(new UserRules(c(), deny, 'ada', ['admin']).operation('ietf-netconf', 'kill-session')).toEqual({ permit: true, rule: 'all/permit-all' });
  });

  it('external groups count only while enable-external-groups is true', () => {
    const off = config('<enable-external-groups>false</enable-external-groups>' +
      ruleList('all', ['admin'], rule('permit-all', '<module-name>*</module-name><access-operations>*</access-operations>')));
    expect(new UserRules(off, deny, 'ada', ['admin']).groups).toEqual([]);
    expect(new UserRules(off, deny, 'ada', ['admin']).operation('ietf-netconf', 'delete-config').permit).toBe(false);
  });

  it('exec-default deny denies what no rule permits', () => {
    const strict = config('<exec-default>deny</exec-default>');
    expect(new UserRules(strict, deny, 'x', []).operation('ietf-netconf', 'get').permit).toBe(false);
  });
});

describe('data writes (§3.4.5)', () => {
  const automation = () => new UserRules(config(
    ruleList('auto', ['automation'], rule('servers', '<module-name>bmpd</module-name><path>/b:bgp/b:bmp/b:server</path><access-operations>create update delete</access-operations>'))),
    deny, 'robot', ['automation']);

  it('a path rule permits writes inside the node it names; write-default denies the rest', () => {
    const r = automation();
    expect(r.dataNode('create', "/bmpd:bgp/bmp/server[id='3']", '/bmpd:bgp/bmpd:bmp/bmpd:server').permit).toBe(true);
    expect(r.dataNode('update', "/bmpd:bgp/bmp/server[id='3']/address", '/bmpd:bgp/bmpd:bmp/bmpd:server/bmpd:address').permit).toBe(true);
    expect(r.dataNode('update', '/bmpd:bgp/bmp/buffer-size', '/bmpd:bgp/bmpd:bmp/bmpd:buffer-size')).toEqual({ permit: false, rule: null });
    expect(r.dataNode('read', '/bmpd:bgp/bmp/buffer-size', '/bmpd:bgp/bmpd:bmp/bmpd:buffer-size').permit).toBe(true);
  });

  it('access-operations name the operations a rule is about', () => {
    const r = new UserRules(config(ruleList('l', ['g'],
      rule('upd', "<module-name>bmpd</module-name><path>/b:bgp/b:neighbor[b:address='10.0.0.9']</path><access-operations>read update</access-operations>"))), deny, 'u', ['g']);
    const path = "/bmpd:bgp/neighbor[address='10.0.0.9']/description";
    const schema = '/bmpd:bgp/bmpd:neighbor/bmpd:description';
    expect(r.dataNode('update', path, schema).permit).toBe(true);
    expect(r.dataNode('create', path, schema).permit).toBe(false);
    expect(r.dataNode('update', "/bmpd:bgp/neighbor[address='10.0.0.8']/description", schema).permit).toBe(false);
  });

  it('default-deny-all hides the password even where write-default and read-default permit', () => {
    const open = new UserRules(config('<write-default>permit</write-default>'), deny, 'u', []);
    const pw = "/bmpd:bgp/neighbor[address='10.0.0.1']/password";
    expect(open.dataNode('create', pw, '/bmpd:bgp/bmpd:neighbor/bmpd:password').permit).toBe(false);
    expect(open.dataNode('read', pw, '/bmpd:bgp/bmpd:neighbor/bmpd:password').permit).toBe(false);
    expect(open.dataNode('create', "/bmpd:bgp/neighbor[address='10.0.0.1']/description", '/bmpd:bgp/bmpd:neighbor/bmpd:description').permit).toBe(true);
  });

  it('default-deny-write denies writes but not reads of a node no rule decides', () => {
    const marked: DefaultDeny = { ...deny, data: new Map([...deny.data, ['/bmpd:bgp/bmpd:as-number', 'write' as const]]) };
    const open = new UserRules(config('<write-default>permit</write-default>'), marked, 'u', []);
    expect(open.dataNode('update', '/bmpd:bgp/as-number', '/bmpd:bgp/bmpd:as-number').permit).toBe(false);
    expect(open.dataNode('read', '/bmpd:bgp/as-number', '/bmpd:bgp/bmpd:as-number').permit).toBe(true);
    const permitted = new UserRules(config('<write-default>permit</write-default>' + ruleList('l', ['g'],
      rule('asn', '<module-name>bmpd</module-name><path>/b:bgp/b:as-number</path><access-operations>update</access-operations>'))), marked, 'u', ['g']);
    expect(permitted.dataNode('update', '/bmpd:bgp/as-number', '/bmpd:bgp/bmpd:as-number').permit).toBe(true);
  });

  it('a module rule with module-name * covers every data node, default-deny-all included', () => {
    const admin = new UserRules(config(ruleList('admin', ['admin'], rule('all', '<module-name>*</module-name><access-operations>*</access-operations>'))), deny, 'a', ['admin']);
    expect(admin.dataNode('update', '/ietf-netconf-acm:nacm/enable-nacm', '/ietf-netconf-acm:nacm/ietf-netconf-acm:enable-nacm').permit).toBe(true);
  });
});

describe('read pruning (§3.4.5) over a reply tree', () => {
  const data = `<bgp xmlns="${BMPD}"><as-number>65000</as-number>` +
    '<bmp><server><id>1</id><address>127.0.1.1</address><port-number>8000</port-number></server></bmp>' +
    '<neighbor><address>10.0.0.1</address><remote-as>65001</remote-as><password>s3cret</password></neighbor>' +
    '<neighbor><address>10.0.0.2</address><remote-as>65002</remote-as><description>two</description></neighbor></bgp>' +
    `<nacm xmlns="${NACM_NS}"/>`;

  function hidden(rules: UserRules): string[] {
    const tree = model.context.parseData(data, { configOnly: true, strict: true });
    try {
      const pruning = rules.readPruning(tree);
      return [...new Set([...pruning.paths, ...pruning.everywhere.flatMap((e) => e.paths())])].sort();
    } finally { tree.free(); }
  }

  it('default-deny-all nodes hidden wherever they occur are reported by schema path, for the printed reply', () => {
    const tree = model.context.parseData(data, { configOnly: true, strict: true });
    try {
      const pruning = new UserRules(config(''), deny, 'u', []).readPruning(tree);
      const bySchema = new Map(pruning.everywhere.map((e) => [e.schemaPath, e.paths()]));
      expect(bySchema.get('/bmpd:bgp/bmpd:neighbor/bmpd:password')).toEqual(["/bmpd:bgp/neighbor[address='10.0.0.1']/password"]);
      expect(bySchema.get('/ietf-netconf-acm:nacm')).toEqual(['/ietf-netconf-acm:nacm']);
      expect(bySchema.get('/bmpd:bgp/bmpd:vrf/bmpd:address-family/bmpd:neighbor/bmpd:password')).toEqual([]);
      expect(pruning.paths.filter((p) => p !== '/ietf-netconf-acm:nacm')).toEqual([]);
    } finally { tree.free(); }
  });

  it('elidePrinted drops exactly what removing the nodes from the tree drops, in every with-defaults mode', () => {
    const namespaceOf = (m: string) => model.modules.find((x) => x.name === m)?.namespace ?? null;
    const text = data.replace('<description>two</description>', '<description>two &lt;lines&gt;\nand &amp; more</description><password>p&lt;/password&gt;</password>');
    for (const mode of ['explicit', 'trim', 'report-all', 'report-all-tagged'] as const) {
      const tree = model.context.parseData(text, { configOnly: true, strict: true });
      const empty = model.context.emptyTree();
      try {
        const pruning = new UserRules(config(''), deny, 'u', []).readPruning(tree);
        const elided = elidePrinted(tree.print({ format: 'xml', withDefaults: mode }), pruning.everywhere.map((e) => e.schemaPath), namespaceOf);
        expect(tree.copyPaths(empty, pruning.everywhere.flatMap((e) => e.paths()))).toBe(true);
        expect(elided, mode).toBe(tree.print({ format: 'xml', withDefaults: mode }));
        expect(elided).not.toContain('password');
        expect(elided).toContain('<remote-as>65002</remote-as>');
      } finally { tree.free(); empty.free(); }
    }
  });

  it('without rules: the passwords and /nacm (default-deny-all)', () => {
    expect(hidden(new UserRules(config(''), deny, 'u', []))).toEqual([
      "/bmpd:bgp/neighbor[address='10.0.0.1']/password",
      '/ietf-netconf-acm:nacm',
    ]);
  });

  it('a rule that reaches a default-deny-all node decides it instance by instance', () => {
    const data2 = data.replace('<description>two</description>', '<description>two</description><password>other</password>');
    const tree = model.context.parseData(data2, { configOnly: true, strict: true });
    try {
      const r = new UserRules(config(ruleList('l', ['g'], rule('one-password',
        "<module-name>bmpd</module-name><path>/b:bgp/b:neighbor[b:address='10.0.0.1']/b:password</path><access-operations>read</access-operations>"))), deny, 'u', ['g']);
      const pruning = r.readPruning(tree);
      expect(pruning.paths).toContain("/bmpd:bgp/neighbor[address='10.0.0.2']/password");
      expect(pruning.paths).not.toContain("/bmpd:bgp/neighbor[address='10.0.0.1']/password");
      expect(pruning.everywhere.map((e) => e.schemaPath)).not.toContain('/bmpd:bgp/bmpd:neighbor/bmpd:password');
    } finally { tree.free(); }
  });

  it('a permit-all module rule hides nothing', () => {
    expect(hidden(new UserRules(config(ruleList('a', ['admin'], rule('all', '<module-name>*</module-name><access-operations>*</access-operations>'))), deny, 'a', ['admin']))).toEqual([]);
  });

  it('an earlier path rule beats a later module rule; read-default deny hides the unnamed modules', () => {
    const r = new UserRules(config('<read-default>deny</read-default>' + ruleList('l', ['g'],
      rule('one-neighbor', "<module-name>bmpd</module-name><path>/b:bgp/b:neighbor[b:address='10.0.0.2']</path><access-operations>read</access-operations>", 'deny') +
      rule('bmpd', '<module-name>bmpd</module-name><access-operations>read</access-operations>'))), deny, 'u', ['g']);
    // The top-level containers of the other implemented modules (libyang adds the non-presence
    // ones to every tree) are unnamed by any rule: read-default deny hides them. (bmpd-deviations
    // leaves no configuration in ietf-interfaces, ietf-network-instance or RFC 8639's module.)
    expect(hidden(r)).toEqual(["/bmpd:bgp/neighbor[address='10.0.0.2']", '/ietf-netconf-acm:nacm']);
  });

  it('a node a rule permits stays hidden under an ancestor that is denied', () => {
    const r = new UserRules(config(ruleList('l', ['g'],
      rule('no-bmp', '<module-name>bmpd</module-name><path>/b:bgp/b:bmp</path><access-operations>read</access-operations>', 'deny') +
      rule('server', '<module-name>bmpd</module-name><path>/b:bgp/b:bmp/b:server</path><access-operations>read</access-operations>'))), deny, 'u', ['g']);
    expect(hidden(r)).toContain('/bmpd:bgp/bmp');
  });
});
