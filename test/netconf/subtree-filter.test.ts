import { describe, expect, it } from 'vitest';
import { FilterError, subtreeFilterToXPath, xpathLiteral } from '../../src/netconf/subtree-filter.js';

const NS = 'urn:bmpd:yang:bmpd';
const resolve = (ns: string) => (ns === NS ? 'bmpd' : ns === 'urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring' ? 'ietf-netconf-monitoring' : null);

describe('subtree filter → XPath (RFC 6241 §6)', () => {
  it('a selection node selects its whole subtree', async () => {
    expect(await subtreeFilterToXPath(`<bgp xmlns="${NS}"/>`, resolve)).toBe('/bmpd:bgp');
  });

  it('containment nodes become steps and selection nodes leaves', async () => {
    expect(await subtreeFilterToXPath(`<bgp xmlns="${NS}"><bmp><buffer-size/><initial-refresh/></bmp></bgp>`, resolve))
      .toBe('/bmpd:bgp/bmpd:bmp/bmpd:buffer-size | /bmpd:bgp/bmpd:bmp/bmpd:initial-refresh');
  });

  it('content match nodes become predicates and are output with the selected siblings', async () => {
    expect(await subtreeFilterToXPath(`<bgp xmlns="${NS}"><bmp><server><id>1</id><address/></server></bmp></bgp>`, resolve))
      .toBe("/bmpd:bgp/bmpd:bmp/bmpd:server[bmpd:id='1']/bmpd:id | /bmpd:bgp/bmpd:bmp/bmpd:server[bmpd:id='1']/bmpd:address");
  });

  it('only content match children select the whole matching entry', async () => {
    expect(await subtreeFilterToXPath(`<bgp xmlns="${NS}"><bmp><server><id>2</id></server></bmp></bgp>`, resolve))
      .toBe("/bmpd:bgp/bmpd:bmp/bmpd:server[bmpd:id='2']");
  });

  it('namespaces no module owns select nothing; an empty filter selects nothing', async () => {
    expect(await subtreeFilterToXPath('<x xmlns="urn:example:none"/>', resolve)).toBeNull();
    expect(await subtreeFilterToXPath('  ', resolve)).toBeNull();
  });

  it('several top-level nodes of different modules form one union', async () => {
    const f = `<bgp xmlns="${NS}"/><netconf-state xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring"><sessions/></netconf-state>`;
    expect(await subtreeFilterToXPath(f, resolve)).toBe('/bmpd:bgp | /ietf-netconf-monitoring:netconf-state/ietf-netconf-monitoring:sessions');
  });

  it('attribute match expressions and malformed XML are errors', async () => {
    await expect(subtreeFilterToXPath(`<bgp xmlns="${NS}"><bmp><server id="1"/></bmp></bgp>`, resolve)).rejects.toBeInstanceOf(FilterError);
    await expect(subtreeFilterToXPath(`<bgp xmlns="${NS}"><bmp>`, resolve)).rejects.toBeInstanceOf(FilterError);
  });

  it('quotes in match text survive as XPath literals', () => {
    expect(xpathLiteral("it's")).toBe(`"it's"`);
    expect(xpathLiteral(`a'b"c`)).toBe(`concat('a', "'", 'b"c')`);
  });
});
