import { describe, expect, it } from 'vitest';
import {
  CAPABILITY,
  DEFAULT_CAPABILITIES,
  contentIdOf,
  moduleCapability,
  serverCapabilities,
  yangLibraryCapability,
  type AdvertisedModule,
} from '../../src/netconf/capabilities.js';

const bmpd: AdvertisedModule = { name: 'bmpd', namespace: 'urn:bmpd', revision: '2026-11-26', yangVersion: '1.1', features: ['b', 'a'] };
const monitoring: AdvertisedModule = {
  name: 'ietf-netconf-monitoring',
  namespace: 'urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring',
  revision: '2010-10-04',
  yangVersion: '1',
};

describe('capabilities (RFC 6241 §8, RFC 7950 §5.6.4, RFC 8526 §2)', () => {
  it('advertises the SPEC §4 protocol list by default, with RFC 8526 §2.2 with-operational-defaults for get-data', () => {
    expect(DEFAULT_CAPABILITIES).toEqual([
      'urn:ietf:params:netconf:base:1.0',
      'urn:ietf:params:netconf:base:1.1',
      'urn:ietf:params:netconf:capability:candidate:1.0',
      'urn:ietf:params:netconf:capability:confirmed-commit:1.1',
      'urn:ietf:params:netconf:capability:validate:1.1',
      'urn:ietf:params:netconf:capability:rollback-on-error:1.0',
      'urn:ietf:params:netconf:capability:writable-running:1.0',
      'urn:ietf:params:netconf:capability:startup:1.0',
      'urn:ietf:params:netconf:capability:xpath:1.0',
      'urn:ietf:params:netconf:capability:with-defaults:1.0?basic-mode=explicit&also-supported=report-all,report-all-tagged,trim',
      'urn:ietf:params:netconf:capability:with-operational-defaults:1.0?basic-mode=explicit&also-supported=report-all,report-all-tagged,trim',
      'urn:ietf:params:netconf:capability:notification:1.0',
      'urn:ietf:params:netconf:capability:interleave:1.0',
    ]);
  });

  it('writes module capabilities with revision, features and deviations', () => {
    expect(moduleCapability({ ...bmpd, deviations: ['bmpd-dev'] })).toBe(
      'urn:bmpd?module=bmpd&revision=2026-11-26&features=b,a&deviations=bmpd-dev',
    );
    expect(moduleCapability({ name: 'x', namespace: 'urn:x' })).toBe('urn:x?module=x');
  });

  it('adds every module and the yang-library:1.1 capability with a content-id', () => {
    const caps = serverCapabilities([CAPABILITY.base11], [bmpd, monitoring]);
    expect(caps).toContain('urn:bmpd?module=bmpd&revision=2026-11-26&features=b,a');
    expect(caps).toContain(moduleCapability(monitoring));
    expect(caps.at(-1)).toBe(
      `urn:ietf:params:netconf:capability:yang-library:1.1?revision=2019-01-04&content-id=${contentIdOf([bmpd, monitoring])}`,
    );
  });

  it('leaves YANG 1.1 modules to the yang-library in the strict form', () => {
    const caps = serverCapabilities([], [bmpd, monitoring], { yang11ModuleCapabilities: false, contentId: '7' });
    expect(caps).toEqual([
      moduleCapability(monitoring),
      'urn:ietf:params:netconf:capability:yang-library:1.1?revision=2019-01-04&content-id=7',
    ]);
  });

  it('changes the content-id when a feature changes, not when the order does', () => {
    expect(contentIdOf([bmpd, monitoring])).toBe(contentIdOf([monitoring, { ...bmpd, features: ['a', 'b'] }]));
    expect(contentIdOf([bmpd])).not.toBe(contentIdOf([{ ...bmpd, features: ['a'] }]));
  });

  it('offers the RFC 7950 yang-library:1.0 form for the 2016 module', () => {
    expect(yangLibraryCapability('1.0', '42')).toBe(
      'urn:ietf:params:netconf:capability:yang-library:1.0?revision=2016-06-21&module-set-id=42',
    );
  });
});
