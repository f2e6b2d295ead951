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
import { childSlice, configContent, invalid, withDefaultsOf } from './operation-args.js';
import { toRpcErrors } from './datastore-errors.js';
import { RpcError } from './rpc-error.js';
import type { OperationInput, ParsedOperation, RpcDispatcher, RpcHandler } from './rpc.js';
import { DatastoreError } from '../datastore/errors.js';
import type { DefaultOperation } from '../datastore/datastores.js';
import { NMDA_DATASTORES, type NmdaDatastore } from './yang-library.js';
import { annotateStateOrigins } from './nmda-shape.js';
import type { YangContext } from 'libyang-wasm';

export const NMDA_NS = 'urn:ietf:params:xml:ns:yang:ietf-netconf-nmda';

export interface NmdaBackend extends BaseOperationsBackend {
  /** Paths of running's config nodes the engine could not apply as written; left out of operational. */
  readonly notApplied?: () => readonly string[];
}

/**
 * <datastore>: an identity derived from ds:datastore (RFC 8342 §6), judged by the schema (rpc-schema.ts,
 * which also takes the module-name prefix libnetconf2 and Netopeer2 accept). The schema knows datastores
 * bmpd does not have (ds:conventional, another module's): invalid-value (RFC 8526 §3.1.1, §3.2).
 */
function datastoreOf(op: ParsedOperation, input: OperationInput, allowed: readonly NmdaDatastore[]): NmdaDatastore {
  const identity = input['datastore'] as string;
  const [module, name] = identity.split(':') as [string, NmdaDatastore];
  if (module !== 'ietf-datastores' || !(NMDA_DATASTORES as readonly string[]).includes(name)) {
    throw invalid('datastore', `unknown datastore '${identity}': bmpd has ${NMDA_DATASTORES.map((d) => `ds:${d}`).join(', ')}`);
  }
  if (!allowed.includes(name)) {
    throw invalid('datastore', `${op.name} cannot use the ${name} datastore${op.name === 'edit-data' ? ' (it is not writable; edit running or candidate)' : ''}`);
  }
  return name;
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
 * negated filter those derived from and equal to none. undefined: neither parameter. The schema
 * judged the values (identities derived from or:origin), the choice (one of the two) and the when
 * (operational only).
 */
function originFilterOf(input: OperationInput, identities: ReadonlyMap<string, readonly string[]>): readonly string[] | undefined {
  const negated = input['negated-origin-filter'] !== undefined;
  const given = (negated ? input['negated-origin-filter'] : input['origin-filter']) as readonly string[] | undefined;
  if (given === undefined) return undefined;
  // RFC 7951 §6.8: an identity with its module's name, ietf-origin:learned.
  const values = given.map((v) => v.replace(/^ietf-origin:/, ''));
  const derivedOrSelf = (identity: string, from: string): boolean =>
    identity === from || (identities.get(identity) ?? []).some((base) => derivedOrSelf(base, from));
  return [...identities.keys()].filter((identity) => values.some((v) => derivedOrSelf(identity, v)) !== negated);
}

/** The filter of <get-data>: subtree-filter or xpath-filter (RFC 8526 §3.1.1), as the xpath base-operations.ts evaluates. */
async function getDataFilter(backend: BaseOperationsBackend, op: ParsedOperation, input: OperationInput): Promise<EvaluationFilter> {
  // One of them at most: they are cases of one choice (rpc-schema.ts).
  const subtree = childSlice(op, 'subtree-filter', NMDA_NS);
  if (subtree !== undefined) return subtreeXPath(backend, subtree);
  const xpath = input['xpath-filter'] as string | undefined;
  if (xpath === undefined) return undefined;
  // yang:xpath1.0 admits the empty string, which no evaluation can take.
  if (xpath.trim() === '') throw invalid('xpath-filter', 'an empty xpath-filter selects nothing that can be evaluated');
  // The schema resolved the message's prefixes: the input has module names as prefixes (RFC 7951 §6.11).
  return { xpath };
}

export function nmdaHandlers(backend: NmdaBackend): Record<'get-data' | 'edit-data', RpcHandler> {
  const identities = originIdentities(backend.context);
  return {
    'get-data': async ({ operation, input, session }) => {
      const datastore = datastoreOf(operation, input, NMDA_DATASTORES);
      const operational = datastore === 'operational';
      // The module's when (with-origin and the origin filters only for operational) is the schema's:
      // RFC 8526 §3.1.1 invalid-value.
      const withOrigin = input['with-origin'] !== undefined;
      const originFilter = originFilterOf(input, identities);
      const mode = withDefaultsOf(input['with-defaults']);
      const configFilter = input['config-filter'] as boolean | undefined;
      const depth = input['max-depth'] as number | 'unbounded';
      const maxDepth = depth === 'unbounded' ? undefined : depth;
      const filter = await getDataFilter(backend, operation, input);
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

    'edit-data': async ({ operation, input, session }) => {
      // RFC 8526 §3.2: a datastore that is not writable (startup is written by copy-config only,
      // intended and operational never) is invalid-value.
      const target = datastoreOf(operation, input, ['running', 'candidate']) as 'running' | 'candidate';
      // edit-content is a mandatory choice of <config> and :url, which bmpd does not have (rpc-schema.ts).
      const config = childSlice(operation, 'config', NMDA_NS)!;
      const result = await guarded(backend, () => backend.datastores.editConfig(target, configContent(config), {
        // RFC 8526 §3.2: an error restores the datastore as it was (rollback-on-error).
        defaultOperation: input['default-operation'] as DefaultOperation, errorOption: 'rollback-on-error',
      }, session.id));
      if (result.errors.length > 0) throw toRpcErrors(new DatastoreError(result.errors), (m) => backend.namespaceOf(m));
      return { ok: true };
    },
  };
}

export function registerNmdaOperations(dispatcher: RpcDispatcher, backend: NmdaBackend): void {
  for (const [name, handler] of Object.entries(nmdaHandlers(backend))) dispatcher.register(NMDA_NS, name, handler);
}
