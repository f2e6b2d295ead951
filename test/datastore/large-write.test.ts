// The result of a large write as the main thread adopts it (src/datastore/large-write.ts): libyang JSON
// cut into chunks whose merge, in order, is the whole — every node, every implicit default's flag and
// every list's order — with no chunk beyond its size unless one list entry is.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitJsonData } from '../../src/datastore/large-write.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';

type Json = null | boolean | number | string | Json[] | { [member: string]: Json };

/** RFC 7951 documents merged as libyang merges disjoint data: objects member by member, arrays one after the other. */
function merged(a: Json, b: Json): Json {
  if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    const out: { [member: string]: Json } = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? merged(out[k]!, v) : v;
    return out;
  }
  return b;
}

describe('splitJsonData', () => {
  // Values with what a scan of the text must not take for structure: quotes, backslashes, brackets.
  const entries = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ name: `${tag}${i} "}],{\\"`, nested: { leaf: i, more: [{ k: i }] } }));
  const doc = {
    'm:top-list': entries(300, 't'),
    'm:box': {
      '@': { 'ietf-netconf-with-defaults:default': true },
      leaf: 'x',
      'leaf-list': [1, 2, 3],
      '@leaf-list': [null, { 'ietf-netconf-with-defaults:default': true }, null],
      inner: { list: entries(500, 'i'), small: [{ name: 'only' }] },
      list: entries(400, 'b'),
    },
    'm:small': { a: 1 },
  };
  const json = JSON.stringify(doc);

  it('reads libyang\'s indented text as its compact one', () => {
    const chunks = splitJsonData(JSON.stringify(doc, null, 2), 4096);
    expect(chunks.length).toBeGreaterThan(json.length / 4096);
    expect(chunks.map((c) => JSON.parse(c) as Json).reduce(merged)).toEqual(doc);
  });

  it('gives the document whole when it fits', () => {
    expect(splitJsonData(json, json.length)).toEqual([json]);
  });

  it('cuts only lists, into runs in order, each within the size, whose merge is the document', () => {
    const size = 4096;
    const chunks = splitJsonData(json, size);
    expect(chunks.length).toBeGreaterThan(json.length / size);
    for (const chunk of chunks.slice(1)) expect(chunk.length).toBeLessThanOrEqual(size + 100);
    const parsed = chunks.map((c) => JSON.parse(c) as Json);
    expect(parsed.reduce(merged)).toEqual(doc);
    // The first keeps what is not a large list: leaves, leaf-lists with their metadata, small lists.
    expect(parsed[0]).toEqual({
      'm:box': { '@': doc['m:box']['@'], leaf: 'x', 'leaf-list': [1, 2, 3], '@leaf-list': doc['m:box']['@leaf-list'], inner: { small: [{ name: 'only' }] } },
      'm:small': { a: 1 },
    });
  });

  it('never cuts a list entry: one larger than the size is a chunk of its own', () => {
    const big = { 'm:l': [{ name: 'a', blob: 'x'.repeat(5000) }, { name: 'b' }, { name: 'c', blob: 'y'.repeat(5000) }] };
    const chunks = splitJsonData(JSON.stringify(big), 1000).map((c) => JSON.parse(c) as Json);
    expect(chunks).toEqual([{}, { 'm:l': [big['m:l'][0]] }, { 'm:l': [big['m:l'][1]] }, { 'm:l': [big['m:l'][2]] }]);
  });
});

describe('chunks parsed and merged by libyang', () => {
  let model: YangModel;
  beforeAll(async () => { model = await loadYangModel(); });
  afterAll(() => model.context.destroy());

  it('make the same tree as the whole, in every with-defaults mode and in list order', () => {
    const NS = 'urn:bmpd:yang:bmpd';
    const groups = Array.from({ length: 40 }, (_, i) => `<peer-group><name>pg${i}</name><remote-as>${65100 + i}</remote-as></peer-group>`);
    // Addresses entered out of order: the canonical (sorted) order must survive the chunks.
    const neighbors = Array.from({ length: 3000 }, (_, i) => {
      const n = (i * 7919) % 3000;
      const family = n % 3 === 0 ? '<address-family><name>ipv4-unicast</name></address-family><address-family><name>ipv6-unicast</name></address-family>' : '';
      return `<neighbor><address>127.2.${n >> 8}.${n & 255}</address>${n % 2 ? `<peer-group>pg${n % 40}</peer-group>` : `<remote-as>${64512 + n}</remote-as>`}` +
        `<description>neighbor ${n}</description>${family}</neighbor>`;
    });
    const xml = `<bgp xmlns="${NS}"><as-number>65000</as-number><listen><address>127.0.0.1</address><address>::1</address></listen>` +
      `${groups.join('')}${neighbors.join('')}</bgp>`;
    const whole = model.context.parseData(xml, { format: 'xml', validate: true, configOnly: true, strict: true });
    whole.sort();
    const chunks = splitJsonData(whole.print({ format: 'json', tagImplicitDefaults: true }), 16 << 10);
    expect(chunks.length).toBeGreaterThan(15);
    const adopted = model.context.parseData(chunks[0]!, { format: 'json', validate: false, configOnly: true, strict: true });
    for (const chunk of chunks.slice(1)) {
      const part = model.context.parseData(chunk, { format: 'json', validate: false, configOnly: true, strict: true });
      adopted.merge(part);
      part.free();
    }
    for (const withDefaults of ['explicit', 'trim', 'report-all', 'report-all-tagged'] as const) {
      expect(adopted.print({ format: 'xml', withDefaults })).toBe(whole.print({ format: 'xml', withDefaults }));
    }
    whole.free();
    adopted.free();
  });
});
