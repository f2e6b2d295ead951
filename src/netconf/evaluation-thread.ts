// The body of one evaluation worker (evaluation-pool.ts): its own libyang
// context with the served modules, copies of the datastores as the main thread
// last sent them, and the filter evaluation and printing of <get>/<get-config>
// replies. It runs in a worker_threads Worker so that the main thread can end
// it (terminate) when a request passes its time limit: a libyang call never
// yields, and a wasm call cannot be interrupted any other way.
//
// NACM read access (RFC 8341 §3.4.5) is applied here too, with the main
// thread's code (nacm.ts readView): the session's rules come as data with each
// request, the pruning runs on the datastore merged with the state data, and
// only then the filter sees the tree, so no filter selects on what the
// session may not read.
import { parentPort } from 'node:worker_threads';
import type { DataTree } from 'libyang-wasm';
import { loadYangModel } from '../yang/model.js';
import { libyangErrors } from '../datastore/errors.js';
import { makeWriteSteps, parseChunks, resultChunks } from '../datastore/large-write.js';
import type { EvaluationReply, EvaluationThreadMessage } from './evaluation-pool.js';
import { schemaAccessOptions } from './access-control.js';
import { UserRulesCache, readView } from './nacm.js';
import { annotateRunningOrigins, filterConfigOrigins, listKeysOf, shapePrinted } from './nmda-shape.js';

const port = parentPort;
if (port === null) throw new Error('evaluation-thread runs only as a worker thread');

const model = await loadYangModel();
/** The copies of running, candidate and startup; operational, made from running's, until running changes. */
const trees = new Map<string, DataTree>();
const implemented = model.modules.filter((m) => m.implemented);
// The schema's default-deny marks and namespaces, read as the main thread reads them (service.ts).
const { defaultDeny, namespaceOf } = schemaAccessOptions(model);
const rulesCache = new UserRulesCache(defaultDeny);
// get-data's max-depth keeps a list entry's keys (nmda-shape.ts).
const listKeys = listKeysOf(implemented.map((m) => { try { return model.context.moduleTree(m.name); } catch { return ''; } }));

const parseCopy = (xml: string) => model.context.parseData(xml, { format: 'xml', validate: false, strict: true });

/**
 * The tree of the chunks of this worker's last diff (diffCopy): what running is about to hold, made
 * exactly as a snapshot of those chunks is loaded, kept until the main thread says it is a datastore's
 * copy now (adoptKept) or of no more use (dropKept).
 */
let kept: DataTree | undefined;

function dropKept(): void {
  kept?.free();
  kept = undefined;
}

function drop(name: string): void {
  trees.get(name)?.free();
  trees.delete(name);
}

/**
 * Brings the copy of the message's datastore up to date; false when the worker holds no copy to
 * bring up to date (the main thread then sends a whole one).
 */
function load(message: EvaluationThreadMessage): boolean {
  const name = message.source === 'operational' ? 'running' : message.source;
  if (message.dropKept) dropKept();
  if (message.adoptKept) {
    if (kept === undefined) return false;
    drop(name);
    if (name === 'running') drop('operational');
    trees.set(name, kept);
    kept = undefined;
  } else if (message.snapshot !== undefined) {
    // The snapshot tags exactly the implicit defaults (Datastores.print; libyang's
    // parser turns wd:default="true" back into the default flag), so every with-defaults
    // mode prints here as it would on the main thread.
    drop(name);
    if (name === 'running') drop('operational');
    trees.set(name, typeof message.snapshot === 'string' ? parseCopy(message.snapshot) : parseChunks(model.context, message.snapshot));
  } else if (message.changes !== undefined) {
    const copy = trees.get(name);
    if (copy === undefined) return false;
    if (name === 'running') drop('operational');
    const part = parseCopy(message.changes.xml);
    let copied: boolean;
    try { copied = copy.copyPaths(part, message.changes.paths); } finally { part.free(); }
    if (!copied) {
      drop(name);
      return false;
    }
    // Entries copied in come last: back to the canonical order the main thread's print has (Datastores.tree).
    copy.sort();
  }
  if (message.source === 'operational' && !trees.has('operational')) {
    const running = trees.get('running');
    if (running === undefined) return false;
    trees.set('operational', parseCopy(annotateRunningOrigins(running.print({ format: 'xml', tagImplicitDefaults: true }))));
  }
  return trees.has(message.source);
}

/**
 * A datastore's whole validation (Datastores.validate, a commit of a candidate not known valid), made
 * on a duplicate of this worker's copy (validation adds defaults, which the copy must not hold): its
 * rpc-errors mapped as the main thread maps them, and on request the validated tree as the chunks the
 * main thread adopts (resultChunks) and its print as the startup file holds it (copy-config to startup).
 */
function validateCopy(id: number, name: string, result: boolean, print: boolean): EvaluationReply {
  const tree = trees.get(name)!.dup();
  try {
    tree.validate({ configOnly: true });
    // The print as Datastores.setStartup makes it of the adopted tree: canonical order, explicit defaults.
    if (print) tree.sort();
    return { type: 'validated', id, errors: [], chunks: result ? resultChunks(tree) : null, xml: print ? tree.print({ format: 'xml', withDefaults: 'explicit' }) : null };
  } catch (err) {
    const errors = libyangErrors(err, 'validate');
    if (errors === undefined) return { type: 'reply', id, ok: false, kind: 'internal', message: `validation of ${name}: ${(err as Error).message}` };
    return { type: 'validated', id, errors, chunks: null, xml: null };
  } finally {
    tree.free();
  }
}

/**
 * A datastore's change list (Datastores' checkDiff) from this worker's copy of it to the tree of a
 * large write's result: both in canonical order, as the main thread prints them. The list goes back
 * as the compact records the main thread decodes a slice per turn; the result's tree is kept (see kept).
 */
function diffCopy(id: number, name: string, chunks: readonly string[]): EvaluationReply {
  dropKept();
  let to: DataTree | undefined;
  try {
    to = parseChunks(model.context, chunks);
    const diff = trees.get(name)!.diff(to);
    let records: Uint8Array;
    try { records = diff.changeRecords(); } finally { diff.free(); }
    kept = to;
    to = undefined;
    return { type: 'diffed', id, records };
  } catch (err) {
    return { type: 'reply', id, ok: false, kind: 'internal', message: `diff of ${name}: ${(err as Error).message}` };
  } finally {
    to?.free();
  }
}

function evaluate(message: EvaluationThreadMessage): EvaluationReply {
  try {
    if (!load(message)) return { type: 'reply', id: message.id, ok: false, kind: 'resync' };
  } catch (err) {
    drop(message.source === 'operational' ? 'running' : message.source);
    return { type: 'reply', id: message.id, ok: false, kind: 'internal', message: `copy of ${message.source}: ${(err as Error).message}` };
  }
  // The request's time limit counts from here: loading the copy was the server's work (evaluation-pool.ts).
  port!.postMessage({ type: 'loaded', id: message.id } satisfies EvaluationReply);
  // A write's steps, made on a copy of this worker's copy of the datastore (large-write.ts).
  if (message.write !== undefined) {
    const base = message.write.base === null ? null : trees.get(message.write.base)!;
    return { type: 'reply', id: message.id, ok: true, chunks: makeWriteSteps(model.context, base, message.write) };
  }
  if (message.validate !== undefined) return validateCopy(message.id, message.source, message.validate.result, message.validate.print === true);
  if (message.diff !== undefined) return diffCopy(message.id, message.source, message.diff.chunks);
  const base = trees.get(message.source)!;
  const owned: DataTree[] = [];
  const { nmda } = message;
  // get-data: the printed reply cut to max-depth, its origin annotations kept only on request.
  const shaped = (xml: string, selected?: readonly string[]) => nmda === null ? xml
    : shapePrinted(xml, { ...(nmda.maxDepth !== undefined ? { maxDepth: nmda.maxDepth } : {}), ...(selected ? { selected } : {}), withOrigin: nmda.withOrigin, listKeys });
  try {
    let tree = base;
    // config-filter false: the state alone (with the list keys that place it), nothing of the datastore.
    if (nmda?.configFilter === false) {
      if (message.state.length === 0) return { type: 'reply', id: message.id, ok: true, xml: '' };
      tree = model.context.emptyTree();
      owned.push(tree);
    } else if (nmda?.originFilter !== undefined) {
      // origin-filter: the annotated running's configuration nodes of those origins, before the state (never filtered) is merged.
      const kept = filterConfigOrigins(base.print({ format: 'xml', tagImplicitDefaults: true, shrink: true }), new Set(nmda.originFilter), listKeys);
      tree = model.context.parseData(kept, { format: 'xml', validate: false, strict: true });
      owned.push(tree);
    }
    if (message.state.length > 0 || (nmda !== null && nmda.notApplied.length > 0)) {
      if (tree === base) {
        tree = base.dup();
        owned.push(tree);
      }
      for (const xml of message.state) {
        const state = model.context.parseData(xml, { format: 'xml', validate: false, strict: true });
        try { tree.merge(state); } finally { state.free(); }
      }
      if (nmda !== null && nmda.notApplied.length > 0) {
        const empty = model.context.emptyTree();
        // Copying a path from a tree that lacks it removes the node (DataTree.copyPaths).
        try { tree.copyPaths(empty, nmda.notApplied); } finally { empty.free(); }
      }
    }
    const filter = message.filter;
    if (filter?.xpath === null) return { type: 'reply', id: message.id, ok: true, xml: '' };
    let printed = (xml: string) => xml;
    if (message.access !== null) {
      const view = readView(rulesCache.rulesOf(message.access), tree, tree !== base, filter !== null, () => model.context.emptyTree(), namespaceOf);
      if (view.tree !== tree) owned.push(view.tree);
      tree = view.tree;
      printed = view.printed;
    }
    if (filter === null) return { type: 'reply', id: message.id, ok: true, xml: shaped(printed(tree.print({ format: 'xml', withDefaults: message.mode }))) };
    let selected: DataTree;
    let namespaces: Readonly<Record<string, string>> | undefined = filter.namespaces;
    try {
      selected = tree.select(filter.xpath, namespaces);
    } catch (err) {
      // Prefixes not declared in the message may be module names, the form
      // libyang and netopeer2 accept ("/ietf-netconf-monitoring:netconf-state").
      try {
        selected = tree.select(filter.xpath);
        namespaces = undefined;
      } catch {
        return { type: 'reply', id: message.id, ok: false, kind: 'invalid-filter', message: `the filter cannot be evaluated: ${(err as Error).message}` };
      }
    }
    owned.push(selected);
    const xml = selected.print({ format: 'xml', withDefaults: message.mode });
    // max-depth counts from each node the filter selected.
    const paths = nmda?.maxDepth !== undefined ? tree.paths(filter.xpath, namespaces) : undefined;
    return { type: 'reply', id: message.id, ok: true, xml: shaped(xml, paths) };
  } catch (err) {
    return { type: 'reply', id: message.id, ok: false, kind: 'internal', message: (err as Error).message };
  } finally {
    for (const t of owned) t.free();
  }
}

port.on('message', (message: EvaluationThreadMessage) => {
  const reply = evaluate(message);
  // A diff's records cross as they are, not copied.
  port.postMessage(reply, reply.type === 'diffed' ? [reply.records.buffer as ArrayBuffer] : []);
});
port.postMessage({ type: 'ready' });
