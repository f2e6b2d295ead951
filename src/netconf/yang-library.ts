// RFC 8525 ietf-yang-library: /yang-library (NMDA form) and the deprecated
// /modules-state that RFC 7895 clients (ncclient, Ansible, yangcli) still read.
import { createHash } from 'node:crypto';
import type { ModuleInfo } from 'libyang-wasm';
import { textElement as e } from './xml.js';

export const YANG_LIBRARY_NS = 'urn:ietf:params:xml:ns:yang:ietf-yang-library';
const DATASTORES_NS = 'urn:ietf:params:xml:ns:yang:ietf-datastores';

/** Changes whenever the module set changes: the hash of every name, revision and feature. */
export function contentId(modules: readonly ModuleInfo[]): string {
  const h = createHash('sha256');
  for (const m of [...modules].sort((a, b) => a.name.localeCompare(b.name))) {
    h.update(`${m.name}@${m.revision ?? ''}:${m.implemented ? 'i' : 'o'}:${[...m.features].sort().join(',')};`);
  }
  return h.digest('hex').slice(0, 16);
}

function submodules(m: ModuleInfo): string {
  return m.submodules.map((s) => `<submodule>${e('name', s.name)}${s.revision ? e('revision', s.revision) : ''}</submodule>`).join('');
}

export function yangLibraryXml(modules: readonly ModuleInfo[]): string {
  const id = contentId(modules);
  const implemented = modules.filter((m) => m.implemented).map((m) =>
    `<module>${e('name', m.name)}${m.revision ? e('revision', m.revision) : ''}${e('namespace', m.namespace)}` +
    `${submodules(m)}${m.features.map((f) => e('feature', f)).join('')}</module>`).join('');
  const importOnly = modules.filter((m) => !m.implemented).map((m) =>
    `<import-only-module>${e('name', m.name)}${e('revision', m.revision ?? '')}${e('namespace', m.namespace)}${submodules(m)}</import-only-module>`).join('');
  const datastores = ['running', 'candidate', 'startup', 'operational'].map((d) =>
    `<datastore><name xmlns:ds="${DATASTORES_NS}">ds:${d}</name><schema>complete</schema></datastore>`).join('');
  const legacy = modules.map((m) =>
    `<module>${e('name', m.name)}${e('revision', m.revision ?? '')}${e('namespace', m.namespace)}` +
    `${m.features.map((f) => e('feature', f)).join('')}${e('conformance-type', m.implemented ? 'implement' : 'import')}` +
    `${m.submodules.map((s) => `<submodule>${e('name', s.name)}${e('revision', s.revision ?? '')}</submodule>`).join('')}</module>`).join('');
  return `<yang-library xmlns="${YANG_LIBRARY_NS}"><module-set>${e('name', 'complete')}${implemented}${importOnly}</module-set>` +
    `<schema>${e('name', 'complete')}${e('module-set', 'complete')}</schema>${datastores}${e('content-id', id)}</yang-library>` +
    `<modules-state xmlns="${YANG_LIBRARY_NS}">${e('module-set-id', id)}${legacy}</modules-state>`;
}
