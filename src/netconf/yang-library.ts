// RFC 8525 ietf-yang-library: /yang-library (NMDA form) and the deprecated
// /modules-state that RFC 7895 clients (ncclient, Ansible, yangcli) still read.
import { createHash } from 'node:crypto';
import type { ServedModuleInfo } from '../yang/model.js';
import { textElement as e } from './xml.js';

/** The datastores of RFC 8342 bmpd implements; intended is running as it is (no inactive or template config). */
export const NMDA_DATASTORES = ['running', 'candidate', 'startup', 'intended', 'operational'] as const;
export type NmdaDatastore = typeof NMDA_DATASTORES[number];

export const YANG_LIBRARY_NS = 'urn:ietf:params:xml:ns:yang:ietf-yang-library';
export const DATASTORES_NS = 'urn:ietf:params:xml:ns:yang:ietf-datastores';

/** Changes whenever the module set changes: the hash of every name, revision, feature and deviation. */
export function contentId(modules: readonly ServedModuleInfo[]): string {
  const h = createHash('sha256');
  for (const m of [...modules].sort((a, b) => a.name.localeCompare(b.name))) {
    h.update(`${m.name}@${m.revision ?? ''}:${m.implemented ? 'i' : 'o'}:${[...m.features].sort().join(',')}:${[...m.deviations].sort().join(',')};`);
  }
  return h.digest('hex').slice(0, 16);
}

function submodules(m: ServedModuleInfo): string {
  return m.submodules.map((s) => `<submodule>${e('name', s.name)}${s.revision ? e('revision', s.revision) : ''}</submodule>`).join('');
}

export function yangLibraryXml(modules: readonly ServedModuleInfo[]): string {
  const id = contentId(modules);
  const revisionOf = (name: string) => modules.find((m) => m.name === name)?.revision ?? '';
  const implemented = modules.filter((m) => m.implemented).map((m) =>
    `<module>${e('name', m.name)}${m.revision ? e('revision', m.revision) : ''}${e('namespace', m.namespace)}` +
    `${submodules(m)}${m.features.map((f) => e('feature', f)).join('')}${m.deviations.map((d) => e('deviation', d)).join('')}</module>`).join('');
  const importOnly = modules.filter((m) => !m.implemented).map((m) =>
    `<import-only-module>${e('name', m.name)}${e('revision', m.revision ?? '')}${e('namespace', m.namespace)}${submodules(m)}</import-only-module>`).join('');
  // RFC 8342 §5: every datastore bmpd serves, each with the one complete schema (the conventional
  // datastores hold only its config true nodes, operational all of them).
  const datastores = NMDA_DATASTORES.map((d) =>
    `<datastore><name xmlns:ds="${DATASTORES_NS}">ds:${d}</name><schema>complete</schema></datastore>`).join('');
  const legacy = modules.map((m) =>
    `<module>${e('name', m.name)}${e('revision', m.revision ?? '')}${e('namespace', m.namespace)}` +
    `${m.features.map((f) => e('feature', f)).join('')}` +
    `${m.deviations.map((d) => `<deviation>${e('name', d)}${e('revision', revisionOf(d))}</deviation>`).join('')}` +
    `${e('conformance-type', m.implemented ? 'implement' : 'import')}` +
    `${m.submodules.map((s) => `<submodule>${e('name', s.name)}${e('revision', s.revision ?? '')}</submodule>`).join('')}</module>`).join('');
  return `<yang-library xmlns="${YANG_LIBRARY_NS}"><module-set>${e('name', 'complete')}${implemented}${importOnly}</module-set>` +
    `<schema>${e('name', 'complete')}${e('module-set', 'complete')}</schema>${datastores}${e('content-id', id)}</yang-library>` +
    `<modules-state xmlns="${YANG_LIBRARY_NS}">${e('module-set-id', id)}${legacy}</modules-state>`;
}
