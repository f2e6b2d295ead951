// The text side of NMDA get-data (nmda.ts): origin annotations (RFC 8342 §5.3.4, §7) written into
// the XML libyang parses, and a printed reply cut to max-depth (RFC 8526 §3.1.1). Plain string
// functions, loaded by the evaluation workers as well as the main thread.
import { pathSteps } from './data-path.js';

export const ORIGIN_NS = 'urn:ietf:params:xml:ns:yang:ietf-origin';

// ---------------------------------------------------------------------------------------------
// Origins (RFC 8342 §5.3.4, §7): written into the XML before libyang parses it, so the annotations
// travel with the nodes through merge, NACM pruning and filtering; a node without one has its
// parent's origin.

const ORIGIN_DECLARATION = `xmlns:or="${ORIGIN_NS}"`;
const origin = (identity: 'intended' | 'default' | 'system' | 'learned') => `or:origin="or:${identity}"`;

/** libyang's print of running for the operational snapshot: top-level nodes or:intended, the defaults libyang added or:default. */
export function annotateRunningOrigins(printed: string): string {
  let depth = 0;
  return printed.replace(/<(\/?)([^\s>/!?]+)([^>]*?)(\/?)>/g, (tag, close: string, name: string, attributes: string, selfClosing: string) => {
    if (close === '/') { depth--; return tag; }
    const top = depth === 0;
    if (selfClosing !== '/') depth++;
    // Datastores.print tags exactly the implicit defaults (tagImplicitDefaults).
    const isDefault = /\s[\w.-]+:default="true"/.test(attributes);
    if (!top && !isDefault) return tag;
    return `<${name}${attributes} ${ORIGIN_DECLARATION} ${origin(isDefault ? 'default' : 'intended')}${selfClosing}>`;
  });
}

/** A neighbor's BMP columns: bmpd's own queues and counters inside the state the neighbor's session reports. */
const NEIGHBOR_BMP_COLUMNS = new Set(['priq-depth', 'msgq-depth', 'configured-servers', 'active-servers', 'route-monitoring-sent']);

/**
 * A state provider's XML (oper-state.ts, monitoring, yang-library, NACM counters) with origins: what
 * a BGP neighbor's session reports is or:learned (RFC 8342 §7: learned from protocol interactions
 * with other devices), the rest or:system. Annotated: each top-level element, each state container
 * and each leaf directly below a top-level element (the NACM counters); a merge keeps the
 * annotation of the nodes it adds, and running's keeps its own (or:intended) where both have one.
 */
export function annotateStateOrigins(xml: string): string {
  const stack: string[] = [];
  let learnedAt = -1;
  return xml.replace(/<(\/?)([^\s>/!?]+)([^>]*?)(\/?)>/g, (tag, close: string, qname: string, attributes: string, selfClosing: string) => {
    if (close === '/') {
      stack.pop();
      if (stack.length < learnedAt) learnedAt = -1;
      return tag;
    }
    const name = qname.replace(/^.*:/, '');
    const depth = stack.length;
    let identity: 'system' | 'learned' | null = null;
    if (depth === 0 || depth === 1) identity = 'system';
    if (name === 'state' && stack[depth - 1] === 'neighbor') { identity = 'learned'; learnedAt = depth + 1; }
    else if (name === 'state') identity = 'system';
    else if (learnedAt === depth && NEIGHBOR_BMP_COLUMNS.has(name)) identity = 'system';
    if (selfClosing !== '/') stack.push(name);
    if (identity === null) return tag;
    return `<${qname}${attributes} ${ORIGIN_DECLARATION} ${origin(identity)}${selfClosing}>`;
  });
}

// ---------------------------------------------------------------------------------------------
// Shaping a printed reply: max-depth (RFC 8526 §3.1.1) and the origin annotations' presence.

/** List name → its key leaves, read from the modules' RFC 8340 trees ("+--rw server* [id]"). */
export function listKeysOf(trees: readonly string[]): Map<string, Set<string>> {
  const keys = new Map<string, Set<string>>();
  for (const tree of trees) {
    for (const m of tree.matchAll(/([\w.-]+)\*\s+\[([^\]]+)\]/g)) {
      const set = keys.get(m[1]!) ?? new Set<string>();
      for (const k of m[2]!.split(/\s+/)) set.add(k);
      keys.set(m[1]!, set);
    }
  }
  return keys;
}

/** A data path's node names without prefixes and predicates: /bmpd:bgp/bmp/server[id='1'] → bgp/bmp/server. */
export function schemaChain(path: string): string {
  return pathSteps(path).map((s) => s.replace(/\[.*$/s, '').replace(/^.*:/, '')).join('/');
}

export interface ShapeOptions {
  /** RFC 8526 max-depth; undefined: unbounded. */
  readonly maxDepth?: number;
  /** Chains (schemaChain) of the nodes the filter selected; undefined: no filter, the top-level nodes are selected. */
  readonly selected?: ReadonlySet<string>;
  /** Keep or:origin annotations (with-origin). */
  readonly withOrigin: boolean;
  readonly listKeys: ReadonlyMap<string, ReadonlySet<string>>;
}

/**
 * libyang's printed XML cut to max-depth levels below each selected node (its ancestors kept, and
 * a list entry's keys, without which it is no instance) and without origin annotations unless
 * asked for. Printed XML has no comments, CDATA or processing instructions, and text holds no '<'.
 */
export function shapePrinted(xml: string, options: ShapeOptions): string {
  let out = xml;
  if (!options.withOrigin && out.includes(ORIGIN_NS)) {
    out = out.replace(/<[^>]+>/g, (tag) => tag.includes(ORIGIN_NS) || tag.includes(':origin=')
      ? tag.replace(new RegExp(`\\s+xmlns:([\\w.-]+)="${ORIGIN_NS}"`, 'g'), '').replace(/\s+[\w.-]+:origin="[^"]*"/g, '')
      : tag);
  }
  const { maxDepth } = options;
  if (maxDepth === undefined) return out;
  interface Open { name: string; keep: boolean; anchor: number | null }
  const stack: Open[] = [];
  const chain: string[] = [];
  let result = '';
  for (const m of out.matchAll(/<(\/?)([^\s>/]+)[^>]*?(\/?)>|[^<]+/g)) {
    const token = m[0];
    const top = stack[stack.length - 1];
    if (m[2] === undefined) {
      if (top === undefined || top.keep) result += token;
      continue;
    }
    if (m[1] === '/') {
      const closed = stack.pop()!;
      chain.pop();
      if (closed.keep) result += token;
      continue;
    }
    const name = m[2].replace(/^.*:/, '');
    const depth = stack.length;
    chain.push(name);
    let open: Open;
    if (top !== undefined && !top.keep) {
      open = { name, keep: false, anchor: null };
    } else {
      const anchor = top?.anchor ?? (options.selected === undefined ? (depth === 0 ? 0 : null) : options.selected.has(chain.join('/')) ? depth : null);
      const level = anchor === null ? 0 : depth - anchor + 1;
      const isKey = top !== undefined && options.listKeys.get(top.name)?.has(name) === true;
      open = { name, keep: anchor === null || level <= maxDepth || (level === maxDepth + 1 && isKey), anchor };
    }
    if (open.keep) result += token;
    if (m[3] === '/') chain.pop();
    else stack.push(open);
  }
  return result;
}
