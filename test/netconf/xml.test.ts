// The XML layer (src/netconf/xml.ts): what the pre-scan counts, what the
// envelope tree keeps, that the defaults admit the largest legitimate message,
// fragments, namespace scope and escaping.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_XML_LIMITS, ENVELOPE_TREE_DEPTH, XmlLimitError, XmlParseError, checkXmlLimits, declareNamespaces, decodeUtf8Sliced, escapeAttribute,
  escapeText, parseXmlFragment, parseXmlMessage, parseXmlMessageSliced, textElement,
} from '../../src/netconf/xml.js';
import { configContent } from '../../src/netconf/operation-args.js';

const NS = 'urn:ietf:params:xml:ns:netconf:base:1.0';
const limits = { maxDepth: 3, maxAttributesPerElement: 2, maxElements: 4 };

function limitOf(text: string): string | undefined {
  try {
    checkXmlLimits(text, limits);
    return undefined;
  } catch (err) {
    if (err instanceof XmlLimitError) return err.limit;
    throw err;
  }
}

describe('XML limits pre-scan', () => {
  it('counts elements, depth and attributes', () => {
    expect(limitOf('<a><b/><c/><d/></a>')).toBeUndefined();
    expect(limitOf('<a><b/><c/><d/><e/></a>')).toBe('elements');
    expect(limitOf('<a><b><c/></b></a>')).toBeUndefined();
    expect(limitOf('<a x="1" y="2"/>')).toBeUndefined();
    expect(limitOf('<a x="1" y="2" z="3"/>')).toBe('attributes');
  });

  it('does not count what only looks like markup: quoted values, comments, CDATA, processing instructions', () => {
    expect(limitOf('<a x="=<b>=" y=\'=>\'/>')).toBeUndefined();
    expect(limitOf('<a><!-- <b><c><d><e> --><![CDATA[<b><c><d>]]><?pi <b><c>?></a>')).toBeUndefined();
  });

  it('depth counts every element, empty ones too', () => {
    expect(checkXmlLimitsDepth('<a><b><c></c></b></a>')).toBeUndefined();
    expect(checkXmlLimitsDepth('<a><b><c><d></d></c></b></a>')).toBe('depth');
    expect(checkXmlLimitsDepth('<a><b><c><d/></c></b></a>')).toBe('depth');
    expect(checkXmlLimitsDepth('<a><b/><b><c/></b><b/></a>')).toBeUndefined();
  });

  it('hands over the document element\'s start tag, to echo the message-id', () => {
    try {
      checkXmlLimits(`<rpc xmlns="${NS}" message-id="7"><a><b><c><d/></c></b></a></rpc>`, { ...limits, maxElements: 100 });
      throw new Error('not refused');
    } catch (err) {
      expect((err as XmlLimitError).rootStartTag).toBe(`<rpc xmlns="${NS}" message-id="7"/>`);
    }
  });
});

function checkXmlLimitsDepth(text: string): string | undefined {
  try {
    checkXmlLimits(text, { ...limits, maxElements: 100 });
    return undefined;
  } catch (err) {
    return (err as XmlLimitError).limit;
  }
}

describe('parseXmlMessage', () => {
  it('builds the envelope tree down to depth 4 and keeps deeper content as exact text', () => {
    const config = '<bgp xmlns="urn:bmpd:yang:bmpd"><neighbor><address>127.0.0.2</address></neighbor></bgp>';
    const doc = parseXmlMessage(`<rpc xmlns="${NS}" message-id="1"><edit-config><target><candidate/></target><config>${config}</config></edit-config></rpc>`);
    const op = doc.root.$$![0]!;
    const configNode = op.$$!.find((c) => c.$ns.local === 'config')!;
    expect(configNode.$$!.map((c) => c.$ns.local)).toEqual(['bgp']);
    expect(configNode.$$![0]!.$$).toBeUndefined(); // depth 5 and below: not objects
    expect(ENVELOPE_TREE_DEPTH).toBe(4);
    expect(doc.slices[0]!.children.find((s) => s.name === 'config')!.innerXml).toBe(config);
  });

  it('still finds deep content that is not well-formed', () => {
    expect(() => parseXmlMessage(`<rpc xmlns="${NS}" message-id="1"><get><filter><a><b><c></b></c></a></filter></get></rpc>`)).toThrow(/Unexpected close tag|mismatch|Unmatched/i);
  });

  it('the default limits admit an edit-config of 100,000 neighbors', () => {
    const neighbors: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      neighbors.push(`<neighbor><address>10.${(i >> 8) & 255}.${i & 255}.1</address><remote-as>${65001 + (i % 1000)}</remote-as>` +
        `<description>n${i}</description><timers><keepalive>30</keepalive><hold-time>90</hold-time></timers><bmp-activate><all/></bmp-activate></neighbor>`);
    }
    const message = `<rpc xmlns="${NS}" message-id="1"><edit-config><target><candidate/></target><config><bgp xmlns="urn:bmpd:yang:bmpd">` +
      `<as-number>65000</as-number>${neighbors.join('')}</bgp></config></edit-config></rpc>`;
    expect(() => checkXmlLimits(message, DEFAULT_XML_LIMITS)).not.toThrow();
    expect(message.length).toBeLessThan(32 * 1024 * 1024);
  });
});

describe('parseXmlMessageSliced', () => {
  /** An edit-config of `count` neighbors, ~100 bytes each; `inner` goes inside the middle one. */
  const edit = (count: number, inner = '') => {
    const neighbors: string[] = [];
    for (let i = 0; i < count; i++) {
      neighbors.push(`<neighbor><address>127.1.${(i >> 8) & 255}.${i & 255}</address><remote-as>65001</remote-as>${i === count >> 1 ? inner : ''}<description>n${i}</description></neighbor>`);
    }
    return `<rpc xmlns="${NS}" message-id="7"><edit-config><target><candidate/></target><config><bgp xmlns="urn:bmpd:yang:bmpd">${neighbors.join('')}</bgp></config></edit-config></rpc>`;
  };
  /** The outcome of a parse: the document or the error's class and message. */
  const outcome = async (parse: () => unknown) => {
    try { return await parse(); } catch (err) { return { error: (err as Error).name, message: (err as Error).message }; }
  };

  it('gives what parseXmlMessage gives, documents and errors alike, for a message of a megabyte', async () => {
    const cases = [
      edit(10_000),
      edit(10_000, '<a><b></a></b>'), // not well-formed deep inside
      edit(10_000, '<!DOCTYPE x>'),
      edit(10_000, '<x a="1" b="2" c="3"/>'),
      `${edit(10_000)}<rpc/>`, // content after the document element
      `\ufeff${edit(10_000)}`,
    ];
    for (const message of cases) {
      expect(message.length).toBeGreaterThan(1_000_000);
      const tight = { ...DEFAULT_XML_LIMITS, maxAttributesPerElement: 2 };
      expect(await outcome(() => parseXmlMessageSliced(Buffer.from(message), tight))).toEqual(await outcome(() => parseXmlMessage(message, tight)));
    }
    expect(await outcome(() => parseXmlMessageSliced(Buffer.from(edit(10_000)), { ...DEFAULT_XML_LIMITS, maxElements: 20_000 })))
      .toEqual({ error: 'XmlLimitError', message: 'the message exceeds the elements-per-message limit of 20000' });
  });

  it('refuses a large message over a limit from its bytes, before decoding them (a 7 MB nest: too-big, not its bad UTF-8)', async () => {
    const nest = Buffer.concat([Buffer.from(`<rpc xmlns="${NS}" message-id="8"><get-config><source><running/></source><filter>${'<a>'.repeat(1e6)}`),
      Buffer.from([0xff, 0xfe]), Buffer.from(`${'</a>'.repeat(1e6)}</filter></get-config></rpc>`)]);
    expect(await outcome(() => parseXmlMessageSliced(nest))).toEqual({ error: 'XmlLimitError', message: 'the message exceeds the element nesting depth limit of 64' });
    // The same bytes within the limits: the bad UTF-8 is found, a parse error.
    expect(await outcome(() => parseXmlMessageSliced(nest, { ...DEFAULT_XML_LIMITS, maxDepth: 2_000_000 })))
      .toEqual({ error: 'XmlParseError', message: 'invalid UTF-8' });
  });

  it('lets other work run while it parses a large message, and not while it parses a small one', async () => {
    const ticksDuring = async (message: string) => {
      let ticks = 0;
      const tick = setInterval(() => { ticks++; }, 1);
      try {
        await parseXmlMessageSliced(Buffer.from(message));
      } finally {
        clearInterval(tick);
      }
      return ticks;
    };
    expect(await ticksDuring(edit(10_000))).toBeGreaterThan(0);
    expect(await ticksDuring(edit(10))).toBe(0);
  });
});

describe('decodeUtf8Sliced', () => {
  it('decodes a large message slice by slice as TextDecoder does in one go: characters across slice ends, the BOM, invalid bytes', async () => {
    // Multi-byte characters at every offset against the 1 MiB slices: 2, 3 and 4 bytes long.
    const text = `<rpc>${'é€😀a'.repeat(400_000)}</rpc>`;
    const bytes = Buffer.from(`\ufeff${text}`);
    expect(bytes.length).toBeGreaterThan(3 * 1024 * 1024);
    expect(await decodeUtf8Sliced(bytes)).toBe(text);
    const broken = Buffer.concat([bytes.subarray(0, 2 * 1024 * 1024 + 1), Buffer.from([0xff]), bytes.subarray(2 * 1024 * 1024 + 1)]);
    await expect(decodeUtf8Sliced(broken)).rejects.toThrow(TypeError);
    const cut = Buffer.concat([bytes, Buffer.from('€').subarray(0, 2)]); // a last character's bytes incomplete
    await expect(decodeUtf8Sliced(cut)).rejects.toThrow(TypeError);
  });
});

describe('slices', () => {
  it('a parameter\'s children are slices too, cut by the parser and not by a pattern', () => {
    // A comment naming <config>, a '>' inside a quoted value and a prefixed <config>: a regular expression over
    // <source>'s text finds the wrong start tag in each.
    const config = '<b:bgp><b:as-number>65000</b:as-number></b:bgp>';
    const doc = parseXmlMessage(`<rpc xmlns="${NS}" xmlns:nc="${NS}" message-id="1"><copy-config><target><running/></target>` +
      `<source><!-- <config> --><nc:config a="x>y" xmlns:b="urn:b">${config}</nc:config></source></copy-config></rpc>`);
    const [operation] = doc.slices;
    const source = operation!.children.find((c) => c.name === 'source')!;
    expect(source.children.map((c) => c.name)).toEqual(['config']);
    expect(source.children[0]!.innerXml).toBe(config);
    expect(source.children[0]!.namespaces).toEqual({ '': NS, nc: NS, b: 'urn:b' });
    expect(source.children[0]!.children).toEqual([]); // below the parameter's children: no slices
  });
});

describe('parseXmlFragment', () => {
  it('builds every level of a fragment with several top-level elements, in the namespaces in scope', () => {
    const tops = parseXmlFragment('<a><b><c><d><e><f>deep</f></e></d></c></b></a><p:g/>', { '': 'urn:x', p: 'urn:p' }, 100);
    expect(tops.map((t) => `${t.$ns.uri} ${t.$ns.local}`)).toEqual(['urn:x a', 'urn:p g']);
    let node = tops[0]!;
    for (const name of ['b', 'c', 'd', 'e', 'f']) node = node.$$!.find((c) => c.$ns.local === name)!;
    expect(node._).toBe('deep');
    expect(node.$ns.uri).toBe('urn:x');
  });

  it('refuses more elements than asked for, and malformed or DOCTYPE-carrying text', () => {
    expect(parseXmlFragment('<a/>'.repeat(10), {}, 10)).toHaveLength(10);
    expect(() => parseXmlFragment('<a/>'.repeat(11), {}, 10)).toThrow(XmlLimitError);
    expect(() => parseXmlFragment('<a><b></a>', {}, 10)).toThrow(XmlParseError);
    expect(() => parseXmlFragment('<!DOCTYPE a><a/>', {}, 10)).toThrow(XmlParseError);
  });
});

describe('declareNamespaces', () => {
  it('puts the declarations in scope on each top-level element that does not make its own', () => {
    expect(declareNamespaces('<a><b/></a><c xmlns="urn:own"/><!-- <d> --><e/>', { '': 'urn:x', p: 'urn:"p"' }))
      .toBe('<a xmlns="urn:x" xmlns:p="urn:&quot;p&quot;"><b/></a><c xmlns:p="urn:&quot;p&quot;" xmlns="urn:own"/>' +
        '<!-- <d> --><e xmlns="urn:x" xmlns:p="urn:&quot;p&quot;"/>');
  });

  it('skips what only looks like a tag: quoted ">" in attribute values, comments, CDATA, processing instructions', () => {
    expect(declareNamespaces('<a x="/>"><b y=\'>\'/></a><?pi <f>?><![CDATA[<g>]]><h/>', { '': 'urn:x' }))
      .toBe('<a xmlns="urn:x" x="/>"><b y=\'>\'/></a><?pi <f>?><![CDATA[<g>]]><h xmlns="urn:x"/>');
  });

  it('given where the top-level elements start (an edit-config <config>\'s child slices), gives what the scan gives', () => {
    const nc = 'urn:ietf:params:xml:ns:netconf:base:1.0';
    const content = '\n <a nc:operation="merge"><b/><c x="<"/></a><!-- <z/> -->\n<d xmlns="urn:own"/> <e/>\n';
    const message = `<rpc xmlns="${nc}" xmlns:nc="${nc}" message-id="1"><edit-config><target><running/></target>` +
      `<config>${content}</config></edit-config></rpc>`;
    const config = parseXmlMessage(message).slices[0]!.children.find((c) => c.name === 'config')!;
    expect(config.innerXml).toBe(content);
    expect(config.children.map((c) => content.slice(c.offset, c.offset + c.xml.length))).toEqual(config.children.map((c) => c.xml));
    const scanned = declareNamespaces(config.innerXml, config.namespaces);
    expect(scanned).toContain('<a xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" xmlns:nc=');
    expect(configContent(config)).toBe(scanned);
  });
});

describe('escaping', () => {
  it('escapes what XML requires in text and in double-quoted attribute values', () => {
    expect(escapeText('a<b>&c"\'')).toBe('a&lt;b&gt;&amp;c"\'');
    expect(escapeAttribute('a"b\n\t\r<')).toBe('a&quot;b&#10;&#9;&#13;&lt;');
    expect(textElement('x', 'R&D')).toBe('<x>R&amp;D</x>');
    // What is escaped reads back as it was written.
    const value = 'a"b\n<&>\'';
    const root = parseXmlMessage(`<x y="${escapeAttribute(value)}">${escapeText(value)}</x>`).root;
    expect(root.$!['y']!.value).toBe(value);
    expect(root._).toBe(value);
  });
});
