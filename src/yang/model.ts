// The YANG schema bmpd serves: one libyang context holding the bmpd module
// and the IETF modules the NETCONF server implements. Everything that parses,
// validates or prints YANG data goes through the context made here.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLibyang, type ModuleInfo, type YangContext } from 'libyang-wasm';

/** A module the agent loads, with the features it enables (RFC 7950 §7.20.1). */
export interface ServedModule {
  readonly name: string;
  readonly revision: string | null;
  readonly features: readonly string[];
}

/**
 * The implemented modules, in load order. libyang adds the `operation`,
 * `type` and `select` metadata annotations to whatever module is named
 * ietf-netconf, so the published 2011-06-01 text is enough for edit-config
 * parsing (tools/yang/PROVENANCE.md).
 */
export const SERVED_MODULES: readonly ServedModule[] = [
  { name: 'ietf-netconf', revision: '2011-06-01',
    features: ['writable-running', 'candidate', 'confirmed-commit', 'rollback-on-error', 'validate', 'startup', 'xpath'] },
  { name: 'ietf-netconf-with-defaults', revision: '2011-06-01', features: [] },
  { name: 'ietf-netconf-monitoring', revision: '2010-10-04', features: [] },
  { name: 'ietf-netconf-notifications', revision: '2012-02-06', features: [] },
  { name: 'notifications', revision: '2008-07-14', features: [] },
  { name: 'nc-notifications', revision: '2008-07-14', features: [] },
  { name: 'ietf-netconf-acm', revision: '2018-02-14', features: [] },
  { name: 'ietf-yang-library', revision: '2019-01-04', features: [] },
  // RFC 8342/8526 NMDA: the origin annotation (RFC 8342 §7) is only parsed and printed when its
  // module is implemented; get-data/edit-data with their origin and with-defaults parameters.
  { name: 'ietf-origin', revision: '2018-02-14', features: [] },
  { name: 'ietf-netconf-nmda', revision: '2019-01-07', features: ['origin', 'with-defaults'] },
  // RFC 8639/8640 dynamic subscriptions to the NETCONF stream with replay, XML encoding, subtree and
  // XPath filters (no configured subscriptions, no QoS/DSCP, no VRF or interface designation), and
  // RFC 8641 YANG-push with on-change. The modules they import (ietf-yang-patch, ietf-restconf,
  // ietf-network-instance, ietf-interfaces, ...) are loaded as imports, not implemented.
  { name: 'ietf-subscribed-notifications', revision: '2019-09-09', features: ['encode-xml', 'replay', 'subtree', 'xpath'] },
  { name: 'ietf-yang-push', revision: '2019-09-09', features: ['on-change'] },
  // What bmpd does not implement of the modules above: /interfaces and /network-instances (only
  // implemented because RFC 8639's leafrefs point there) and the configured /filters and
  // /subscriptions. Valid only with the features enabled above (no interface-designation).
  { name: 'bmpd-deviations', revision: null, features: [] },
  { name: 'bmpd', revision: null, features: [] },
];

/** The repository's yang/ folder, found from this file in src/ or dist/src/. */
export function yangDirectory(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'yang'))) return join(dir, 'yang');
    dir = dirname(dir);
  }
  throw new Error('bmpd: cannot find the yang/ folder next to package.json');
}

/** A module of the context with the implemented modules that deviate it. */
export interface ServedModuleInfo extends ModuleInfo {
  /** Names of the modules whose deviation statements target this one (RFC 8525 module/deviation, RFC 6020 §5.6.4 deviations=). */
  readonly deviations: readonly string[];
}

export interface YangModel {
  readonly context: YangContext;
  /** Every module in the context (implemented and imported-only), for monitoring and capabilities. */
  readonly modules: readonly ServedModuleInfo[];
}

/**
 * Deviated module → the modules deviating it, read from each implemented module's YIN: a
 * `<deviation target-node="/p:node">` names its target by a prefix the module declares as an
 * xmlns, whose namespace is the deviated module's.
 */
function deviationsOf(context: YangContext, modules: readonly ModuleInfo[]): Map<string, string[]> {
  const byTarget = new Map<string, string[]>();
  for (const m of modules.filter((x) => x.implemented)) {
    let yin: string;
    try { yin = context.moduleText(m.name, m.revision, 'yin'); } catch { continue; /* built-in module: no text, no deviations */ }
    if (!yin.includes('<deviation ')) continue;
    const prefixes = new Map([...yin.matchAll(/\sxmlns:([\w.-]+)="([^"]+)"/g)].map((x) => [x[1]!, x[2]!]));
    for (const [, prefix] of yin.matchAll(/<deviation target-node="\/([\w.-]+):/g)) {
      const target = modules.find((x) => x.namespace === prefixes.get(prefix!))?.name;
      if (target === undefined) continue;
      const by = byTarget.get(target) ?? [];
      if (!by.includes(m.name)) by.push(m.name);
      byTarget.set(target, by);
    }
  }
  return byTarget;
}

/** Builds the schema context; throws the libyang error when a module does not load. */
export async function loadYangModel(modules: readonly ServedModule[] = SERVED_MODULES): Promise<YangModel> {
  const libyang = await loadLibyang();
  const root = yangDirectory();
  const context = libyang.createContext({ searchDirs: [root, join(root, 'ietf')] });
  for (const m of modules) context.loadModule(m.name, m.revision, [...m.features]);
  const loaded = context.modules();
  const deviations = deviationsOf(context, loaded);
  return { context, modules: loaded.map((m) => ({ ...m, deviations: deviations.get(m.name) ?? [] })) };
}
