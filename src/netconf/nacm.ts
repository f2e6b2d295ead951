// NETCONF Access Control Model (RFC 8341): the rules as configured under
// /nacm, the schema's nacm:default-deny-write / default-deny-all marks, and the
// decisions of §3.4.4 (protocol operations), §3.4.5 (data nodes) and §3.4.6
// (notifications). Pure: no sessions, no datastores. Paths are libyang's data
// paths (/bmpd:bgp/bmp/server[id='1']), the form the datastore records its
// changes in and libyang prints the rules' node-instance-identifiers in.
//
// Read access is decided per subtree: a node the user may not read is left out
// with everything below it (§3.4.5 steps 9 and 11 say so for the defaults; a
// denying rule gives the same, as a child cannot be sent without its parent).
// A node's module is taken to be its top-level node's module: none of the
// served modules augments another one's data tree.
import type { DataTree } from 'libyang-wasm';
import xml2js from 'xml2js';
import { pathSteps } from './data-path.js';
import { textElement } from './xml.js';

export const NACM_NS = 'urn:ietf:params:xml:ns:yang:ietf-netconf-acm';
export const NACM_MODULE = 'ietf-netconf-acm';
const YIN_NS = 'urn:ietf:params:xml:ns:yang:yin:1';

export type AccessOperation = 'read' | 'create' | 'update' | 'delete' | 'exec';
export type RuleAction = 'permit' | 'deny';

/** §3.2.5 rule-type: what a rule is about besides its module. */
export type RuleTarget =
  | { readonly kind: 'any' }
  | { readonly kind: 'rpc'; readonly name: string }
  | { readonly kind: 'notification'; readonly name: string }
  | { readonly kind: 'path'; readonly path: string; readonly steps: readonly PathStep[] | null };

export interface NacmRule {
  /** rule-list/rule, for logs and tests. */
  readonly name: string;
  /** '*' or a module name. */
  readonly module: string;
  readonly target: RuleTarget;
  /** '*' (every operation) or the listed ones. */
  readonly operations: '*' | ReadonlySet<AccessOperation>;
  readonly action: RuleAction;
}

export interface NacmRuleList {
  readonly name: string;
  /** Group names; '*' is every group. */
  readonly groups: readonly string[];
  readonly rules: readonly NacmRule[];
}

/** /nacm's configuration (§3.2). */
export interface NacmConfig {
  readonly enabled: boolean;
  readonly readDefault: RuleAction;
  readonly writeDefault: RuleAction;
  readonly execDefault: RuleAction;
  readonly externalGroups: boolean;
  /** group name → user names (/nacm/groups). */
  readonly groups: ReadonlyMap<string, ReadonlySet<string>>;
  readonly ruleLists: readonly NacmRuleList[];
}

/** What the YANG modules say through nacm:default-deny-write and nacm:default-deny-all (§3.1.3). */
export interface DefaultDeny {
  /** Schema paths (/bmpd:bgp/bmpd:neighbor/bmpd:password, every node prefixed) of marked data nodes. */
  readonly data: ReadonlyMap<string, 'write' | 'all'>;
  /** 'module:rpc' of marked protocol operations. */
  readonly operations: ReadonlyMap<string, 'write' | 'all'>;
  /** 'module:notification' of marked notifications. */
  readonly notifications: ReadonlyMap<string, 'write' | 'all'>;
  /** Schema paths of non-presence containers: they exist implicitly and carry no write access of their own. */
  readonly nonPresence: ReadonlySet<string>;
}

/** The RFC's defaults: what /nacm holds when nothing is configured under it (enable-nacm true). */
export const RFC_DEFAULTS: NacmConfig = {
  enabled: true, readDefault: 'permit', writeDefault: 'deny', execDefault: 'permit', externalGroups: true,
  groups: new Map(), ruleLists: [],
};

/**
 * SPEC §4 factory configuration: the RFC defaults plus a rule-list `admin` that permits the group
 * `admin` everything, so `bmpd-adduser --group admin` makes an administrator (IOS XE privilege 15).
 */
export const FACTORY_NACM_XML =
  `<nacm xmlns="${NACM_NS}"><enable-nacm>true</enable-nacm><read-default>permit</read-default>` +
  '<write-default>deny</write-default><exec-default>permit</exec-default>' +
  '<rule-list><name>admin</name><group>admin</group><rule><name>permit-all</name><module-name>*</module-name>' +
  '<access-operations>*</access-operations><action>permit</action>' +
  '<comment>Factory rule: the admin group administers the agent.</comment></rule></rule-list></nacm>';

// ---------------------------------------------------------------------------------------------------
// Paths

/** One step of a data path: its module (explicit or inherited from the step before), name and key predicates. */
export interface PathStep {
  readonly module: string;
  readonly name: string;
  /** key (or '.' for a leaf-list value) → value; a rule's predicate must be met by the node's. */
  readonly keys: ReadonlyMap<string, string>;
}

/**
 * Parses a data path or a node-instance-identifier (RFC 8341 §3.2.5: an instance-identifier whose
 * predicates may be left out) in libyang's form. Null for what is not one (wildcards, '//', positions,
 * functions). A rule's path never is: libyang refuses such a value when /nacm is edited, with
 * invalid-value (datastore/errors.ts, NACM_RULE_PATH), so reads (XPath) and writes (pathCovers) name
 * the same nodes.
 */
export function parsePath(path: string): PathStep[] | null {
  if (!path.startsWith('/')) return null;
  const steps: PathStep[] = [];
  let module = '';
  for (const raw of pathSteps(path)) {
    const m = /^(?:([A-Za-z_][\w.-]*):)?([A-Za-z_][\w.-]*)((?:\[.*\])?)$/s.exec(raw);
    if (!m) return null;
    if (m[1]) module = m[1];
    if (module === '') return null;
    const keys = new Map<string, string>();
    let rest = m[3] ?? '';
    while (rest !== '') {
      const p = /^\[\s*(?:(?:[\w.-]+:)?([\w.-]+)|(\.))\s*=\s*(?:'([^']*)'|"([^"]*)")\s*\]/.exec(rest);
      if (!p) return null;
      keys.set(p[1] ?? '.', p[3] ?? p[4] ?? '');
      rest = rest.slice(p[0].length);
    }
    steps.push({ module, name: m[2]!, keys });
  }
  return steps;
}

/** RFC 8341 §3.4.5: a rule's path matches the node it names and every descendant of it. */
export function pathCovers(rule: readonly PathStep[], node: readonly PathStep[]): boolean {
  if (rule.length > node.length) return false;
  for (let i = 0; i < rule.length; i++) {
    const r = rule[i]!;
    const n = node[i]!;
    if (r.name !== n.name || r.module !== n.module) return false;
    for (const [key, value] of r.keys) if (n.keys.get(key) !== value) return false;
  }
  return true;
}

/** The data paths of a node's ancestors, outermost first ('/a/b[k='1']/c' → '/a', "/a/b[k='1']"). */
export function ancestorPaths(path: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (quote !== null) { if (c === quote) quote = null; continue; }
    if (c === "'" || c === '"') quote = c;
    else if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === '/' && depth === 0) out.push(path.slice(0, i));
  }
  return out;
}

/** Whether a rule's path may name a node at or above `schemaPath` (its steps, predicates aside, are a prefix of it). */
function reaches(target: RuleTarget, schemaPath: string): boolean {
  if (target.kind !== 'path') return false;
  if (target.steps === null) return true; // not understood: let libyang's XPath find what it names
  const rule = target.steps.map((s) => `/${s.module}:${s.name}`).join('');
  return schemaPath === rule || schemaPath.startsWith(`${rule}/`);
}

function topModule(path: string): string {
  const m = /^\/([^:/]+):/.exec(path);
  return m ? m[1]! : '';
}

// ---------------------------------------------------------------------------------------------------
// Configuration

interface NacmJson {
  'enable-nacm'?: boolean;
  'read-default'?: RuleAction;
  'write-default'?: RuleAction;
  'exec-default'?: RuleAction;
  'enable-external-groups'?: boolean;
  groups?: { group?: { name: string; 'user-name'?: string[] }[] };
  'rule-list'?: {
    name: string;
    group?: string[];
    rule?: {
      name: string;
      'module-name'?: string;
      'rpc-name'?: string;
      'notification-name'?: string;
      path?: string;
      'access-operations'?: string;
      action: RuleAction;
    }[];
  }[];
}

const OPERATIONS: readonly AccessOperation[] = ['read', 'create', 'update', 'delete', 'exec'];

/**
 * /nacm as libyang prints it in JSON (validated, so the defaults are there), e.g.
 * `tree.select('/ietf-netconf-acm:nacm').print({ format: 'json' })`. Empty text: the RFC defaults.
 */
export function nacmConfigFromJson(json: string): NacmConfig {
  const data = (json.trim() === '' ? {} : (JSON.parse(json) as Record<string, NacmJson>))[`${NACM_MODULE}:nacm`] ?? {};
  const groups = new Map<string, Set<string>>();
  for (const g of data.groups?.group ?? []) groups.set(g.name, new Set(g['user-name'] ?? []));
  const ruleLists = (data['rule-list'] ?? []).map((list): NacmRuleList => ({
    name: list.name,
    groups: list.group ?? [],
    rules: (list.rule ?? []).map((r): NacmRule => {
      const target: RuleTarget = r['rpc-name'] !== undefined ? { kind: 'rpc', name: r['rpc-name'] }
        : r['notification-name'] !== undefined ? { kind: 'notification', name: r['notification-name'] }
        : r.path !== undefined ? { kind: 'path', path: r.path, steps: parsePath(r.path) }
        : { kind: 'any' };
      // access-operations is a union of '*' and a bits type (default '*').
      const ops = (r['access-operations'] ?? '*').trim();
      const operations = ops === '*' ? '*' as const
        : new Set(ops.split(/\s+/).filter((o): o is AccessOperation => (OPERATIONS as readonly string[]).includes(o)));
      return { name: `${list.name}/${r.name}`, module: r['module-name'] ?? '*', target, operations, action: r.action };
    }),
  }));
  return {
    enabled: data['enable-nacm'] ?? RFC_DEFAULTS.enabled,
    readDefault: data['read-default'] ?? RFC_DEFAULTS.readDefault,
    writeDefault: data['write-default'] ?? RFC_DEFAULTS.writeDefault,
    execDefault: data['exec-default'] ?? RFC_DEFAULTS.execDefault,
    externalGroups: data['enable-external-groups'] ?? RFC_DEFAULTS.externalGroups,
    groups,
    ruleLists,
  };
}

/** §3.4.4 step 3: the user's groups from /nacm/groups, plus the transport's (users file) when enable-external-groups. */
export function groupsOf(config: NacmConfig, user: string, external: readonly string[]): string[] {
  const groups = new Set<string>(config.externalGroups ? external : []);
  for (const [group, users] of config.groups) if (users.has(user)) groups.add(group);
  return [...groups];
}

// ---------------------------------------------------------------------------------------------------
// Decisions

/** Outcome of one access check: the rule that decided it, or null when a default did. */
export interface Decision {
  readonly permit: boolean;
  readonly rule: string | null;
}

function allows(rule: NacmRule, op: AccessOperation): boolean {
  return rule.operations === '*' || rule.operations.has(op);
}

function decided(rule: NacmRule): Decision {
  return { permit: rule.action === 'permit', rule: rule.name };
}

/**
 * The rules that apply to one user, in the order §3.4.4 step 5/6 processes them (rule-lists in
 * configuration order, rules in order), with what a data-node check needs precomputed.
 */
export class UserRules {
  readonly config: NacmConfig;
  readonly groups: readonly string[];
  readonly rules: readonly NacmRule[];
  private readonly deny: DefaultDeny;

  constructor(config: NacmConfig, deny: DefaultDeny, user: string, externalGroups: readonly string[]) {
    this.config = config;
    this.deny = deny;
    this.groups = groupsOf(config, user, externalGroups);
    const mine = new Set(this.groups);
    // §3.4.4 step 4: a user without groups is decided by the defaults alone.
    this.rules = mine.size === 0 ? [] : config.ruleLists
      .filter((l) => l.groups.some((g) => g === '*' || mine.has(g)))
      .flatMap((l) => l.rules);
  }

  /** §3.4.4: may the user invoke this protocol operation (RPC) of this module? */
  operation(module: string, name: string): Decision {
    // Step 1 (close-session is always permitted) is the caller's.
    for (const rule of this.rules) {
      if (!allows(rule, 'exec') || (rule.module !== '*' && rule.module !== module)) continue;
      const t = rule.target;
      if (t.kind === 'any' || (t.kind === 'rpc' && (t.name === '*' || t.name === name))) return decided(rule);
    }
    if (this.deny.operations.has(`${module}:${name}`)) return { permit: false, rule: null };
    return { permit: this.config.execDefault === 'permit', rule: null };
  }

  /** §3.4.6: may the user receive this notification (read access on the event type)? */
  notification(module: string, name: string): Decision {
    for (const rule of this.rules) {
      if (!allows(rule, 'read') || (rule.module !== '*' && rule.module !== module)) continue;
      const t = rule.target;
      if (t.kind === 'any' || (t.kind === 'notification' && (t.name === '*' || t.name === name))) return decided(rule);
      if (t.kind === 'path' && t.steps !== null && t.steps.length === 1 && t.steps[0]!.module === module && t.steps[0]!.name === name) {
        return decided(rule);
      }
    }
    if (this.deny.notifications.get(`${module}:${name}`) === 'all') return { permit: false, rule: null };
    return { permit: this.config.readDefault === 'permit', rule: null };
  }

  /**
   * §3.4.5 for one data node, by its path alone (steps 6-12): the first rule of the module or with a
   * path covering the node, else the schema's default-deny, else the default.
   */
  dataNode(op: Exclude<AccessOperation, 'exec'>, path: string, schemaPath: string): Decision {
    const module = topModule(path);
    let steps: PathStep[] | null | undefined;
    for (const rule of this.rules) {
      if (!allows(rule, op) || (rule.module !== '*' && rule.module !== module)) continue;
      const t = rule.target;
      if (t.kind === 'any') return decided(rule);
      if (t.kind !== 'path' || t.steps === null) continue;
      steps ??= parsePath(path);
      if (steps !== null && pathCovers(t.steps, steps)) return decided(rule);
    }
    const mark = this.deny.data.get(schemaPath);
    if (mark === 'all' || (mark === 'write' && op !== 'read')) return { permit: false, rule: null };
    return { permit: (op === 'read' ? this.config.readDefault : this.config.writeDefault) === 'permit', rule: null };
  }

  /** Whether a write of this node needs a check at all: non-presence containers come and go with their content. */
  isImplicit(schemaPath: string, nodeType: string): boolean {
    return nodeType === 'container' && this.deny.nonPresence.has(schemaPath);
  }

  /**
   * §3.4.5 over a whole reply: what to leave out of `tree`. A node's decision can differ from its
   * parent's only where a rule's path names it, where the schema marks it default-deny-all, or at the
   * top: those nodes are found with libyang's XPath (`tree.paths`) and decided; everything else follows
   * its nearest such ancestor. Cost: the nodes rules and marks name, not the size of the tree.
   */
  readPruning(tree: { paths(xpath: string): string[] }): ReadPruning {
    const events = new Set<string>(tree.paths('/*'));
    const readRules = this.rules.map((r, i) => ({ r, i })).filter(({ r }) => allows(r, 'read'));
    const pathRules = readRules.filter(({ r }) => r.target.kind === 'path');
    const named = new Map<number, Set<string>>();
    for (const { r, i } of pathRules) {
      let hits: string[] = [];
      try { hits = tree.paths((r.target as { path: string }).path); } catch { /* a path naming no schema node names no data */ }
      named.set(i, new Set(hits));
      for (const p of hits) events.add(p);
    }
    // Marked nodes matter only in modules that some node may reach undecided.
    const moduleRules = new Map<string, { r: NacmRule; i: number } | undefined>();
    const moduleRule = (module: string) => {
      if (!moduleRules.has(module)) moduleRules.set(module, readRules.find(({ r }) => r.target.kind === 'any' && (r.module === '*' || r.module === module)));
      return moduleRules.get(module);
    };
    const marked = new Map<string, string[]>(); // schema path → its instances
    const markOf = new Map<string, string>(); // instance → schema path
    const everywhere: { schemaPath: string; paths: () => string[] }[] = [];
    const instancesOf = (schemaPath: string) => () => { try { return tree.paths(schemaPath); } catch { return []; } };
    for (const [schemaPath, mark] of this.deny.data) {
      const module = topModule(schemaPath);
      if (mark !== 'all' || moduleRule(module) !== undefined) continue;
      // No path rule can reach its instances: all of them are hidden, without asking which there are.
      const reachable = pathRules.some(({ r }) => (r.module === '*' || r.module === module) && reaches(r.target, schemaPath));
      if (!reachable) {
        everywhere.push({ schemaPath, paths: instancesOf(schemaPath) });
        continue;
      }
      const hits = instancesOf(schemaPath)();
      marked.set(schemaPath, hits);
      for (const p of hits) { markOf.set(p, schemaPath); events.add(p); }
    }
    const denied = new Set<string>();
    for (const path of events) {
      const module = topModule(path);
      let first = moduleRule(module)?.i ?? Infinity;
      if (pathRules.length > 0) {
        const selfAndAncestors = [...ancestorPaths(path), path];
        for (const { r, i } of pathRules) {
          if (i >= first) break;
          if ((r.module === '*' || r.module === module) && selfAndAncestors.some((p) => named.get(i)!.has(p))) first = i;
        }
      }
      const permit = first !== Infinity ? this.rules[first]!.action === 'permit'
        : markOf.has(path) ? false : this.config.readDefault === 'permit';
      if (!permit) denied.add(path);
    }
    for (const [schemaPath, hits] of marked) {
      if (hits.length === 0 || !hits.every((p) => denied.has(p))) continue;
      everywhere.push({ schemaPath, paths: () => hits });
      for (const p of hits) denied.delete(p);
    }
    return { paths: [...denied], everywhere };
  }
}

/** What a reply leaves out (UserRules.readPruning). */
export interface ReadPruning {
  /** Data paths of nodes left out with their subtrees. */
  readonly paths: readonly string[];
  /**
   * default-deny-all nodes left out wherever they occur (schema path, every node prefixed, and a way to
   * list the instances): a printed reply may drop them by name (elidePrinted) instead of node by node.
   */
  readonly everywhere: readonly { readonly schemaPath: string; readonly paths: () => readonly string[] }[];
}

/** How many schema paths elidePrinted follows at once (one bit each). */
export const MAX_ELIDED = 30;

/**
 * Drops from libyang's XML print of a data tree every element at one of `schemaPaths`, with its
 * content and its line: one linear pass over the printer's own output (values escaped, so '<' is only
 * ever markup; no comments, CDATA or processing instructions). `namespaceOf` maps the paths' modules.
 */
export function elidePrinted(xml: string, schemaPaths: readonly string[], namespaceOf: (module: string) => string | null): string {
  const targets = schemaPaths.map((p) => p.split('/').slice(1).map((step) => {
    const colon = step.indexOf(':');
    return { ns: namespaceOf(step.slice(0, colon)), name: step.slice(colon + 1) };
  }));
  if (targets.length === 0) return xml;
  if (targets.length > MAX_ELIDED) throw new Error(`elidePrinted takes at most ${MAX_ELIDED} schema paths`);
  const all = (1 << targets.length) - 1;
  // Per open element: its namespace and the targets whose steps it and its ancestors match (a bit mask).
  const nsStack: (string | null)[] = [];
  const aliveStack: number[] = [all];
  const out: string[] = [];
  let copied = 0;
  let nextXmlns = xml.indexOf(' xmlns="'); // kept ahead of the scan: searching from each tag would be quadratic
  let at = xml.indexOf('<');
  while (at >= 0) {
    if (xml.charCodeAt(at + 1) === 0x2f /* '/' */) {
      nsStack.pop();
      aliveStack.pop();
      at = xml.indexOf('<', at + 2);
      continue;
    }
    const close = xml.indexOf('>', at);
    if (close < 0) break;
    const selfClosing = xml.charCodeAt(close - 1) === 0x2f;
    const parentAlive = aliveStack[aliveStack.length - 1]!;
    const depth = nsStack.length;
    const parentNs = depth > 0 ? nsStack[depth - 1]! : null;
    let ns = parentNs;
    if (nextXmlns >= 0 && nextXmlns < at) nextXmlns = xml.indexOf(' xmlns="', at);
    if (nextXmlns >= 0 && nextXmlns < close) ns = xml.slice(nextXmlns + 8, xml.indexOf('"', nextXmlns + 8));
    let alive = 0;
    let hit = false;
    if (parentAlive !== 0) {
      let nameEnd = at + 1;
      for (let c = xml.charCodeAt(nameEnd); c !== 0x20 && c !== 0x0a && c !== 0x2f && c !== 0x3e; c = xml.charCodeAt(++nameEnd)) { /* the name */ }
      const qname = xml.slice(at + 1, nameEnd);
      const name = qname.slice(qname.indexOf(':') + 1);
      for (let t = 0; t < targets.length; t++) {
        const step = targets[t]![depth];
        if ((parentAlive & (1 << t)) === 0 || step === undefined || step.name !== name || step.ns !== ns) continue;
        if (targets[t]!.length === depth + 1) hit = true;
        else alive |= 1 << t;
      }
    }
    if (!hit) {
      if (!selfClosing) { nsStack.push(ns); aliveStack.push(alive); }
      at = xml.indexOf('<', close + 1);
      continue;
    }
    // The element and its content: count its nested start and end tags.
    let end = close + 1;
    if (!selfClosing) {
      let open = 1;
      let scan = xml.indexOf('<', end);
      while (scan >= 0 && open > 0) {
        const gt = xml.indexOf('>', scan);
        if (xml.charCodeAt(scan + 1) === 0x2f) open--;
        else if (xml.charCodeAt(gt - 1) !== 0x2f) open++;
        end = gt + 1;
        scan = open > 0 ? xml.indexOf('<', end) : -1;
      }
    }
    // With its line, when it has one of its own (the printer's indentation).
    let start = at;
    while (start > copied && (xml.charCodeAt(start - 1) === 0x20)) start--;
    if ((start === 0 || xml.charCodeAt(start - 1) === 0x0a) && xml.charCodeAt(end) === 0x0a) end++;
    else start = at;
    out.push(xml.slice(copied, start));
    copied = end;
    at = xml.indexOf('<', end);
  }
  out.push(xml.slice(copied));
  return out.join('');
}

// ---------------------------------------------------------------------------------------------------
// The schema's default-deny marks, read from the modules' YIN (RFC 7950 §13)

interface YinNode {
  $ns: { uri: string; local: string };
  $?: Record<string, { value: string; local: string }>;
  $$?: YinNode[];
}

function yinRoot(yin: string): YinNode {
  let root: YinNode | undefined;
  let failure: unknown;
  new xml2js.Parser({ xmlns: true, explicitChildren: true, preserveChildrenOrder: true, explicitArray: true, strict: true })
    .parseString(yin, (err: unknown, value: Record<string, YinNode> | null) => { failure = err; root = value ? Object.values(value)[0] : undefined; });
  if (failure || root === undefined) throw new Error(`YIN text does not parse: ${String(failure)}`);
  return root;
}

function arg(node: YinNode, name: string): string | undefined {
  return Object.values(node.$ ?? {}).find((a) => a.local === name)?.value;
}

function yinChildren(node: YinNode, local?: string): YinNode[] {
  return (node.$$ ?? []).filter((c) => c.$ns.uri === YIN_NS && (local === undefined || c.$ns.local === local));
}

const DATA_NODES = new Set(['container', 'list', 'leaf', 'leaf-list', 'anydata', 'anyxml']);

/**
 * Collects every nacm:default-deny-write / default-deny-all of the given modules (data nodes through
 * groupings, choices and augments; RPCs; notifications), and the non-presence containers.
 * `yinOf(module)` gives a module's YIN text.
 */
export function defaultDenyOf(modules: readonly string[], yinOf: (module: string) => string): DefaultDeny {
  const data = new Map<string, 'write' | 'all'>();
  const operations = new Map<string, 'write' | 'all'>();
  const notifications = new Map<string, 'write' | 'all'>();
  const nonPresence = new Set<string>();
  for (const module of modules) {
    const root = yinRoot(yinOf(module));
    const prefixes = new Map<string, string>();
    const own = yinChildren(root, 'prefix')[0];
    if (own) prefixes.set(arg(own, 'value') ?? '', module);
    for (const imp of yinChildren(root, 'import')) {
      const p = yinChildren(imp, 'prefix')[0];
      if (p) prefixes.set(arg(p, 'value') ?? '', arg(imp, 'module') ?? '');
    }
    const groupings = new Map<string, YinNode>();
    const collectGroupings = (node: YinNode) => {
      for (const c of yinChildren(node)) {
        if (c.$ns.local === 'grouping') groupings.set(arg(c, 'name') ?? '', c);
        collectGroupings(c);
      }
    };
    collectGroupings(root);
    const markOf = (node: YinNode): 'write' | 'all' | undefined => {
      const ext = (node.$$ ?? []).filter((c) => c.$ns.uri === NACM_NS).map((c) => c.$ns.local);
      return ext.includes('default-deny-all') ? 'all' : ext.includes('default-deny-write') ? 'write' : undefined;
    };
    const walk = (node: YinNode, parent: string, depth: number) => {
      if (depth > 64) return; // a grouping that uses itself is a schema error libyang would have refused
      for (const c of yinChildren(node)) {
        const kind = c.$ns.local;
        if (DATA_NODES.has(kind)) {
          const path = `${parent}/${module}:${arg(c, 'name')}`;
          const mark = markOf(c);
          if (mark) data.set(path, mark);
          if (kind === 'container' && yinChildren(c, 'presence').length === 0) nonPresence.add(path);
          walk(c, path, depth + 1);
        } else if (kind === 'choice' || kind === 'case' || kind === 'input' || kind === 'output') {
          walk(c, parent, depth + 1);
        } else if (kind === 'uses') {
          const [prefix, name] = (arg(c, 'name') ?? '').includes(':') ? (arg(c, 'name') ?? '').split(':') : [undefined, arg(c, 'name')];
          const grouping = prefix === undefined || prefixes.get(prefix) === module ? groupings.get(name ?? '') : undefined;
          if (grouping) walk(grouping, parent, depth + 1);
        } else if (kind === 'augment' && parent === '') {
          const target = (arg(c, 'target-node') ?? '').split('/').filter(Boolean).map((s) => {
            const [p, n] = s.includes(':') ? s.split(':') : ['', s];
            return `${prefixes.get(p!) ?? module}:${n}`;
          });
          walk(c, `/${target.join('/')}`, depth + 1);
        } else if ((kind === 'rpc' || kind === 'notification') && parent === '') {
          const mark = markOf(c);
          if (mark) (kind === 'rpc' ? operations : notifications).set(`${module}:${arg(c, 'name')}`, mark);
        }
      }
    };
    walk(root, '', 0);
  }
  return { data, operations, notifications, nonPresence };
}

/**
 * A session's read rules as plain data (structured-cloneable), for the evaluation workers that filter
 * and print <get>/<get-config> off the main thread (evaluation-pool.ts): they apply the same pruning
 * there, before the filter. `config` may be left out when the receiver already holds this generation's.
 */
export interface ReadAccess {
  /** Changes whenever /nacm's configuration does. */
  readonly generation: number;
  readonly config?: NacmConfig;
  readonly user: string;
  /** The users file's groups (§3.4.4 step 3 external groups). */
  readonly externalGroups: readonly string[];
}

/** UserRules per user and groups, for the /nacm configuration of the newest generation seen. */
export class UserRulesCache {
  private generation = -1;
  private config: NacmConfig | undefined;
  private readonly rules = new Map<string, UserRules>();

  constructor(private readonly deny: DefaultDeny) {}

  rulesOf(access: ReadAccess): UserRules {
    if (access.generation !== this.generation) {
      if (access.config === undefined) throw new Error(`no /nacm configuration of generation ${access.generation}`);
      this.generation = access.generation;
      this.config = access.config;
      this.rules.clear();
    }
    const key = `${access.user}\n${access.externalGroups.join('\n')}`;
    let rules = this.rules.get(key);
    if (rules === undefined) {
      rules = new UserRules(this.config!, this.deny, access.user, access.externalGroups);
      this.rules.set(key, rules);
    }
    return rules;
  }
}

/** A reply as a session may read it: the tree to print (and free when not the one given) and what to do to its print. */
export interface ReadView {
  readonly tree: DataTree;
  readonly printed: (xml: string) => string;
}

const unchanged = (xml: string) => xml;

/**
 * §3.4.5 for a reply: `tree` as `rules` let it be read, and what to do to its print. Nodes are removed
 * from `tree` when `owned`, else from a copy (`view.tree !== tree`: the caller frees it). Without a
 * filter, default-deny-all nodes hidden wherever they occur (every password) are dropped from the
 * printed reply in one pass instead of node by node; a filter sees the pruned tree (what the session
 * may not read cannot select anything either). `emptyTree` comes from the tree's context.
 */
export function readView(rules: UserRules, tree: DataTree, owned: boolean, filtered: boolean, emptyTree: () => DataTree,
  namespaceOf: (module: string) => string | null): ReadView {
  const pruning = rules.readPruning(tree);
  const inTree = filtered || pruning.everywhere.length > MAX_ELIDED;
  const remove = inTree ? [...pruning.paths, ...pruning.everywhere.flatMap((e) => e.paths())] : pruning.paths;
  const printed = inTree || pruning.everywhere.length === 0 ? unchanged
    : (xml: string) => elidePrinted(xml, pruning.everywhere.map((e) => e.schemaPath), namespaceOf);
  if (remove.length === 0) return { tree, printed };
  const view = owned ? tree : tree.dup();
  const empty = emptyTree();
  try {
    // Copying a path from a tree that lacks it removes the node (DataTree.copyPaths).
    if (!view.copyPaths(empty, remove)) throw new Error('NACM could not remove hidden nodes from a reply');
  } catch (err) {
    if (view !== tree) view.free();
    throw err;
  } finally {
    empty.free();
  }
  return { tree: view, printed };
}

/** /nacm's state leaves (config false) for <get>. */
export interface NacmCounters {
  deniedOperations: number;
  deniedDataWrites: number;
  deniedNotifications: number;
}

export function countersXml(c: NacmCounters): string {
  return `<nacm xmlns="${NACM_NS}">${textElement('denied-operations', c.deniedOperations)}` +
    `${textElement('denied-data-writes', c.deniedDataWrites)}${textElement('denied-notifications', c.deniedNotifications)}</nacm>`;
}
