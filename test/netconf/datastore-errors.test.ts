// A datastore error as the rpc-errors of a reply (src/netconf/datastore-errors.ts):
// the error-path turned from libyang's data path into NETCONF's prefixed XPath
// (src/netconf/data-path.ts), the error-info keys passed through in their one
// spelling.
import { describe, expect, it } from 'vitest';
import { DatastoreError, detail } from '../../src/datastore/errors.js';
import { errorPath, pathSteps } from '../../src/netconf/data-path.js';
import { toRpcErrors } from '../../src/netconf/datastore-errors.js';

const namespaceOf = (module: string) => (module === 'bmpd' ? 'urn:bmpd:yang:bmpd' : null);

describe('libyang data paths', () => {
  it('split into steps on / outside predicates and quotes', () => {
    expect(pathSteps("/bmpd:bgp/neighbor[address='a/b'][vrf=\"x]/y\"]/remote-as")).toEqual([
      'bmpd:bgp', "neighbor[address='a/b'][vrf=\"x]/y\"]", 'remote-as',
    ]);
  });

  it('become an error-path with every step and key prefixed by its module', () => {
    expect(errorPath("/bmpd:bgp/bmp/server[id='1']/port-number", namespaceOf)).toEqual({
      path: "/bmpd:bgp/bmpd:bmp/bmpd:server[bmpd:id='1']/bmpd:port-number",
      namespaces: { bmpd: 'urn:bmpd:yang:bmpd' },
    });
  });
});

describe('datastore errors as rpc-errors', () => {
  it('keep tag, type, message and app-tag, and carry the error-info and error-path', () => {
    const err = new DatastoreError([
      detail('lock-denied', 'locked by session 5', { type: 'protocol', info: { sessionId: 5 } }),
      detail('operation-failed', 'must failed', { path: "/bmpd:bgp/bmp/server[id='2']", appTag: 'must-violation', info: { badElement: 'server' } }),
    ]);
    const [locked, must] = toRpcErrors(err, namespaceOf).errors;
    expect(locked!.toXml()).toContain('<error-type>protocol</error-type><error-tag>lock-denied</error-tag>');
    expect(locked!.toXml()).toContain('<error-info><session-id>5</session-id></error-info>');
    expect(locked!.path).toBeUndefined();
    expect(must!.appTag).toBe('must-violation');
    expect(must!.toXml()).toContain(
      `<error-path xmlns:bmpd="urn:bmpd:yang:bmpd">/bmpd:bgp/bmpd:bmp/bmpd:server[bmpd:id='2']</error-path>`);
    expect(must!.toXml()).toContain('<error-info><bad-element>server</bad-element></error-info>');
  });
});
