/**
 * NMDA (RFC 8342) for NETCONF (RFC 8526): <get-data> and <edit-data> over the datastores running,
 * candidate, startup, intended and operational.
 *
 * - intended is running as it is: bmpd has no inactive configuration and no templates (RFC 8342
 *   §5.1.4), so a read of intended reads running.
 * - operational (RFC 8342 §5.3) is what the engine runs plus all state: running as applied
 *   (origin or:intended), the defaults libyang adds (or:default), the state the agent reports
 *   (or:system) and what BGP neighbors told it (a neighbor's session state, or:learned). A config
 *   node the engine could not apply as written (an update-source interface without an address) is
 *   left out: the engine's real source is the state's local-address, or nothing.
 * - A read goes through NACM (read rules applied before the filter) and through the evaluation
 *   workers with their time limit, exactly as <get> does: get-data costs a hostile client no more
 *   than <get>. An edit goes through Datastores.editConfig (NACM write rules, validation, commit
 *   hook) as <edit-config> does.
 *
 * The origins and the shaping of a printed reply (max-depth, the annotations' presence) are in
 * nmda-shape.ts, which the evaluation workers load too.
 */
import type { BaseOperationsBackend } from './base-operations.js';
import { guarded, subtreeXPath } from './base-operations.js';
import type { EvaluationFilter, NmdaRequest } from './evaluation-pool.js';
import { child, childSlice, configContent, invalid, missing, text, withDefaultsParam, WITH_DEFAULTS_NS } from './operation-args.js';
import { toRpcErrors } from './datastore-errors.js';
import { RpcError } from './rpc-error.js';
import type { ParsedOperation, RpcDispatcher, RpcHandler } from './rpc.js';
import { DatastoreError } from '../datastore/errors.js';
import { DATASTORES_NS, NMDA_DATASTORES, type NmdaDatastore } from './yang-library.js';
import { annotateStateOrigins, ORIGIN_NS } from './nmda-shape.js';
import type { XmlSlice } from './xml.js';
import type { YangContext } from 'libyang-wasm';

export const NMDA_NS = 'urn:ietf:params:xml:ns:yang:ietf-netconf-nmda';

// with-defaults: get-data's input `uses ncwd:with-defaults-parameters`, so the leaf is in
// ietf-netconf-nmda's namespace (RFC 7950 §7.13: a grouping's nodes take the using module's), as
// libnetconf2 sends it; RFC 6243's own namespace, as ncclient writes it, is accepted too.
const GET_DATA_PARAMETERS = new Set(['datastore', 'subtree-filter', 'xpath-filter', 'config-filter', 'origin-filter',
  'negated-origin-filter', 'max-depth', 'with-origin', 'with-defaults']);
const EDIT_DATA_PARAMETERS = new Set(['datastore', 'default-operation', 'config', 'url']);

export interface NmdaBackend extends BaseOperationsBackend {
  /** Paths of running's config nodes the engine could not apply as written; left out of operational. */
  readonly notApplied?: () => readonly string[];
}

/** An unknown or misplaced parameter: RFC 6241 Appendix A unknown-element, as for the base operations. */
function assertParameters(op: ParsedOperation, allowed: ReadonlySet<string>): void {
  for (const c of op.node.$$ ?? []) {
    const known = c.$ns.uri === NMDA_NS ? allowed.has(c.$ns.local) : c.$ns.uri === WITH_DEFAULTS_NS && c.$ns.local === 'with-defaults' && allowed === GET_DATA_PARAMETERS;
    if (!known) {
      throw new RpcError({ type: 'protocol', tag: 'unknown-element', message: `<${c.$ns.local}> is not a parameter of <${op.name}>`,
        info: { badElement: c.$ns.local, ...(c.$ns.uri !== NMDA_NS ? { badNamespace: c.$ns.uri } : {}) } });
    }
  }
}

/**
 * An identityref's value in XML (RFC 7950 §9.10.3): the identity's name if it is one of the module
 * `namespace`, by a prefix bound in the message or (as libnetconf2 and Netopeer2 accept) the
 * module's name; undefined otherwise.
 */
function identityName(slice: XmlSlice, value: string, namespace: string, moduleName: string): string | undefined {
  const m = /^(?:([A-Za-z_][\w.-]*):)?([A-Za-z_][\w.-]*)$/.exec(value);
  if (m === null) return undefined;
  const bound = m[1] === undefined ? slice.namespaces[''] : m[1] === moduleName ? namespace : slice.namespaces[m[1]];
  return bound === namespace ? m[2] : undefined;
}

/** ietf-origin's identities (RFC 8342 §7) and the bases each is derived from, read from the module as loaded. */
function originIdentities(context: YangContext): ReadonlyMap<string, readonly string[]> {
  const identities = new Map<string, string[]>();
  for (const m of context.moduleText('ietf-origin', null, 'yin').matchAll(/<identity name="([\w.-]+)"(?:\/>|>([\s\S]*?)<\/identity>)/g)) {
    identities.set(m[1]!, [...(m[2] ?? '').matchAll(/<base name="(?:[\w.-]+:)?([\w.-]+)"\/>/g)].map((b) => b[1]!));
  }
  return identities;
}

/**
 * origin-filter / negated-origin-filter (RFC 8526 §3.1.1) as the set of origins a configuration
 * node may have to be returned: those derived from or equal to one of the values, or for the
 * negated filter those derived from and equal to none. undefined: neither parameter.
 */
function originFilterOf(op: ParsedOperation, identities: ReadonlyMap<string, readonly string[]>): readonly string[] | undefined {
  const given = ['origin-filter', 'negated-origin-filter'].filter((name) => childSlice(op, name, NMDA_NS) !== undefined);
  if (given.length === 0) return undefined;
  const name = given[0]!;
  if (given.length > 1) throw invalid(name, 'origin-filter and negated-origin-filter are two cases of one choice: give one of them');
  const values = op.children.filter((c) => c.name === name && c.namespace === NMDA_NS).map((slice) => {
    const value = slice.innerXml.trim();
    const identity = identityName(slice, value, ORIGIN_NS, 'ietf-origin');
    if (identity === undefined || !identities.has(identity)) {
      throw invalid(name, `'${value}' is not an origin (an identity derived from or:origin, such as or:learned)`);
    }
    return identity;
  });
  const derivedOrSelf = (identity: string, from: string): boolean =>
    identity === from || (identities.get(identity) ?? []).some((base) => derivedOrSelf(base, from));
  const negated = name === 'negated-origin-filter';
  return [...identities.keys()].filter((identity) => values.some((v) => derivedOrSelf(identity, v)) !== negated);
}

/**
 * <datastore>: an identity derived from ds:datastore (RFC 8342 §6), its prefix bound in the message
 * (ds:operational) or, as libnetconf2 and Netopeer2 accept, the module name (ietf-datastores:operational).
 * A datastore bmpd does not have is invalid-value (RFC 8526 §3.1.1, §3.2).
 */
function datastoreOf(op: ParsedOperation, allowed: readonly NmdaDatastore[]): NmdaDatastore {
  const slice = childSlice(op, 'datastore', NMDA_NS);
  const value = text(child(op.node, 'datastore', NMDA_NS));
  if (slice === undefined || value === undefined || value === '') throw missing('datastore', `${op.name} needs a <datastore>`);
  const name = identityName(slice, value, DATASTORES_NS, 'ietf-datastores') as NmdaDatastore | undefined;
  if (name === undefined || !(NMDA_DATASTORES as readonly string[]).includes(name)) {
    throw invalid('datastore', `unknown datastore '${value}': bmpd has ${NMDA_DATASTORES.map((d) => `ds:${d}`).join(', ')}`);
  }
  if (!allowed.includes(name)) {
    throw invalid('datastore', `${op.name} cannot use the ${name} datastore${op.name === 'edit-data' ? ' (it is not writable; edit running or candidate)' : ''}`);
  }
  return name;
}

/** The filter of <get-data>: subtree-filter or xpath-filter (RFC 8526 §3.1.1), as the xpath base-operations.ts evaluates. */
async function getDataFilter(backend: BaseOperationsBackend, op: ParsedOperation): Promise<EvaluationFilter> {
  const subtree = childSlice(op, 'subtree-filter', NMDA_NS);
  const xpath = childSlice(op, 'xpath-filter', NMDA_NS);
  if (subtree !== undefined && xpath !== undefined) throw invalid('xpath-filter', 'get-data takes one filter: subtree-filter or xpath-filter');
  if (subtree !== undefined) return subtreeXPath(backend, subtree);
  if (xpath === undefined) return undefined;
  const select = text(child(op.node, 'xpath-filter', NMDA_NS)) ?? '';
  if (select === '') throw invalid('xpath-filter', 'an empty xpath-filter selects nothing that can be evaluated');
  const namespaces: Record<string, string> = {};
  for (const [prefix, uri] of Object.entries(xpath.namespaces)) if (prefix !== '') namespaces[prefix] = uri;
  return { xpath: select, namespaces };
}

/** <max-depth>: 1..65535 or unbounded (the default). */
function maxDepthOf(op: ParsedOperation): number | undefined {
  const value = text(child(op.node, 'max-depth', NMDA_NS));
  if (value === undefined || value === 'unbounded') return undefined;
  if (!/^[1-9][0-9]{0,4}$/.test(value) || Number(value) > 65535) throw invalid('max-depth', "max-depth must be 1..65535 or 'unbounded'");
  return Number(value);
}

function configFilterOf(op: ParsedOperation): boolean | undefined {
  const value = text(child(op.node, 'config-filter', NMDA_NS));
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw invalid('config-filter', 'config-filter must be true or false');
  return value === 'true';
}

export function nmdaHandlers(backend: NmdaBackend): Record<'get-data' | 'edit-data', RpcHandler> {
  const identities = originIdentities(backend.context);
  return {
    'get-data': async ({ operation, session }) => {
      assertParameters(operation, GET_DATA_PARAMETERS);
      const datastore = datastoreOf(operation, NMDA_DATASTORES);
      const operational = datastore === 'operational';
      const withOrigin = child(operation.node, 'with-origin', NMDA_NS) !== undefined;
      // The module's when: with-origin and the origin filters only for operational; RFC 8526 §3.1.1: invalid-value.
      if (withOrigin && !operational) throw invalid('with-origin', 'with-origin applies only to the operational datastore');
      const originFilter = originFilterOf(operation, identities);
      if (originFilter !== undefined && !operational) throw invalid('origin-filter', 'origin filters apply only to the operational datastore');
      const mode = withDefaultsParam(operation, child(operation.node, 'with-defaults', NMDA_NS) !== undefined ? NMDA_NS : WITH_DEFAULTS_NS);
      const configFilter = configFilterOf(operation);
      const maxDepth = maxDepthOf(operation);
      const filter = await getDataFilter(backend, operation);
      const reply = (xml: string) => ({ xml: `<data xmlns="${NMDA_NS}">${xml}</data>` });
      if (filter?.xpath === null) return reply('');
      // Origins are written into the XML only when asked for: without them operational costs what <get> costs.
      const state = operational && configFilter !== true
        ? (await Promise.all(backend.state.map((provider) => provider()))).filter((xml) => xml.trim() !== '').map((xml) => withOrigin ? annotateStateOrigins(xml) : xml)
        : [];
      const nmda: NmdaRequest = {
        ...(configFilter !== undefined ? { configFilter } : {}),
        ...(maxDepth !== undefined ? { maxDepth } : {}),
        withOrigin,
        ...(originFilter !== undefined ? { originFilter } : {}),
        // Read with the snapshot of running the reply is computed from (NmdaRequest).
        notApplied: () => operational && configFilter !== false ? backend.notApplied?.() ?? [] : [],
      };
      // The origin filter reads running's annotations (filterConfigOrigins): the annotated copy.
      const source = operational && (withOrigin || originFilter !== undefined) ? 'operational' : operational || datastore === 'intended' ? 'running' : datastore;
      const access = backend.readAccess?.(session) ?? null;
      if (backend.evaluation === undefined) throw new RpcError({ type: 'application', tag: 'operation-failed', message: 'get-data needs the evaluation workers' });
      return reply(await backend.evaluation.evaluate({ source, state, filter, mode, access, nmda }));
    },

    'edit-data': async ({ operation, session }) => {
      assertParameters(operation, EDIT_DATA_PARAMETERS);
      // RFC 8526 §3.2: a datastore that is not writable (startup is written by copy-config only,
      // intended and operational never) is invalid-value.
      const target = datastoreOf(operation, ['running', 'candidate']) as 'running' | 'candidate';
      if (child(operation.node, 'url', NMDA_NS) !== undefined) {
        throw new RpcError({ type: 'protocol', tag: 'operation-not-supported', message: ':url is not supported', info: { badElement: 'url' } });
      }
      const config = childSlice(operation, 'config', NMDA_NS);
      if (config === undefined) throw missing('config', 'edit-data needs a <config>');
      const value = text(child(operation.node, 'default-operation', NMDA_NS));
      if (value !== undefined && !['merge', 'replace', 'none'].includes(value)) throw invalid('default-operation', '<default-operation> must be one of merge, replace, none');
      const result = await guarded(backend, () => backend.datastores.editConfig(target, configContent(config), {
        // RFC 8526 §3.2: an error restores the datastore as it was (rollback-on-error).
        defaultOperation: (value ?? 'merge') as 'merge' | 'replace' | 'none', errorOption: 'rollback-on-error',
      }, session.id));
      if (result.errors.length > 0) throw toRpcErrors(new DatastoreError(result.errors), (m) => backend.namespaceOf(m));
      return { ok: true };
    },
  };
}

export function registerNmdaOperations(dispatcher: RpcDispatcher, backend: NmdaBackend): void {
  for (const [name, handler] of Object.entries(nmdaHandlers(backend))) dispatcher.register(NMDA_NS, name, handler);
}
