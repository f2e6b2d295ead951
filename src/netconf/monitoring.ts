// RFC 6022 ietf-netconf-monitoring: the netconf-state data served by <get>,
// and <get-schema>, which hands out the text of every module the server
// lists under /netconf-state/schemas.
import type { ModuleInfo, YangContext } from 'libyang-wasm';
import type { Datastores, DatastoreName } from '../datastore/datastores.js';
import { invalid } from './operation-args.js';
import { RpcError } from './rpc-error.js';
import { escapeText, textElement as element } from './xml.js';
import type { RpcHandler } from './rpc.js';
import type { SessionInfo } from './session-control.js';
import type { GlobalStatistics } from './session.js';

export const MONITORING_NS = 'urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring';

export interface MonitoringSources {
  readonly context: YangContext;
  readonly datastores: Datastores;
  /** The live sessions and the server-wide counters, read only. */
  readonly sessions: { list(): readonly SessionInfo[]; readonly statistics: Readonly<GlobalStatistics> };
  /** The capabilities of the server's hello. */
  capabilities(): readonly string[];
  /** Every module in the schema context (implemented and import-only). */
  modules(): readonly ModuleInfo[];
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** /netconf-state as XML. */
export function netconfStateXml(src: MonitoringSources): string {
  const caps = src.capabilities().map((c) => element('capability', c)).join('');
  const datastores = (['running', 'candidate', 'startup'] as DatastoreName[]).map((name) => {
    const owner = src.datastores.lockOwner(name);
    const since = src.datastores.lockedAt(name);
    const lock = owner === null ? '' :
      `<locks><global-lock>${element('locked-by-session', owner)}${element('locked-time', iso(since ?? new Date()))}</global-lock></locks>`;
    return `<datastore>${element('name', name)}${lock}</datastore>`;
  }).join('');
  const schemas = src.modules().flatMap((m) => [
    { name: m.name, revision: m.revision, namespace: m.namespace },
    ...m.submodules.map((s) => ({ name: s.name, revision: s.revision, namespace: m.namespace })),
  ]).map((s) => `<schema>${element('identifier', s.name)}${element('version', s.revision ?? '')}<format>yang</format>${element('namespace', s.namespace)}<location>NETCONF</location></schema>`).join('');
  const sessions = src.sessions.list().filter((s) => s.state === 'established').map((s) =>
    `<session>${element('session-id', s.id)}<transport>netconf-ssh</transport>${element('username', s.username)}` +
    `${element('source-host', s.sourceHost)}${element('login-time', iso(s.loginTime))}${element('in-rpcs', s.counters.inRpcs)}` +
    `${element('in-bad-rpcs', s.counters.inBadRpcs)}${element('out-rpc-errors', s.counters.outRpcErrors)}` +
    `${element('out-notifications', s.counters.outNotifications)}</session>`).join('');
  const st = src.sessions.statistics;
  const statistics = `<statistics>${element('netconf-start-time', iso(st.netconfStartTime))}${element('in-bad-hellos', st.inBadHellos)}` +
    `${element('in-sessions', st.inSessions)}${element('dropped-sessions', st.droppedSessions)}${element('in-rpcs', st.inRpcs)}` +
    `${element('in-bad-rpcs', st.inBadRpcs)}${element('out-rpc-errors', st.outRpcErrors)}${element('out-notifications', st.outNotifications)}</statistics>`;
  return `<netconf-state xmlns="${MONITORING_NS}"><capabilities>${caps}</capabilities><datastores>${datastores}</datastores>` +
    `<schemas>${schemas}</schemas><sessions>${sessions}</sessions>${statistics}</netconf-state>`;
}

/** RFC 6022 §3.1 <get-schema>. */
export function getSchemaHandler(src: MonitoringSources): RpcHandler {
  return async ({ input }) => {
    // identifier mandatory, format an identity of schema-format (rpc-schema.ts). RFC 6022 gives format no
    // default; bmpd has each schema in YANG, which an absent format asks for.
    const identifier = input['identifier'] as string;
    const version = input['version'] as string | undefined;
    const formatIdentity = (input['format'] as string | undefined) ?? 'yang';
    const format = formatIdentity.replace(/^.*:/, '');
    // The schema knows xsd, rng and rnc too; libyang prints YANG and YIN only.
    if (format !== 'yang' && format !== 'yin') throw invalid('format', `schema format '${formatIdentity}' is not available; use yang or yin`);
    const candidates = src.modules().flatMap((m) => [
      { name: m.name, revision: m.revision, owner: m.name },
      ...m.submodules.map((s) => ({ name: s.name, revision: s.revision, owner: m.name })),
    ]).filter((m) => m.name === identifier && (version === undefined || version === '' || m.revision === version));
    if (candidates.length === 0) throw invalid('identifier', `no schema ${identifier}${version ? `@${version}` : ''} on this server`);
    if (candidates.length > 1) {
      throw new RpcError({ type: 'application', tag: 'operation-failed', appTag: 'data-not-unique',
        message: `several versions of ${identifier}: give a version`,
        info: { extraXml: candidates.map((c) => `<non-unique xmlns="urn:ietf:params:xml:ns:yang:1">${escapeText(c.revision ?? '')}</non-unique>`).join('') } });
    }
    const found = candidates[0]!;
    const body = src.context.moduleText(found.name, found.revision, format);
    return { xml: `<data xmlns="${MONITORING_NS}">${escapeText(body)}</data>` };
  };
}
