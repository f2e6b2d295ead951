import { describe, expect, it } from 'vitest';
import { RpcError, RpcErrorList, rpcErrorsOf } from '../../src/netconf/rpc-error.js';
import { readRpc, rpcReplyXml } from '../../src/netconf/rpc.js';
import { XmlParseError, parseXmlMessage } from '../../src/netconf/xml.js';

const NS = 'urn:ietf:params:xml:ns:netconf:base:1.0';

describe('rpc-error serialization (RFC 6241 §4.3)', () => {
  it('writes every child in the base namespace, in schema order, with escaping', () => {
    const xml = new RpcError({
      type: 'application',
      tag: 'invalid-value',
      severity: 'warning',
      appTag: 'a<b',
      path: "/b:bmp/b:server[b:host='x&y']",
      pathNamespaces: { b: 'urn:bmpd' },
      message: 'bad & worse',
      info: { badElement: 'port', sessionId: 3, extraXml: '<x xmlns="urn:x"/>' },
    }).toXml();
    expect(xml).toBe(
      `<rpc-error xmlns="${NS}"><error-type>application</error-type><error-tag>invalid-value</error-tag>` +
        '<error-severity>warning</error-severity><error-app-tag>a&lt;b</error-app-tag>' +
        `<error-path xmlns:b="urn:bmpd">/b:bmp/b:server[b:host='x&amp;y']</error-path>` +
        '<error-message xml:lang="en">bad &amp; worse</error-message>' +
        '<error-info><session-id>3</session-id><bad-element>port</bad-element><x xmlns="urn:x"/></error-info></rpc-error>',
    );
  });

  it('parses back as well-formed XML inside a reply', () => {
    const reply = rpcReplyXml([], new RpcError({ type: 'protocol', tag: 'lock-denied', info: { sessionId: 0 } }).toXml());
    const doc = parseXmlMessage(reply);
    const error = doc.root.$$![0]!;
    expect(error.$ns).toEqual({ uri: NS, local: 'rpc-error' });
    expect(error.$$!.map((c) => [c.$ns.uri, c.$ns.local])).toEqual([
      [NS, 'error-type'],
      [NS, 'error-tag'],
      [NS, 'error-severity'],
      [NS, 'error-info'],
    ]);
  });

  it('collects errors from RpcError and RpcErrorList, nothing from other exceptions', () => {
    const a = new RpcError({ type: 'rpc', tag: 'bad-element' });
    const b = new RpcError({ type: 'rpc', tag: 'unknown-element' });
    expect(rpcErrorsOf(a)).toEqual([a]);
    expect(rpcErrorsOf(new RpcErrorList([a, b]))).toEqual([a, b]);
    expect(rpcErrorsOf(new Error('x'))).toBeUndefined();
  });
});

describe('rpc envelope parsing (RFC 6241 §4.1)', () => {
  it('keeps the operation and its children as exact source text, after an XML declaration and BOM', () => {
    const text = `\ufeff<?xml version="1.0"?>\n<rpc message-id="1" xmlns="${NS}">\n  <edit-config>\n    <target><candidate/></target>\n    <config><b:bmp xmlns:b="urn:bmpd"><b:x>1</b:x></b:bmp></config>\n  </edit-config>\n</rpc>`;
    const read = readRpc(parseXmlMessage(text));
    if (read.kind !== 'rpc') throw new Error('expected an rpc');
    const { operation } = read.rpc;
    expect(read.rpc.messageId).toBe('1');
    expect(operation.name).toBe('edit-config');
    expect(operation.namespace).toBe(NS);
    expect(operation.children.map((c) => c.xml)).toEqual([
      '<target><candidate/></target>',
      '<config><b:bmp xmlns:b="urn:bmpd"><b:x>1</b:x></b:bmp></config>',
    ]);
    expect(operation.children[1]!.innerXml).toBe('<b:bmp xmlns:b="urn:bmpd"><b:x>1</b:x></b:bmp>');
    expect(operation.children[1]!.namespaces['']).toBe(NS);
  });

  it('refuses a DOCTYPE even without entities', () => {
    expect(() => parseXmlMessage(`<!DOCTYPE rpc><rpc xmlns="${NS}" message-id="1"><get/></rpc>`)).toThrow(XmlParseError);
  });

  it('refuses unbound prefixes, two roots and text outside the root', () => {
    for (const bad of ['<a:rpc/>', '<rpc/><rpc/>', '<rpc/>junk', '']) {
      expect(() => parseXmlMessage(bad)).toThrow(XmlParseError);
    }
  });

  it('rejects an rpc with no operation or two operations', () => {
    const none = readRpc(parseXmlMessage(`<rpc xmlns="${NS}" message-id="1"/>`));
    expect(none.kind === 'rejected' && none.errors[0]!.tag).toBe('missing-element');
    const two = readRpc(parseXmlMessage(`<rpc xmlns="${NS}" message-id="1"><get/><get-config/></rpc>`));
    expect(two.kind === 'rejected' && two.errors[0]!.tag).toBe('unknown-element');
  });
});
