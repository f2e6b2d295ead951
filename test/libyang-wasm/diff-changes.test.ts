import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decodeChangeRecords, type DataTree, type DiffChange, type EditOptions, type YangContext } from 'libyang-wasm';

import { editContext, freedAfterEach, NETCONF_NS } from './helpers.js';

// DataDiff.changes() against a reference built another way: the diff as libyang prints it (XML with
// yang:operation annotations) walked element by element, with the node kinds and list keys read from
// the modules' trees. The glue builds paths step by step from the parent's, carries the operation down
// its walk and sends each schema path once, so every one of those shortcuts is checked here against the
// long way round, on every kind of node. (The reference also passes on the glue before that rewrite,
// which printed every path with lyd_path.)
const NS = 'urn:bmpd:test:lwt-changes';
const AUG = 'urn:bmpd:test:lwt-changes-aug';
const YANG_NS = 'urn:ietf:params:xml:ns:yang:1';

interface XmlElement {
  ns: string;
  name: string;
  attrs: Map<string, string>; // "{namespace}local" → value
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const unescape = (s: string): string =>
  s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (_, e: string) =>
    e.startsWith('#x') ? String.fromCodePoint(parseInt(e.slice(2), 16)) : e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : ENTITIES[e]!);

/** A small namespace-aware reader for the XML libyang prints (no comments, CDATA or processing instructions). */
function readXml(text: string): XmlElement[] {
  const roots: XmlElement[] = [];
  const stack: { el: XmlElement; scope: Map<string, string> }[] = [];
  const token = /<(\/?)([^\s/>]+)((?:\s+[^\s=]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)/g;
  for (let m = token.exec(text); m; m = token.exec(text)) {
    if (m[5] !== undefined) {
      if (stack.length) stack[stack.length - 1]!.el.text += unescape(m[5]);
      continue;
    }
    if (m[1]) {
      stack.pop();
      continue;
    }
    const scope = new Map(stack.length ? stack[stack.length - 1]!.scope : []);
    const raw: [string, string][] = [];
    for (const a of m[3]!.matchAll(/([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      const value = unescape(a[2] ?? a[3]!);
      if (a[1] === 'xmlns') scope.set('', value);
      else if (a[1]!.startsWith('xmlns:')) scope.set(a[1]!.slice(6), value);
      else raw.push([a[1]!, value]);
    }
    const [prefix, local] = m[2]!.includes(':') ? m[2]!.split(':') : ['', m[2]!];
    const attrs = new Map(raw.map(([qname, value]) => {
      const [p, l] = qname.split(':');
      return [`{${scope.get(p!)}}${l}`, value];
    }));
    const el: XmlElement = { ns: scope.get(prefix!)!, name: local!, attrs, children: [], text: '' };
    if (stack.length) stack[stack.length - 1]!.el.children.push(el);
    else roots.push(el);
    if (!m[4]) stack.push({ el, scope });
  }
  return roots;
}

interface SchemaNode {
  nodeType: DiffChange['nodeType'];
  keys: string[];
  config: boolean;
}

/**
 * Node kinds by name from the modules' RFC 8340 trees (`+--rw entry* [kind name]`, `+--ro counter*
 * uint64`, `+--rw extra? anydata`); the fixtures give one kind per name, which is checked.
 */
function schemaByName(ctx: YangContext, modules: string[]): Map<string, SchemaNode> {
  const byName = new Map<string, SchemaNode>();
  for (const module of modules) {
    for (const m of ctx.moduleTree(module).matchAll(/\+--(rw|ro) (?:[\w-]+:)?([\w-]+)([*!?]?)(?: +\[([^\]]*)\])?(?: +(\S+))?$/gm)) {
      const [, access, name, mark, keys, type] = m as unknown as [string, string, string, string, string | undefined, string | undefined];
      const nodeType: DiffChange['nodeType'] = type === 'anydata' || type === 'anyxml' ? type
        : mark === '*' ? (type ? 'leaf-list' : 'list')
        : type ? 'leaf' : 'container';
      const node = { nodeType, keys: keys ? keys.split(' ') : [], config: access === 'rw' };
      const known = byName.get(name);
      if (known && JSON.stringify(known) !== JSON.stringify(node)) throw new Error(`${name} names two kinds of node`);
      byName.set(name, node);
    }
  }
  return byName;
}

/** A predicate value quoted as libyang quotes it: in double quotes when it holds a single quote. */
const quoted = (value: string): string => (value.includes("'") ? `"${value}"` : `'${value}'`);

/**
 * The changes the diff's XML states, in document order: the operation is the element's yang:operation or
 * its nearest ancestor's, the path is built from the element names and key values (module prefix where
 * the module changes, position for keyless lists and state leaf-lists among their run of siblings).
 */
function reference(ctx: YangContext, schema: Map<string, SchemaNode>, xml: string): DiffChange[] {
  const moduleOf = new Map(ctx.modules().map((m) => [m.namespace, m.name]));
  const out: DiffChange[] = [];
  const walk = (el: XmlElement, position: number, parent: { path: string; schemaPath: string; module: string | null },
    inheritedOp: DiffChange['operation'] | null): void => {
    const node = schema.get(el.name)!;
    const module = moduleOf.get(el.ns)!;
    const own = el.attrs.get(`{${YANG_NS}}operation`) as DiffChange['operation'] | undefined;
    const term = node.nodeType === 'leaf' || node.nodeType === 'leaf-list';
    let path = `${parent.path}/${module === parent.module ? '' : `${module}:`}${el.name}`;
    if (node.nodeType === 'list' && node.keys.length) {
      for (const key of node.keys) path += `[${key}=${quoted(el.children.find((c) => c.name === key)!.text)}]`;
    } else if (node.nodeType === 'leaf-list' && node.config) {
      path += `[.=${quoted(el.text)}]`;
    } else if (node.nodeType === 'list' || node.nodeType === 'leaf-list') {
      path += `[${position}]`;
    }
    const schemaPath = `${parent.schemaPath}/${module}:${el.name}`;
    out.push({
      operation: own ?? inheritedOp ?? 'none',
      path,
      schemaPath,
      nodeType: node.nodeType,
      value: term ? el.text : null,
      previousValue: own === 'replace' && node.nodeType === 'leaf' ? el.attrs.get(`{${YANG_NS}}orig-value`) ?? null : null,
      inherited: !own && inheritedOp !== null,
    });
    if (node.nodeType === 'container' || node.nodeType === 'list') siblings(el.children, { path, schemaPath, module }, own ?? inheritedOp);
  };
  const siblings = (elements: XmlElement[], parent: { path: string; schemaPath: string; module: string | null },
    op: DiffChange['operation'] | null): void => {
    elements.forEach((el, i) => {
      let position = 1;
      while (i - position >= 0 && elements[i - position]!.name === el.name && elements[i - position]!.ns === el.ns) position++;
      walk(el, position, parent, op);
    });
  };
  siblings(readXml(xml), { path: '', schemaPath: '', module: null }, null);
  return out;
}

describe('libyang-wasm DataDiff.changes against the printed diff', () => {
  let ctx: YangContext;
  let schema: Map<string, SchemaNode>;
  const track = freedAfterEach();
  const MERGE: EditOptions = { defaultOperation: 'merge', errorOption: 'stop-on-error' };

  beforeAll(async () => {
    ({ ctx } = await editContext('lwt-changes'));
    ctx.loadModule('lwt-changes-aug');
    schema = schemaByName(ctx, ['lwt-changes', 'lwt-changes-aug']);
  });
  afterAll(() => ctx.destroy());

  const parse = (xml: string): DataTree => track(ctx.parseData(xml, {}));

  /** The changes from → to, checked against the reference; returned for further assertions. */
  function checked(from: DataTree, to: DataTree): DiffChange[] {
    const diff = track(from.diff(to));
    const changes = diff.changes();
    const expected = reference(ctx, schema, diff.print());
    const first = changes.findIndex((c, i) => JSON.stringify(c) !== JSON.stringify(expected[i]));
    expect(first === -1 ? null : { index: first, change: changes[first] }).toEqual(first === -1 ? null : { index: first, change: expected[first] });
    expect(changes).toEqual(expected);
    expectRecordsDecoded(diff.changeRecords(), changes);
    return changes;
  }

  /**
   * The compact records (what an evaluation worker posts to the main thread) decoded a few changes per
   * step give the same list, from a buffer of their own and from one at an odd offset in a larger one.
   */
  function expectRecordsDecoded(records: Uint8Array, changes: DiffChange[]): void {
    const inSteps = (bytes: Uint8Array): { changes: DiffChange[]; yields: number } => {
      const steps = decodeChangeRecords(bytes, 3);
      for (let yields = 0; ; yields++) {
        const next = steps.next();
        if (next.done) return { changes: next.value, yields };
      }
    };
    const expectedYields = Math.max(0, Math.ceil(changes.length / 3) - 1);
    expect(inSteps(records)).toEqual({ changes, yields: expectedYields });
    const larger = new Uint8Array(records.byteLength + 5);
    larger.set(records, 1);
    expect(inSteps(larger.subarray(1, 1 + records.byteLength))).toEqual({ changes, yields: expectedYields });
    expect(() => inSteps(larger.subarray(1))).toThrow(/wrong length/);
  }

  const top = (body: string): string => `<top xmlns="${NS}">${body}</top>`;
  const entry = (kind: string, name: string, body = ''): string =>
    `<entry><kind>${kind}</kind><name>${name}</name>${body}</entry>`;

  const FULL = top(
    `<name>a &amp; &lt;b&gt;</name><tag>x</tag><tag>y</tag><step>1</step><step>2</step><step>3</step>` +
      `<options><flag>true</flag></options><port>5</port>` +
      entry("k'1", 'n"1', `<note>hi</note><sub><id>1</id><value>5</value><value>-6</value></sub>` +
        `<extension xmlns="${AUG}"><level>3</level><label>q</label><label>r</label></extension>`) +
      entry('k2', 'n2', '<sub><id>7</id></sub>') +
      `<hop><name>h1</name></hop><hop><name>h2</name><cost>3</cost></hop><hop><name>h3</name></hop>` +
      `<extra><foo xmlns="urn:x">1</foo></extra>` +
      `<state><sample><at>1</at><reading>4</reading><reading>5</reading></sample><sample><at>2</at></sample>` +
      `<counter>7</counter><counter>7</counter><counter>9</counter></state>`,
  ) + `<other xmlns="${AUG}"><note>v</note></other>`;

  it('creates and deletes a whole tree of every node kind (every descendant inherited)', () => {
    const changes = checked(track(ctx.emptyTree()), parse(FULL));
    expect(changes.length).toBeGreaterThan(40);
    expect(changes.every((c) => c.operation === 'create')).toBe(true);
    // an augment's node: the path step takes the module prefix where the module changes, and drops it after
    expect(changes.map((c) => c.path)).toContain(`/lwt-changes:top/entry[kind="k'1"][name='n"1']/lwt-changes-aug:extension/label[.='r']`);
    // a keyless state list and a state leaf-list: paths by position among their siblings
    expect(changes.map((c) => c.path)).toContain('/lwt-changes:top/state/sample[2]/at');
    expect(changes.map((c) => c.path)).toContain('/lwt-changes:top/state/counter[3]');
    expect(checked(parse(FULL), track(ctx.emptyTree())).every((c) => c.operation === 'delete')).toBe(true);
  });

  it('replaces, moves, creates and deletes inside an existing tree', () => {
    const after = top(
      `<name>b\nc</name><tag>y</tag><tag>z</tag><step>3</step><step>1</step><step>2</step><socket>/s</socket>` +
        entry("k'1", 'n"1', `<sub><id>1</id><value>6</value><value>-6</value></sub>` +
          `<extension xmlns="${AUG}"><level>4</level></extension>`) +
        entry('k3', 'n3', '<note>new</note>') +
        `<hop><name>h3</name></hop><hop><name>h1</name><cost>1</cost></hop><hop><name>h2</name><cost>4</cost></hop>` +
        `<raw><bar xmlns="urn:y">2</bar></raw>` +
        `<state><sample><at>1</at><reading>4</reading></sample><sample><at>3</at></sample><counter>7</counter><counter>8</counter></state>`,
    );
    const changes = checked(parse(FULL), parse(after));
    const byPath = new Map(changes.map((c) => [c.path, c]));
    expect(byPath.get('/lwt-changes:top/name')).toMatchObject({ operation: 'replace', value: 'b\nc', previousValue: 'a & <b>' });
    expect(byPath.get("/lwt-changes:top/hop[name='h3']")?.operation).toBe('replace');
    expect(byPath.get("/lwt-changes:top/entry[kind='k3'][name='n3']/note")).toMatchObject({ operation: 'create', inherited: true });
    expect(changes.map((c) => c.nodeType)).toEqual(expect.arrayContaining(['container', 'list', 'leaf', 'leaf-list', 'anydata']));
  });

  it('lists an edit applied in place (a presence container replaced, a subtree and another module\'s top-level node deleted)', () => {
    const before = parse(FULL);
    const after = track(before.dup());
    const edit = track(ctx.parseData(
      top(`<options xmlns:nc="${NETCONF_NS}" nc:operation="replace"><weight>2.50</weight></options>` +
        `<entry><kind>k2</kind><name>n2</name><sub xmlns:nc="${NETCONF_NS}" nc:operation="delete"><id>7</id></sub></entry>`) +
        `<other xmlns="${AUG}" xmlns:nc="${NETCONF_NS}" nc:operation="delete"/>`, { validate: false }));
    expect(after.edit(edit, MERGE)).toEqual([]);
    after.validate();
    const changes = checked(before, after);
    expect(changes.map((c) => [c.operation, c.path])).toContainEqual(['delete', '/lwt-changes-aug:other']);
  });

  it('matches on random pairs of trees (keys with quotes, reordered user-ordered entries, state runs)', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pick = <T>(items: T[]): T[] => items.filter(() => random(3) > 0);
    const tree = (): string => {
      const entries = pick([...Array(12).keys()]).map((i) =>
        entry(i % 3 ? `k${i}` : `k'${i}`, `n${i % 4}`, (random(2) ? `<note>${random(5)}</note>` : '') +
          pick([1, 2, 3]).map((id) => `<sub><id>${id}</id>${pick([5, 6, 7]).map((v) => `<value>${v}</value>`).join('')}</sub>`).join('') +
          (random(2) ? `<extension xmlns="${AUG}">${pick(['a', 'b', "c'd"]).map((l) => `<label>${l}</label>`).join('')}</extension>` : '')));
      const hops = pick(['h1', 'h2', 'h3', 'h4']).sort(() => random(3) - 1).map((h) => `<hop><name>${h}</name><cost>${random(3)}</cost></hop>`);
      const samples = pick([1, 2, 3]).map((at) => `<sample><at>${at}</at>${pick([4, 4, 5]).map((r) => `<reading>${r}</reading>`).join('')}</sample>`);
      return top(`<name>${random(3)}</name>${pick(['x', 'y', 'z']).map((t) => `<tag>${t}</tag>`).join('')}` +
        `${pick(['1', '2', '3']).sort(() => random(3) - 1).map((t) => `<step>${t}</step>`).join('')}` +
        entries.join('') + hops.join('') + `<state>${samples.join('')}${pick([7, 7, 8]).map((c) => `<counter>${c}</counter>`).join('')}</state>`) +
        (random(2) ? `<other xmlns="${AUG}"><note>${random(3)}</note></other>` : '');
    };
    let listed = 0;
    for (let round = 0; round < 25; round++) listed += checked(parse(tree()), parse(tree())).length;
    expect(listed).toBeGreaterThan(500);
  });

  it('reads values with backslashes, quotes and control characters out of the string table', () => {
    const note = (text: string) => top(entry('k1', 'n1', `<note>${text}</note>`));
    const changes = checked(parse(note('a\\b "c" \\')), parse(note('tab\there\\ \u00e9 end\\')));
    expect(changes).toContainEqual(expect.objectContaining({ operation: 'replace', value: 'tab\there\\ \u00e9 end\\', previousValue: 'a\\b "c" \\' }));
  });

  it('an empty diff lists nothing', () => {
    expect(checked(parse(FULL), parse(FULL))).toEqual([]);
  });
});
