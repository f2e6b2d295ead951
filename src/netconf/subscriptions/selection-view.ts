/**
 * Incremental on-change (RFC 8641 §3.10, issue 14): one user's selection as their on-change
 * subscribers of that filter have seen it, kept as a libyang tree and patched, not recomputed.
 *
 * A change of one BGP neighbor (its configuration, or its session state: the events say which) is
 * read again only where it meets the selection: the subscription's xpath narrowed to that neighbor's
 * list entry, or nothing at all when the selection cannot hold it. The evaluation then costs what a
 * <get> of one neighbor costs, and the diff is confined to that entry (DataTree.diffPaths), instead
 * of two parses and a diff of the whole selection on the main thread. Any other change (a BMP
 * server's, which every neighbor's active-servers follows; /nacm; VRF neighbors), and a filter that is
 * not a plain path selection, read the whole selection again and diff it against the tree.
 *
 * The edits that moved the view from one version to the next are kept (MAX_LOG_VERSIONS), so
 * subscribers of the view that push at different times (dampening) each get the edits since theirs;
 * one further behind gets the whole selection again (push-update).
 */
import type { DataTree, DiffChange, YangContext } from 'libyang-wasm';
import type { EvaluationFilter } from '../evaluation-pool.js';
import type { PatchEdit } from './yang-patch.js';

/** What a change touched: BGP neighbors by address (the default VRF's), or anything. */
export type Affected = ReadonlySet<string> | 'all';

/** Module names and namespaces of the served modules. */
export interface ModuleNames {
  moduleOf(namespace: string): string | null;
  namespaceOf(module: string): string | null;
}
/** Versions whose edits a view keeps for subscribers that push later than others. */
export const MAX_LOG_VERSIONS = 64;
/** More neighbors than this changed since the last read (a union of that many key lookups): the whole selection is read again. */
const MAX_NARROWED_NEIGHBORS = 64;

const NEIGHBOR_TARGET = /^\/bmpd:bgp\/bmpd:neighbor\[bmpd:address=(?:'([^']+)'|"([^"]+)")\](?:\/|$)/;

/**
 * The neighbors an event names, for the events on-change looks again after: netconf-config-change
 * (notifications.ts configChangeEvent) whose every changed node lies in a default-VRF neighbor
 * entry, bgp-neighbor-state-change of a default-VRF neighbor. Anything else: 'all'.
 */
export function affectedBy(event: { readonly name: string; readonly xml: string }): Affected {
  if (event.name === 'bgp-neighbor-state-change') {
    const address = /<address>([^<']+)<\/address>/.exec(event.xml)?.[1];
    return address !== undefined && !event.xml.includes('<vrf>') ? new Set([address]) : 'all';
  }
  if (event.name !== 'netconf-config-change') return 'all';
  const addresses = new Set<string>();
  for (const m of event.xml.matchAll(/<edit><target[^>]*>([^<]*)<\/target><operation>([^<]*)<\/operation>/g)) {
    // merge: a node that only holds the changed ones (libyang's diff operation none), such as /bgp itself.
    if (m[2] === 'merge') continue;
    const target = NEIGHBOR_TARGET.exec(m[1]!);
    if (target === null) return 'all';
    addresses.add(target[1] ?? target[2]!);
  }
  return addresses.size > 0 ? addresses : 'all';
}

/** libyang's data path of a default-VRF neighbor's list entry (the form diffPaths and copyPaths take). */
function neighborPath(address: string): string {
  return `/bmpd:bgp/neighbor[address='${address}']`;
}

interface Step { readonly module: string | null; readonly text: string }

/** `text` split at `separator` outside predicates and quoted strings; null when unbalanced. */
function splitTopLevel(text: string, separator: string): string[] | null {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== null) { if (c === quote) quote = null; continue; }
    if (c === '\'' || c === '"') quote = c;
    else if (c === '[') depth++;
    else if (c === ']') { if (--depth < 0) return null; }
    else if (c === separator && depth === 0) { parts.push(text.slice(start, i)); start = i + 1; }
  }
  if (depth !== 0 || quote !== null) return null;
  parts.push(text.slice(start));
  return parts;
}

/** One branch of a plain selection: absolute child steps `prefix:name[...]`; null for anything else. */
function plainSteps(branch: string, moduleOf: (prefix: string) => string | null): Step[] | null {
  const trimmed = branch.trim();
  if (!trimmed.startsWith('/')) return null;
  const steps = splitTopLevel(trimmed.slice(1), '/');
  if (steps === null) return null;
  const out: Step[] = [];
  for (const step of steps) {
    const m = /^\s*([\w.-]+):([\w.-]+)\s*((?:\[[\s\S]*\])?)\s*$/.exec(step);
    if (m === null) return null; // '//', '*', '..', an axis or a function: not plain
    out.push({ module: moduleOf(m[1]!), text: step.trim() });
  }
  return out;
}

/**
 * `filter` narrowed to the list entries of `addresses` (default-VRF BGP neighbors): the same xpath
 * with each branch's neighbor step given the address as one more predicate (or, for a branch that
 * selects /bgp itself, the entry appended). 'disjoint' when no branch can select anything inside
 * those entries; null when the filter is not a union of plain paths (then the whole selection is read).
 * The predicates of the filter are kept as they are: the narrowed path is evaluated on the whole tree,
 * so each gives the value it gives in the full selection.
 */
export function narrowToNeighbors(filter: EvaluationFilter, addresses: ReadonlySet<string>, names: ModuleNames): EvaluationFilter | 'disjoint' | null {
  const bmpd = names.namespaceOf('bmpd');
  if (addresses.size > MAX_NARROWED_NEIGHBORS || bmpd === null) return null;
  const namespaces: Record<string, string> = { ...(filter?.namespaces ?? {}) };
  // The filter's prefix for bmpd, or one bound here for the steps this adds.
  let prefix = Object.entries(namespaces).find(([, uri]) => uri === bmpd)?.[0];
  if (prefix === undefined) {
    prefix = 'bmpd';
    while (namespaces[prefix] !== undefined) prefix += '_';
    namespaces[prefix] = bmpd;
  }
  const key = (address: string) => `[${prefix}:address='${address}']`;
  if (filter === undefined) {
    return { xpath: [...addresses].map((a) => `/${prefix}:bgp/${prefix}:neighbor${key(a)}`).join(' | '), namespaces };
  }
  if (filter.xpath === null) return 'disjoint';
  // A prefix the request did not declare may be a module name (the worker accepts that form too).
  const moduleOfPrefix = (p: string) => (filter.namespaces?.[p] !== undefined ? names.moduleOf(filter.namespaces[p]!) : p);
  const branches = splitTopLevel(filter.xpath, '|');
  if (branches === null) return null;
  const narrowed: string[] = [];
  for (const branch of branches) {
    const steps = plainSteps(branch, moduleOfPrefix);
    if (steps === null) return null;
    if (steps[0]?.module !== 'bmpd' || !/^[\w.-]+:bgp(\[|$)/.test(steps[0].text)) continue;
    if (steps.length === 1) {
      for (const a of addresses) narrowed.push(`/${steps[0].text}/${prefix}:neighbor${key(a)}`);
      continue;
    }
    const second = steps[1]!;
    if (second.module !== 'bmpd' || !/^[\w.-]+:neighbor(\[|$)/.test(second.text)) continue;
    const rest = steps.slice(2).map((s) => `/${s.text}`).join('');
    for (const a of addresses) narrowed.push(`/${steps[0].text}/${second.text}${key(a)}${rest}`);
  }
  return narrowed.length === 0 ? 'disjoint' : { xpath: narrowed.join(' | '), namespaces };
}

export interface SelectionViewOptions extends ModuleNames {
  readonly context: YangContext;
  readonly filter: EvaluationFilter;
  /** The selection (or a narrowed one) as the view's user may read it, evaluated within their share. */
  read(filter: EvaluationFilter): Promise<string>;
  /** The YANG Patch edits of a diff (`after` holds the new values). */
  edits(changes: readonly DiffChange[], after: DataTree): PatchEdit[];
}

export class SelectionView {
  /** The selection as of `version`; null until first read. */
  private current: DataTree | null = null;
  version = 0;
  subscribers = 0;
  private readonly log: { readonly version: number; readonly edits: readonly PatchEdit[] }[] = [];
  private dirty: Set<string> | 'all' = 'all';
  private refreshing: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly options: SelectionViewOptions) {}

  /** The selection as of `version` (after a refresh()). */
  get tree(): DataTree {
    if (this.current === null) throw new Error('the selection was not read yet');
    return this.current;
  }

  /** A change happened: what it touched is read again at the next refresh(). */
  markChanged(affected: Affected): void {
    if (this.dirty === 'all') return;
    if (affected === 'all') this.dirty = 'all';
    else for (const a of affected) this.dirty.add(a);
  }

  /** Brings the view up to every change marked before this call (reading what they touched). */
  async refresh(): Promise<void> {
    while (this.refreshing !== null) await this.refreshing;
    if (this.dirty !== 'all' && this.dirty.size === 0) return;
    this.refreshing = this.readChanges().finally(() => { this.refreshing = null; });
    await this.refreshing;
  }

  /** The edits from `version` to now; null when they are no longer kept. */
  editsSince(version: number): PatchEdit[] | null {
    if (version === this.version) return [];
    if (this.log.length === 0 || this.log[0]!.version > version + 1) return null;
    return this.log.filter((entry) => entry.version > version).flatMap((entry) => entry.edits);
  }

  close(): void {
    this.closed = true;
    this.current?.free();
    this.current = null;
  }

  private async readChanges(): Promise<void> {
    const affected = this.dirty;
    this.dirty = new Set();
    try {
      let filter = this.options.filter;
      let paths: string[] | null = null;
      if (affected !== 'all' && this.current !== null) {
        const narrowed = narrowToNeighbors(filter, affected, this.options);
        if (narrowed === 'disjoint') return; // nothing the selection holds changed
        if (narrowed !== null) {
          filter = narrowed;
          paths = [...affected].map(neighborPath);
        }
      }
      const xml = await this.options.read(filter);
      if (this.closed) return;
      const { context } = this.options;
      const after = xml.trim() === '' ? context.emptyTree() : context.parseData(xml, { format: 'xml', validate: false, strict: true });
      let keep = false;
      try {
        const before = this.current;
        if (before === null) {
          this.current = after; // the first read: the baseline, no edits
          keep = true;
          return;
        }
        const diff = paths === null ? before.diff(after) : before.diffPaths(after, paths);
        let edits: PatchEdit[];
        try {
          edits = this.options.edits(diff.changes(), after);
        } finally {
          diff.free();
        }
        if (paths === null) {
          before.free();
          this.current = after;
          keep = true;
        } else if (!before.copyPaths(after, paths)) {
          // An ordered-by user list in the way (DataTree.copyPaths): the whole selection next time.
          this.dirty = 'all';
        }
        this.version++;
        this.log.push({ version: this.version, edits });
        if (this.log.length > MAX_LOG_VERSIONS) this.log.shift();
      } finally {
        if (!keep) after.free();
      }
    } catch (err) {
      // Read again next time what this read would have covered.
      if (affected === 'all') this.dirty = 'all';
      else this.markChanged(affected);
      throw err;
    }
  }
}
