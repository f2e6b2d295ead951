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

/**
 * The leaves of a neighbor's state whose values the neighbor sent (RFC 8342 §7 or:learned: learned
 * from protocol interactions with other devices): its OPEN (router-id, the capabilities and hold
 * time negotiated with it), its UPDATEs (prefixes received and accepted, updates and withdraws) and
 * its end of the TCP connection. The rest of the state is bmpd's own (or:system): its FSM's state
 * and times, the kernel's local endpoint, the BMP queues and servers, flaps and the down reason.
 */
const NEIGHBOR_LEARNED = new Set(['remote-router-id', 'remote-port', 'negotiated-hold-time', 'capabilities', 'prefixes',
  'updates-received', 'withdraws-received']);

/**
 * A state provider's XML (oper-state.ts, monitoring, yang-library, NACM counters) with origins: the
 * leaves of a neighbor's state that the neighbor sent (NEIGHBOR_LEARNED) are or:learned, the rest
 * or:system. Annotated: each top-level element, each state container, each learned node of a
 * neighbor's state and each leaf directly below a top-level element (the NACM counters); a merge
 * keeps the annotation of the nodes it adds, and running's keeps its own (or:intended) where both
 * have one.
 */
export function annotateStateOrigins(xml: string): string {
  const stack: string[] = [];
  let neighborStateAt = -1;
  return xml.replace(/<(\/?)([^\s>/!?]+)([^>]*?)(\/?)>/g, (tag, close: string, qname: string, attributes: string, selfClosing: string) => {
    if (close === '/') {
      stack.pop();
      if (stack.length < neighborStateAt) neighborStateAt = -1;
      return tag;
    }
    const name = qname.replace(/^.*:/, '');
    const depth = stack.length;
    let identity: 'system' | 'learned' | null = null;
    if (depth === 0 || depth === 1 || name === 'state') identity = 'system';
    if (name === 'state' && stack[depth - 1] === 'neighbor') neighborStateAt = depth + 1;
    else if (neighborStateAt === depth && NEIGHBOR_LEARNED.has(name)) identity = 'learned';
    if (selfClosing !== '/') stack.push(name);
    if (identity === null) return tag;
    return `<${qname}${attributes} ${ORIGIN_DECLARATION} ${origin(identity)}${selfClosing}>`;
  });
}

// ---------------------------------------------------------------------------------------------
// origin-filter / negated-origin-filter (RFC 8526 §3.1.1): they select configuration nodes by their
// origin; "system state nodes are not affected". Applied to running's annotated print before the
// state is merged, where every node is a configuration node.

interface PrintedElement {
  readonly name: string;
  readonly start: string;
  /** The origin identity's name (in ietf-origin), its own or its parent's. */
  readonly origin: string | undefined;
  readonly children: PrintedElement[];
  text: string;
  end: string;
}

/** libyang's printed XML as elements with their effective origins (text: a leaf's value, or a container's whitespace); also max-depth's input. */
function printedElements(xml: string): PrintedElement[] {
  const roots: PrintedElement[] = [];
  const stack: PrintedElement[] = [];
  for (const m of xml.matchAll(/<(\/?)([^\s>/]+)([^>]*?)(\/?)>|[^<]+/g)) {
    const top = stack[stack.length - 1];
    if (m[2] === undefined) { if (top !== undefined) top.text += m[0]; continue; }
    if (m[1] === '/') { stack.pop()!.end = m[0]; continue; }
    const own = /\s[\w.-]+:origin="(?:[\w.-]+:)?([\w.-]+)"/.exec(m[3]!)?.[1];
    const element: PrintedElement = { name: m[2].replace(/^.*:/, ''), start: m[0], origin: own ?? top?.origin, children: [], text: '', end: '' };
    (top?.children ?? roots).push(element);
    if (m[4] !== '/') stack.push(element);
  }
  return roots;
}

const printedElement = (e: PrintedElement): string => e.start + e.text + e.children.map(printedElement).join('') + e.end;

/**
 * Running's print (annotated, shrunk) without the configuration nodes whose origin is not one of
 * `keep`: a node stays when its origin is kept or one of its descendants stays; a list entry that
 * stays keeps its keys, without which it is no instance. `keep` holds the identities' names
 * (ietf-origin), derived identities already expanded (nmda.ts).
 */
export function filterConfigOrigins(printed: string, keep: ReadonlySet<string>, listKeys: ReadonlyMap<string, ReadonlySet<string>>): string {
  const render = (e: PrintedElement): string => {
    const matches = e.origin !== undefined && keep.has(e.origin);
    const keys = listKeys.get(e.name);
    let keyText = '';
    let kept = '';
    for (const c of e.children) {
      if (keys?.has(c.name) === true) keyText += printedElement(c);
      else kept += render(c);
    }
    // A node kept for a descendant only is a container or list entry: it has no text of its own.
    if (!matches && kept === '') return '';
    return e.start + e.text + keyText + kept + e.end;
  };
  return printedElements(printed).map(render).join('');
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

/** A step of an instance's identity: its name without module prefix and a list entry's key values (by key name: a path and a print may order keys differently). */
function instanceStep(name: string, keys: readonly (readonly [string, string])[]): string {
  const sorted = [...keys].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return `/${name}${sorted.length === 0 ? '' : JSON.stringify(sorted)}`;
}

/**
 * A data instance's identity as both sides of max-depth can write it, step by step: from a libyang
 * data path (/bmpd:bgp/bmp/server[id='1']) here, from the printed elements in shapePrinted.
 * Leaf-list values ([.='x']) and positions ([2]) are left out: a leaf-list entry has no
 * descendants, and the print holds only the entries the filter selected.
 */
export function instanceSteps(path: string): string[] {
  return pathSteps(path).map((step) => {
    const m = /^(?:[\w.-]+:)?([\w.-]+)(.*)$/s.exec(step);
    const keys = [...(m?.[2] ?? '').matchAll(/\[(?:[\w.-]+:)?([A-Za-z_][\w.-]*)=(?:'([^']*)'|"([^"]*)")\]/g)].map((k) => [k[1]!, k[2] ?? k[3]!] as const);
    return instanceStep(m?.[1] ?? step, keys);
  });
}

const XML_ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&apos;': "'" };
const unescapeXml = (text: string) => text.replace(/&(?:lt|gt|amp|quot|apos);/g, (e) => XML_ENTITIES[e]!);

export interface ShapeOptions {
  /** RFC 8526 max-depth; undefined: unbounded. */
  readonly maxDepth?: number;
  /** libyang data paths of the nodes the filter selected; undefined: no filter, the top-level nodes are selected. */
  readonly selected?: readonly string[];
  /** Keep or:origin annotations (with-origin). */
  readonly withOrigin: boolean;
  readonly listKeys: ReadonlyMap<string, ReadonlySet<string>>;
}

/**
 * libyang's printed XML cut to max-depth (RFC 8526 §3.1.1): below each selected node (level 1) the
 * data nodes down to level max-depth, a list entry's keys with it (without them it is no
 * instance), and the ancestors of every selected node; a node below two selected nodes counts from
 * the nearer. The origin annotations are dropped unless asked for. Printed XML has no comments,
 * CDATA or processing instructions, and text holds no '<'.
 */
export function shapePrinted(xml: string, options: ShapeOptions): string {
  let out = xml;
  if (!options.withOrigin && out.includes(ORIGIN_NS)) {
    out = out.replace(/<[^>]+>/g, (tag) => tag.includes(ORIGIN_NS) || tag.includes(':origin=')
      ? tag.replace(new RegExp(`\\s+xmlns:([\\w.-]+)="${ORIGIN_NS}"`, 'g'), '').replace(/\s+[\w.-]+:origin="[^"]*"/g, '')
      : tag);
  }
  const { maxDepth, listKeys } = options;
  if (maxDepth === undefined) return out;
  let selected: Set<string> | undefined;
  const ancestors = new Set<string>();
  if (options.selected !== undefined) {
    selected = new Set();
    for (const path of options.selected) {
      const steps = instanceSteps(path);
      for (let i = 1; i < steps.length; i++) ancestors.add(steps.slice(0, i).join(''));
      selected.add(steps.join(''));
    }
  }
  const render = (e: PrintedElement, parent: string, parentLevel: number | null): string => {
    const keyNames = listKeys.get(e.name);
    const keys = keyNames === undefined ? [] : e.children.filter((c) => keyNames.has(c.name)).map((c) => [c.name, unescapeXml(c.text)] as const);
    const identity = parent + instanceStep(e.name, keys);
    const level = (selected === undefined ? parent === '' : selected.has(identity)) ? 1 : parentLevel === null ? null : parentLevel + 1;
    if (level !== null && level > maxDepth && !ancestors.has(identity)) return '';
    let inner = '';
    for (const c of e.children) inner += keyNames?.has(c.name) === true ? printedElement(c) : render(c, identity, level);
    return e.start + (e.children.length > 0 ? '' : e.text) + inner + e.end;
  };
  return printedElements(out).map((e) => render(e, '', null)).join('');
}
