/**
 * NETCONF capabilities (RFC 6241 §8, RFC 6243, RFC 5277, RFC 7950 §5.6.4).
 *
 * The server advertises the protocol capabilities below plus one capability per
 * YANG module it is given. For YANG 1.1 modules RFC 7950 §5.6.4 forbids module
 * capabilities and asks for the yang-library capability instead. We advertise
 * yang-library:1.0 (RFC 7950 §5.6.4 form, with module-set-id) because every
 * client in use (ncclient 0.6, yangcli 2.13, Ansible) understands it, whereas
 * the NMDA yang-library:1.1 (RFC 8526 §2) content-id form is ignored by them.
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
  notification: 'urn:ietf:params:netconf:capability:notification:1.0',
  interleave: 'urn:ietf:params:netconf:capability:interleave:1.0',
} as const;

/** SPEC §4: what bmpd advertises when no other list is given. */
export const DEFAULT_CAPABILITIES: readonly string[] = Object.values(CAPABILITY);

export const YANG_LIBRARY_1_0 = 'urn:ietf:params:netconf:capability:yang-library:1.0';
/** RFC 7895 revision of ietf-yang-library that the 1.0 capability names. */
export const YANG_LIBRARY_REVISION = '2019-01-04';

export interface AdvertisedModule {
  name: string;
  namespace: string;
  revision?: string;
  /** '1' or '1.1' (RFC 7950 yang-version); YANG 1.1 modules are announced through yang-library only. */
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

export function yangLibraryCapability(moduleSetId: string): string {
  return `${YANG_LIBRARY_1_0}?revision=${YANG_LIBRARY_REVISION}&module-set-id=${moduleSetId}`;
}

/**
 * The full list for the server hello: protocol capabilities, YANG 1.0 module
 * capabilities, and — when any module is YANG 1.1 — the yang-library capability
 * (RFC 7950 §5.6.4). Module capabilities are given for YANG 1.0 modules only.
 */
export function serverCapabilities(
  protocol: readonly string[],
  modules: readonly AdvertisedModule[],
  moduleSetId?: string,
): string[] {
  const list = [...protocol];
  for (const module of modules) {
    if (module.yangVersion !== '1.1') list.push(moduleCapability(module));
  }
  if (modules.some((m) => m.yangVersion === '1.1')) list.push(yangLibraryCapability(moduleSetId ?? moduleSetIdOf(modules)));
  return [...new Set(list)];
}

/** A stable module-set-id: changes whenever a module, revision or feature set changes. */
export function moduleSetIdOf(modules: readonly AdvertisedModule[]): string {
  const text = modules
    .map((m) => `${m.name}@${m.revision ?? ''}:${[...(m.features ?? [])].sort().join(',')}:${[...(m.deviations ?? [])].sort().join(',')}`)
    .sort()
    .join(';');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
