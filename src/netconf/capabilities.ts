/**
 * NETCONF capabilities (RFC 6241 §8, RFC 6243, RFC 5277, RFC 7950 §5.6.4, RFC 8526 §2).
 *
 * The server advertises the protocol capabilities below, one module capability
 * per YANG module it is given, and the yang-library capability.
 *
 * Module capabilities for YANG 1.1 modules too: RFC 7950 §5.6.4 announces YANG
 * 1.1 modules only through the yang-library, but yangcli 2.13 and ncclient
 * learn a server's modules from the hello alone; Netopeer2 (libnetconf2) lists
 * every module for the same reason. Set `yang11ModuleCapabilities: false` for
 * the strict form.
 *
 * yang-library: bmpd implements ietf-yang-library@2019-01-04 (RFC 8525), whose
 * capability is RFC 8526 §2's `yang-library:1.1?revision=2019-01-04&content-id=`
 * (as libnetconf2 does for that revision). The RFC 7950 §5.6.4 form
 * `yang-library:1.0?revision=...&module-set-id=` belongs to the 2016-06-21
 * module and is available through yangLibraryCapability('1.0', ...).
 */
import { createHash } from 'node:crypto';

export const BASE_1_0 = 'urn:ietf:params:netconf:base:1.0';
export const BASE_1_1 = 'urn:ietf:params:netconf:base:1.1';

export const CAPABILITY = {
  base10: BASE_1_0,
  base11: BASE_1_1,
  candidate: 'urn:ietf:params:netconf:capability:candidate:1.0',
  confirmedCommit: 'urn:ietf:params:netconf:capability:confirmed-commit:1.1',
  validate: 'urn:ietf:params:netconf:capability:validate:1.1',
  rollbackOnError: 'urn:ietf:params:netconf:capability:rollback-on-error:1.0',
  writableRunning: 'urn:ietf:params:netconf:capability:writable-running:1.0',
  startup: 'urn:ietf:params:netconf:capability:startup:1.0',
  xpath: 'urn:ietf:params:netconf:capability:xpath:1.0',
  withDefaults:
    'urn:ietf:params:netconf:capability:with-defaults:1.0?basic-mode=explicit&also-supported=report-all,report-all-tagged,trim',
  /** RFC 8526 §2.2: <get-data> of operational honours with-defaults, in the same modes. */
  withOperationalDefaults:
    'urn:ietf:params:netconf:capability:with-operational-defaults:1.0?basic-mode=explicit&also-supported=report-all,report-all-tagged,trim',
  notification: 'urn:ietf:params:netconf:capability:notification:1.0',
  interleave: 'urn:ietf:params:netconf:capability:interleave:1.0',
} as const;

/** SPEC §4: what bmpd advertises when no other list is given. */
export const DEFAULT_CAPABILITIES: readonly string[] = Object.values(CAPABILITY);

export const YANG_LIBRARY_1_0 = 'urn:ietf:params:netconf:capability:yang-library:1.0';
export const YANG_LIBRARY_1_1 = 'urn:ietf:params:netconf:capability:yang-library:1.1';

export interface AdvertisedModule {
  name: string;
  namespace: string;
  revision?: string;
  /** '1' or '1.1' (RFC 7950 yang-version). */
  yangVersion?: '1' | '1.1';
  features?: readonly string[];
  deviations?: readonly string[];
}

/**
 * RFC 6020 §5.6.4 module capability: `NAMESPACE?module=NAME&revision=REV&features=A,B&deviations=X`.
 * The '&' are raw here; XML escaping happens when the hello is written.
 */
export function moduleCapability(module: AdvertisedModule): string {
  const params = [`module=${module.name}`];
  if (module.revision !== undefined) params.push(`revision=${module.revision}`);
  if (module.features !== undefined && module.features.length > 0) params.push(`features=${module.features.join(',')}`);
  if (module.deviations !== undefined && module.deviations.length > 0) {
    params.push(`deviations=${module.deviations.join(',')}`);
  }
  return `${module.namespace}?${params.join('&')}`;
}

/**
 * '1.1': RFC 8526 §2, for ietf-yang-library@2019-01-04 (the default);
 * '1.0': RFC 7950 §5.6.4, for ietf-yang-library@2016-06-21.
 */
export function yangLibraryCapability(version: '1.0' | '1.1', id: string, revision?: string): string {
  return version === '1.1'
    ? `${YANG_LIBRARY_1_1}?revision=${revision ?? '2019-01-04'}&content-id=${id}`
    : `${YANG_LIBRARY_1_0}?revision=${revision ?? '2016-06-21'}&module-set-id=${id}`;
}

export interface ServerCapabilityOptions {
  /** Content-id of the yang-library; default derived from the module list. */
  contentId?: string;
  /** Announce YANG 1.1 modules as module capabilities too (default true, see above). */
  yang11ModuleCapabilities?: boolean;
}

/** The full capability list for the server hello. */
export function serverCapabilities(
  protocol: readonly string[],
  modules: readonly AdvertisedModule[],
  options: ServerCapabilityOptions = {},
): string[] {
  const list = [...protocol];
  const yang11 = options.yang11ModuleCapabilities ?? true;
  for (const module of modules) {
    if (yang11 || module.yangVersion !== '1.1') list.push(moduleCapability(module));
  }
  if (modules.length > 0) list.push(yangLibraryCapability('1.1', options.contentId ?? contentIdOf(modules)));
  return [...new Set(list)];
}

/** A stable content-id: changes whenever a module, revision, feature or deviation changes. */
export function contentIdOf(modules: readonly AdvertisedModule[]): string {
  const text = modules
    .map((m) => `${m.name}@${m.revision ?? ''}:${[...(m.features ?? [])].sort().join(',')}:${[...(m.deviations ?? [])].sort().join(',')}`)
    .sort()
    .join(';');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
