import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { YangError, type DataTree, type YangContext } from 'libyang-wasm';

import { DEMO_NS, demoContext, freedAfterEach, server, servers, system, yangError } from './helpers.js';

describe('libyang-wasm data parsing, validation and printing', () => {
  let ctx: YangContext;

  const GOOD =
    system('<hostname>r1</hostname><dns>a</dns>') +
    servers(server(1, '<address>x</address>') + server(2, '<address>y</address><port>179</port><backup>1</backup>'));

  beforeAll(async () => {
    ({ ctx } = await demoContext());
  });
  afterAll(() => ctx.destroy());

  const track = freedAfterEach();
  const parse = (text: string, opts = {}): DataTree => track(ctx.parseData(text, opts));

  /** The YangError thrown by parsing text. */
  const parseError = (text: string, opts = {}): YangError => yangError(() => parse(text, opts));

  it('parses and validates a valid document', () => {
    const tree = parse(GOOD, { configOnly: true });
    expect(tree.isEmpty).toBe(false);
    expect(tree.paths('/lwt-demo:servers/server')).toEqual([
      "/lwt-demo:servers/server[id='1']",
      "/lwt-demo:servers/server[id='2']",
    ]);
  });

  it('gives an empty tree for empty text', () => {
    const tree = parse('', { validate: false });
    expect(tree.isEmpty).toBe(true);
    expect(tree.print()).toBe('');
    expect(tree.paths('/lwt-demo:system')).toEqual([]);
  });

  it.each([
    [
      'range',
      servers(server(1, '<address>x</address><port>0</port>')),
      /Unsatisfied range - value "0" is out of the allowed range/,
      `Data location "/lwt-demo:servers/server[id='1']/port"`,
    ],
    [
      'pattern',
      system('<hostname>R1</hostname>'),
      /Unsatisfied pattern/,
      'Data location "/lwt-demo:system/hostname"',
    ],
    [
      'leafref',
      servers(server(1, '<address>x</address><backup>7</backup>')),
      /Invalid leafref value "7" - no target instance/,
      `Data location "/lwt-demo:servers/server[id='1']/backup"`,
    ],
    [
      'must',
      servers(server(1, '<address>x</address><backup>1</backup>')),
      /^a server cannot back itself up/,
      `Data location "/lwt-demo:servers/server[id='1']"`,
    ],
    [
      'mandatory',
      servers(server(1)),
      /Mandatory node "address" instance does not exist/,
      // libyang 2.1 locates a missing mandatory node by its schema path
      'Schema location "/lwt-demo:servers/server/address"',
    ],
    [
      'unknown element',
      system('<hostname>r1</hostname><bogus>1</bogus>'),
      /Node "bogus" not found as a child of "system" node/,
      'Data location "/lwt-demo:system"',
    ],
  ])('rejects a %s violation with its message and data path', (_kind, text, message, path) => {
    const error = parseError(text, { configOnly: true });
    const first = error.items[0];
    expect(first?.level).toBe('error');
    expect(first?.message).toMatch(message);
    expect(first?.location).toContain(path);
    // The path alone, without libyang's 'Data location "…", line number N.' wording.
    expect(first?.path).toBe(/"(.*)"/.exec(path)![1]);
    expect(error.message).toContain(first?.message ?? '');
  });

  it('reports the error-app-tag of a must statement', () => {
    const error = parseError(servers(server(1, '<address>x</address><backup>1</backup>')));
    expect(error.items[0]?.appTag).toBe('self-backup');
  });

  it('reports malformed XML as a syntax error', () => {
    const error = parseError(`<system xmlns="${DEMO_NS}"><hostname>r1</system>`);
    expect(error.items[0]?.message).toBe('Opening ("hostname") and closing ("system") elements tag mismatch.');
    expect(error.items[0]?.validationCode).toBe(1); // LYVE_SYNTAX
  });

  it('accepts unknown elements when not strict (they are dropped)', () => {
    const tree = parse(system('<hostname>r1</hostname><bogus>1</bogus>'), { strict: false });
    expect(tree.print({ shrink: true })).toBe(system('<hostname>r1</hostname>'));
  });

  it('rejects state data with configOnly and accepts it otherwise', () => {
    const withState = servers(server(1, '<address>x</address><messages>5</messages>'));
    expect(parseError(withState, { configOnly: true }).items[0]?.message).toMatch(/state|config/i);
    expect(parse(withState).paths("/lwt-demo:servers/server[id='1']/messages")).toHaveLength(1);
  });

  it('does not validate with validate: false (parse-only edit content)', () => {
    const tree = parse(servers(server(1)), { validate: false });
    expect(() => tree.validate({ configOnly: true })).toThrow(/Mandatory node "address"/);
  });

  it('round-trips XML and JSON', () => {
    const tree = parse(GOOD);
    const json = tree.print({ format: 'json' });
    expect(JSON.parse(json)).toEqual({
      'lwt-demo:system': { hostname: 'r1', dns: ['a'] },
      'lwt-demo:servers': {
        server: [
          { id: 1, address: 'x' },
          { id: 2, address: 'y', port: 179, backup: 1 },
        ],
      },
    });
    const fromJson = parse(json, { format: 'json' });
    expect(fromJson.print({ shrink: true })).toBe(GOOD);
    expect(parse(tree.print()).print({ format: 'json' })).toBe(json);
  });

  it('prints each with-defaults mode', () => {
    const tree = parse(system('<mtu>1500</mtu>') + servers(server(1, '<address>x</address><port>5000</port>') + server(2, '<address>y</address>')));
    const ncwd = 'xmlns:ncwd="urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults" ncwd:default="true"';
    expect(tree.print({ withDefaults: 'explicit', shrink: true })).toBe(
      system('<mtu>1500</mtu>') + servers(server(1, '<address>x</address><port>5000</port>') + server(2, '<address>y</address>')),
    );
    // trim drops the default-valued leaves but not their (now empty) container
    expect(tree.print({ withDefaults: 'trim', shrink: true })).toBe(
      `<system xmlns="${DEMO_NS}"/>` +
      servers(server(1, '<address>x</address>') + server(2, '<address>y</address>')),
    );
    expect(tree.print({ withDefaults: 'report-all', shrink: true })).toBe(
      system('<mtu>1500</mtu>') +
        servers(server(1, '<address>x</address><port>5000</port>') + server(2, '<address>y</address><port>5000</port>')),
    );
    expect(tree.print({ withDefaults: 'report-all-tagged', shrink: true })).toBe(
      system(`<mtu ${ncwd}>1500</mtu>`) +
        servers(
          server(1, `<address>x</address><port ${ncwd}>5000</port>`) +
            server(2, `<address>y</address><port ${ncwd}>5000</port>`),
        ),
    );
  });

  it('tags only the implicit defaults when asked, so a copy parsed from the print keeps leaves set to their default value', () => {
    const explicit = system('<mtu>1500</mtu>') + servers(server(1, '<address>x</address><port>5000</port>') + server(2, '<address>y</address>'));
    const tree = parse(explicit);
    const ncwd = 'xmlns:ncwd="urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults" ncwd:default="true"';
    const printed = tree.print({ tagImplicitDefaults: true, shrink: true });
    expect(printed).toBe(system('<mtu>1500</mtu>') +
      servers(server(1, '<address>x</address><port>5000</port>') + server(2, `<address>y</address><port ${ncwd}>5000</port>`)));
    const copy = parse(printed, { validate: false });
    for (const mode of ['explicit', 'trim', 'report-all', 'report-all-tagged'] as const) {
      expect(copy.print({ withDefaults: mode }), mode).toBe(tree.print({ withDefaults: mode }));
    }
    // report-all-tagged tags the leaves set to their default too: a copy from it loses them in explicit mode.
    expect(parse(tree.print({ withDefaults: 'report-all-tagged' }), { validate: false }).print({ withDefaults: 'explicit', shrink: true }))
      .not.toContain('<mtu>');
  });

  it('keeps empty containers only when asked', () => {
    const tree = parse(servers(''), { validate: false });
    expect(tree.print()).toBe('');
    expect(tree.print({ keepEmptyContainers: true, shrink: true })).toBe(`<servers xmlns="${DEMO_NS}"/>`);
  });

  it('duplicates independently of the original', () => {
    const tree = parse(GOOD);
    const copy = track(tree.dup());
    tree.free();
    expect(copy.print({ shrink: true })).toBe(GOOD);
  });

  it('merges a source tree without consuming it', () => {
    const target = parse(system('<hostname>r1</hostname>') + servers(server(1, '<address>x</address>')));
    const source = parse(system('<hostname>r2</hostname><dns>d</dns>') + servers(server(3, '<address>z</address>')));
    target.merge(source);
    expect(target.print({ shrink: true })).toBe(
      system('<hostname>r2</hostname><dns>d</dns>') + servers(server(1, '<address>x</address>') + server(3, '<address>z</address>')),
    );
    expect(source.print({ shrink: true })).toBe(
      system('<hostname>r2</hostname><dns>d</dns>') + servers(server(3, '<address>z</address>')),
    );
    const empty = track(ctx.emptyTree());
    empty.merge(source);
    expect(empty.print({ shrink: true })).toBe(source.print({ shrink: true }));
  });

  it('validates in place, adding defaults, and reports violations', () => {
    const tree = parse(servers(server(1, '<address>x</address>')), { validate: false });
    expect(tree.print({ withDefaults: 'report-all' })).not.toContain('<port>');
    tree.validate();
    expect(tree.print({ withDefaults: 'report-all' })).toContain('<port>5000</port>');
    const bad = parse(servers(server(1, '<address>x</address><backup>9</backup>')), { validate: false });
    expect(() => bad.validate()).toThrow(/Invalid leafref value "9"/);
  });

  it('selects with an XPath with predicates and namespace prefixes (NETCONF :xpath filter)', () => {
    const tree = parse(GOOD);
    const selected = track(tree.select("/d:servers/d:server[d:id='2']/d:address", { d: DEMO_NS }));
    // the match, its ancestors and the list keys
    expect(selected.print({ shrink: true })).toBe(servers(server(2, '<address>y</address>')));

    const subtree = track(tree.select('/d:servers/d:server[d:port = 179]', { d: DEMO_NS }));
    expect(subtree.print({ shrink: true })).toBe(servers(server(2, '<address>y</address><port>179</port><backup>1</backup>')));

    const several = track(tree.select('/lwt-demo:system/dns | /lwt-demo:servers/server/address'));
    expect(several.print({ shrink: true })).toBe(
      system('<dns>a</dns>') + servers(server(1, '<address>x</address>') + server(2, '<address>y</address>')),
    );
    const none = track(tree.select("/d:servers/d:server[d:id='9']", { d: DEMO_NS }));
    expect(none.isEmpty).toBe(true);
  });

  it('lists data paths of XPath matches and rejects bad XPath', () => {
    const tree = parse(GOOD);
    expect(tree.paths("/lwt-demo:servers/server[address='y']/backup")).toEqual([
      "/lwt-demo:servers/server[id='2']/backup",
    ]);
    expect(tree.paths('/d:system/d:dns', { d: DEMO_NS })).toEqual(["/lwt-demo:system/dns[.='a']"]);
    expect(() => tree.paths('/lwt-demo:servers/server[')).toThrow(YangError);
    expect(() => tree.select('/x:servers', { x: 'urn:unknown' })).toThrow(YangError);
  });

  it('throws on use of a freed tree, and free is idempotent', () => {
    const tree = ctx.parseData(GOOD);
    tree.free();
    tree.free();
    expect(() => tree.print()).toThrow(/freed/);
    expect(() => tree.isEmpty).toThrow(/freed/);
  });
});
