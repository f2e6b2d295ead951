import { describe, expect, it } from 'vitest';
import { parseYangJson } from '../../src/agent/yang-json.js';

describe('libyang JSON with a list printed in pieces', () => {
  it('joins the pieces of a repeated list member, at any depth, and merges repeated containers', () => {
    const text = '{"bmpd:bgp":{"neighbor":[{"address":"127.0.22.1"}],"vrf":[{"name":"red","address-family":[{"afi":"ipv4"}],"rd":"1:1","address-family":[{"afi":"ipv6"}]}],' +
      '"neighbor":[{"address":"127.0.22.2","bmp-activate":{"server":[1]}}],"listen":{"port":179},"listen":{"address":["127.0.22.9"]}}}';
    expect(parseYangJson(text)).toEqual({
      'bmpd:bgp': {
        neighbor: [{ address: '127.0.22.1' }, { address: '127.0.22.2', 'bmp-activate': { server: [1] } }],
        vrf: [{ name: 'red', 'address-family': [{ afi: 'ipv4' }, { afi: 'ipv6' }], rd: '1:1' }],
        listen: { port: 179, address: ['127.0.22.9'] },
      },
    });
  });

  it('reads what JSON.parse reads when nothing repeats: escapes, numbers, empty leaves', () => {
    const text = ' {"a":"q\\"\\u00e9\\n","b":-1.5e3,"c":[null],"d":true,"e":false,"f":{},"g":[],"h":"18446744073709551615"} ';
    expect(parseYangJson(text)).toEqual(JSON.parse(text));
  });

  it('refuses text that is not JSON', () => {
    for (const bad of ['{"a":1', '{"a" 1}', '{"a":1}x', '[1 2]', '{"a":"x}', '{"a":-}']) expect(() => parseYangJson(bad)).toThrow(SyntaxError);
  });
});
