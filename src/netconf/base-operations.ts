// RFC 6241 §7 and §8 operations over the datastores: get, get-config,
// edit-config, copy-config, delete-config, lock, unlock, validate, commit
// (with §8.4 confirmed commit), cancel-commit and discard-changes.
// close-session and kill-session are in session-operations.ts.
import type { DataTree, YangContext } from 'libyang-wasm';
import type { ConfigSource, DatastoreName, Datastores, DefaultOperation, ErrorOption, TestOption } from '../datastore/datastores.js';
import { DatastoreError } from '../datastore/errors.js';
import type { ConfirmedCommit } from './confirmed-commit.js';
import {
  child, childSlice, configCase, configContent, invalid, withDefaultsOf, WITH_DEFAULTS_MEMBER, type WithDefaultsMode,
} from './operation-args.js';
import { toRpcErrors } from './datastore-errors.js';
import { NETCONF_BASE_NS, RpcError } from './rpc-error.js';
import type { ReadAccess, ReadView } from './nacm.js';
import type { OperationInput, ParsedOperation, RpcDispatcher, RpcHandler } from './rpc.js';
import type { SessionInfo } from './session-control.js';
import { FilterError, filterTooBig, subtreeFilterToXPath } from './subtree-filter.js';
import { XmlLimitError, type XmlSlice } from './xml.js';
import type { EvaluationFilter, EvaluationPool } from './evaluation-pool.js';

/** Produces state (config false) data as XML for <get>; each provider covers its own subtree. */
export type StateProvider = () => string | Promise<string>;

export interface BaseOperationsBackend {
  readonly context: YangContext;
  readonly datastores: Datastores;
  readonly confirmedCommit: ConfirmedCommit;
  /** Module name → XML namespace, for error-path prefixes. */
  namespaceOf(module: string): string | null;
  /** XML namespace → module name, for subtree filters. */
  moduleOf(namespace: string): string | null;
  /** State providers merged into <get> replies. */
  readonly state: readonly StateProvider[];
  /**
   * Worker threads that evaluate and print <get>/<get-config> replies within a
   * time limit; without it (unit tests) they are computed on this thread.
   */
  readonly evaluation?: EvaluationPool;
  /**
   * NACM read access (RFC 8341 §3.4.5), applied before any filter: the tree as the session may read
   * it — `tree` itself, pruned in place when `owned`, or a pruned copy the caller frees — and what to
   * do to its print. For replies computed on this thread.
   */
  readonly readView?: (session: SessionInfo, tree: DataTree, owned: boolean, filtered: boolean) => ReadView;
  /** The same read access as data, for replies computed by `evaluation`'s workers; null: unrestricted. */
  readonly readAccess?: (session: SessionInfo) => ReadAccess | null;
}

/** Runs a datastore operation, turning its errors into rpc-errors (also <edit-data>'s, nmda.ts). */
export async function guarded<T>(backend: BaseOperationsBackend, op: () => T | Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof DatastoreError) throw toRpcErrors(err, (m) => backend.namespaceOf(m));
    throw err;
  }
}

/**
 * The XPath a <filter> selects, or undefined for "no filter" and null for
 * "selects nothing" (RFC 6241 §6.4.2: an empty filter selects nothing).
 * <filter> is anyxml and its type and select are attributes, which the schema
 * check (rpc-schema.ts) does not see: RFC 6241 §7.1 gives them their own errors
 * (missing-attribute, bad-attribute), checked here.
 */
async function filterXPath(backend: BaseOperationsBackend, op: ParsedOperation): Promise<EvaluationFilter> {
  const node = child(op.node, 'filter');
  if (node === undefined) return undefined;
  const slice = childSlice(op, 'filter')!;
  const typeAttr = Object.values(node.$ ?? {}).find((a) => a.local === 'type' && (a.uri === '' || a.uri === NETCONF_BASE_NS));
  const type = typeAttr?.value ?? 'subtree';
  if (type === 'xpath') {
    const select = Object.values(node.$ ?? {}).find((a) => a.local === 'select' && (a.uri === '' || a.uri === NETCONF_BASE_NS));
    if (select === undefined) {
      throw new RpcError({ type: 'protocol', tag: 'missing-attribute', message: 'an xpath filter needs a select attribute',
        info: { badAttribute: 'select', badElement: 'filter' } });
    }
    const namespaces: Record<string, string> = {};
    for (const [prefix, uri] of Object.entries(slice.namespaces)) if (prefix !== '') namespaces[prefix] = uri;
    return { xpath: select.value, namespaces };
  }
  if (type !== 'subtree') {
    throw new RpcError({ type: 'protocol', tag: 'bad-attribute', message: `unknown filter type '${type}'`,
      info: { badAttribute: 'type', badElement: 'filter' } });
  }
  return subtreeXPath(backend, slice);
}

/** A subtree filter (RFC 6241 §6) as the xpath that selects the same nodes; also <get-data>'s subtree-filter (nmda.ts). */
export async function subtreeXPath(backend: Pick<BaseOperationsBackend, 'moduleOf'>, slice: XmlSlice): Promise<EvaluationFilter> {
  try {
    return { xpath: await subtreeFilterToXPath(slice.innerXml, (ns) => backend.moduleOf(ns), slice.namespaces) };
  } catch (err) {
    if (err instanceof FilterError) throw invalid('filter', err.message);
    if (err instanceof XmlLimitError) throw filterTooBig();
    throw err;
  }
}

/**
 * Prints `tree` through an optional filter, as the session may read it (NACM before the filter); the
 * reply content of <data>. `owned`: the tree is the caller's to prune.
 */
async function render(backend: BaseOperationsBackend, session: SessionInfo, source: DataTree, owned: boolean, op: ParsedOperation,
  mode: WithDefaultsMode): Promise<string> {
  const filter = await filterXPath(backend, op);
  const view = backend.readView?.(session, source, owned, filter !== undefined) ?? { tree: source, printed: (xml: string) => xml };
  try {
    return view.printed(renderFiltered(view.tree, filter, mode));
  } finally {
    if (view.tree !== source) view.tree.free();
  }
}

function renderFiltered(tree: DataTree, filter: { xpath: string | null; namespaces?: Record<string, string> } | undefined,
  mode: WithDefaultsMode): string {
  if (filter === undefined) return tree.print({ format: 'xml', withDefaults: mode });
  if (filter.xpath === null) return '';
  let selected: DataTree;
  try {
    selected = tree.select(filter.xpath, filter.namespaces);
  } catch (err) {
    // Prefixes not declared in the message may be module names, the form
    // libyang and netopeer2 accept ("/ietf-netconf-monitoring:netconf-state").
    try {
      selected = tree.select(filter.xpath);
    } catch {
      throw invalid('filter', `the filter cannot be evaluated: ${(err as Error).message}`);
    }
  }
  try {
    return selected.print({ format: 'xml', withDefaults: mode });
  } finally {
    selected.free();
  }
}

/** Running plus every provider's state data, for <get>. */
async function runningWithState(backend: BaseOperationsBackend): Promise<DataTree> {
  const tree = backend.datastores.tree('running').dup();
  try {
    for (const provider of backend.state) {
      const xml = await provider();
      if (xml.trim() === '') continue;
      const state = backend.context.parseData(xml, { format: 'xml', validate: false, strict: true });
      try { tree.merge(state); } finally { state.free(); }
    }
  } catch (err) {
    tree.free();
    throw err;
  }
  return tree;
}

/**
 * What <get> returns to `session`: running with every provider's state, selected by `filter`, as the
 * session may read it, computed by the evaluation workers within their time limit. YANG-push updates
 * (subscriptions/) are this too.
 */
export async function readWithState(backend: BaseOperationsBackend, evaluation: EvaluationPool, session: SessionInfo,
  filter: EvaluationFilter, mode: WithDefaultsMode): Promise<string> {
  if (filter?.xpath === null) return '';
  const state = (await Promise.all(backend.state.map((provider) => provider()))).filter((xml) => xml.trim() !== '');
  return evaluation.evaluate({ source: 'running', state, filter, mode, access: backend.readAccess?.(session) ?? null });
}

export function baseOperationHandlers(backend: BaseOperationsBackend): Record<string, RpcHandler> {
  const ds = backend.datastores;
  return {
    'get-config': async ({ operation, input, session }) => {
      const source = configCase(input, 'source') as DatastoreName;
      const mode = withDefaultsOf(input[WITH_DEFAULTS_MEMBER]);
      const { evaluation } = backend;
      if (evaluation !== undefined) {
        const filter = await filterXPath(backend, operation);
        return { data: await evaluation.evaluate({ source, state: [], filter, mode, access: backend.readAccess?.(session) ?? null }) };
      }
      return { data: await render(backend, session, ds.tree(source), false, operation, mode) };
    },

    get: async ({ operation, input, session }) => {
      const mode = withDefaultsOf(input[WITH_DEFAULTS_MEMBER]);
      const { evaluation } = backend;
      if (evaluation !== undefined) return { data: await readWithState(backend, evaluation, session, await filterXPath(backend, operation), mode) };
      const tree = await runningWithState(backend);
      try {
        return { data: await render(backend, session, tree, true, operation, mode) };
      } finally {
        tree.free();
      }
    },

    'edit-config': async ({ operation, input, session }) => {
      // The schema's config-target has running and candidate only (startup is written by copy-config).
      const target = configCase(input, 'target') as 'running' | 'candidate';
      // edit-content is a mandatory choice of <config> and :url, which bmpd does not have.
      const config = childSlice(operation, 'config')!;
      // The schema's defaults (merge, test-then-set, stop-on-error) are in the input.
      const result = await guarded(backend, () => ds.editConfig(target, configContent(config), {
        defaultOperation: input['default-operation'] as DefaultOperation,
        testOption: input['test-option'] as TestOption,
        errorOption: input['error-option'] as ErrorOption,
      }, session.id));
      if (result.errors.length > 0) {
        // continue-on-error: the good parts are applied, the reply lists the rest.
        throw toRpcErrors(new DatastoreError(result.errors), (m) => backend.namespaceOf(m));
      }
      return { ok: true };
    },

    'copy-config': async ({ operation, input, session }) => {
      const target = configCase(input, 'target') as DatastoreName;
      const source = configSource(operation, input);
      await guarded(backend, () => ds.copyConfig(target, source, session.id));
      return { ok: true };
    },

    'delete-config': async ({ input, session }) => {
      const target = configCase(input, 'target') as DatastoreName;
      await guarded(backend, () => ds.deleteConfig(target, session.id));
      return { ok: true };
    },

    lock: async ({ input, session }) => {
      const target = configCase(input, 'target') as DatastoreName;
      await guarded(backend, () => ds.lock(target, session.id));
      return { ok: true };
    },

    unlock: async ({ input, session }) => {
      const target = configCase(input, 'target') as DatastoreName;
      await guarded(backend, () => ds.unlock(target, session.id));
      return { ok: true };
    },

    validate: async ({ operation, input }) => {
      const source = configSource(operation, input);
      await guarded(backend, () => ds.validate(source));
      return { ok: true };
    },

    commit: async ({ input, session }) => {
      // confirm-timeout: uint32 1..max, default 600 (the schema adds it when absent).
      await guarded(backend, () => backend.confirmedCommit.commit(session, {
        confirmed: input['confirmed'] !== undefined,
        timeoutSeconds: (input['confirm-timeout'] as number | undefined) ?? 600,
        persist: (input['persist'] as string | undefined) ?? null,
        persistId: (input['persist-id'] as string | undefined) ?? null,
      }));
      return { ok: true };
    },

    'cancel-commit': async ({ input, session }) => {
      const persistId = (input['persist-id'] as string | undefined) ?? null;
      await guarded(backend, () => backend.confirmedCommit.cancel(session, persistId));
      return { ok: true };
    },

    'discard-changes': async ({ session }) => {
      await guarded(backend, () => ds.discardChanges(session.id));
      return { ok: true };
    },
  };
}

/** The <source> of copy-config and validate: an inline <config> (its content) or a datastore. */
function configSource(operation: ParsedOperation, input: OperationInput): ConfigSource {
  const source = configCase(input, 'source');
  return source === 'config' ? { config: inlineConfig(operation) } : { datastore: source };
}

/** The content of <source><config>…</config></source> with its namespaces in scope. */
function inlineConfig(operation: ParsedOperation): string {
  const config = childSlice(childSlice(operation, 'source')!, 'config');
  return config === undefined ? '' : configContent(config);
}

export function registerBaseOperations(dispatcher: RpcDispatcher, backend: BaseOperationsBackend): void {
  for (const [name, handler] of Object.entries(baseOperationHandlers(backend))) {
    dispatcher.register(NETCONF_BASE_NS, name, handler);
    // Interop: Ansible's netconf_rpc sends <get/> without a namespace inside
    // a namespaced <rpc>; netopeer2 and yuma123 read it as the base operation
    // (and so does the schema check, rpc-schema.ts).
    dispatcher.register('', name, handler);
  }
}
