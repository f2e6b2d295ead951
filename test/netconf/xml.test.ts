// The bounded XML front (src/netconf/xml.ts): what the pre-scan counts, what
// the envelope tree keeps, and that the defaults admit the largest legitimate
// message.
import { describe, expect, it } from 'vitest';
import { DEFAULT_XML_LIMITS, ENVELOPE_TREE_DEPTH, XmlLimitError, checkXmlLimits, parseXmlMessage } from '../../src/netconf/xml.js';

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
    expect(doc.slices.find((s) => s.slice.name === 'config')!.slice.innerXml).toBe(config);
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
