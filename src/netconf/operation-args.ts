// Reading the parameters of an operation element (RFC 6241 §7), with the
// rpc-error each malformed parameter earns.
import type { DatastoreName } from '../datastore/datastores.js';
import { DatastoreError, type ErrorDetail } from '../datastore/errors.js';
import { RpcError, RpcErrorList, NETCONF_BASE_NS } from './rpc-error.js';
import type { ParsedOperation } from './rpc.js';
import { declareNamespaces, type XmlNode, type XmlSlice } from './xml.js';

export const WITH_DEFAULTS_NS = 'urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults';

/**
 * Interop: ncclient wraps a caller's un-namespaced <config> as it is, so a
 * parameter in no namespace is read as the NETCONF base parameter (as
 * netopeer2 and yuma123 do).
 */
function sameNamespace(actual: string, wanted: string): boolean {
  return actual === wanted || (actual === '' && wanted === NETCONF_BASE_NS);
}

export function child(node: XmlNode, name: string, namespace = NETCONF_BASE_NS): XmlNode | undefined {
  return (node.$$ ?? []).find((c) => c.$ns.local === name && sameNamespace(c.$ns.uri, namespace));
}

/** The slice of a child element of an operation (a parameter) or of a parameter. */
export function childSlice(parent: XmlSlice, name: string, namespace = NETCONF_BASE_NS): XmlSlice | undefined {
  return parent.children.find((c) => c.name === name && sameNamespace(c.namespace, namespace));
}

export function text(node: XmlNode | undefined): string | undefined {
  if (node === undefined) return undefined;
  return (node._ ?? '').trim();
}

export function missing(element: string, message: string): RpcError {
  return new RpcError({ type: 'protocol', tag: 'missing-element', message, info: { badElement: element } });
}

export function invalid(element: string, message: string): RpcError {
  return new RpcError({ type: 'protocol', tag: 'invalid-value', message, info: { badElement: element } });
}

const DATASTORES: readonly DatastoreName[] = ['running', 'candidate', 'startup'];

/** <target>/<source> naming one datastore. */
export function datastoreParam(op: ParsedOperation, param: 'target' | 'source', allowed: readonly DatastoreName[] = DATASTORES): DatastoreName {
  const node = child(op.node, param);
  if (node === undefined) throw missing(param, `${op.name} needs a <${param}>`);
  const chosen = (node.$$ ?? []).filter((c) => sameNamespace(c.$ns.uri, NETCONF_BASE_NS));
  const first = chosen[0];
  if (first === undefined || chosen.length > 1) throw invalid(param, `<${param}> must name exactly one datastore`);
  const name = first.$ns.local;
  if (name === 'url') {
    throw new RpcError({ type: 'protocol', tag: 'operation-not-supported', message: ':url is not supported', info: { badElement: 'url' } });
  }
  if (!(allowed as readonly string[]).includes(name)) {
    throw invalid(param, `${op.name} cannot use the ${name} datastore as <${param}>`);
  }
  return name as DatastoreName;
}

/** The content of a <config> child, made parseable on its own. */
export function configContent(slice: XmlSlice): string {
  return declareNamespaces(slice.innerXml, slice.namespaces);
}

/** An enumerated parameter such as <default-operation> or <test-option>. */
export function enumParam<T extends string>(op: ParsedOperation, name: string, values: readonly T[]): T | undefined {
  const value = text(child(op.node, name));
  if (value === undefined) return undefined;
  if (!(values as readonly string[]).includes(value)) throw invalid(name, `<${name}> must be one of ${values.join(', ')}`);
  return value as T;
}

export type WithDefaultsMode = 'explicit' | 'trim' | 'report-all' | 'report-all-tagged';

/** RFC 6243 §4.5.1 <with-defaults>; absent means the basic mode, explicit. */
export function withDefaultsParam(op: ParsedOperation): WithDefaultsMode {
  const value = text(child(op.node, 'with-defaults', WITH_DEFAULTS_NS));
  if (value === undefined) return 'explicit';
  const modes: readonly WithDefaultsMode[] = ['explicit', 'trim', 'report-all', 'report-all-tagged'];
  if (!(modes as readonly string[]).includes(value)) throw invalid('with-defaults', `unknown with-defaults mode '${value}'`);
  return value as WithDefaultsMode;
}

/** The steps of a data path or instance-identifier ('/a/b[k='x/y']' → ["a", "b[k='x/y']"]): split on '/' outside predicates and quotes. */
export function pathSteps(path: string): string[] {
  let depth = 0; let quote: string | null = null; let current = '';
  const steps: string[] = [];
  for (const c of path) {
    if (quote) { if (c === quote) quote = null; current += c; continue; }
    if (c === "'" || c === '"') { quote = c; current += c; continue; }
    if (c === '[') depth++;
    if (c === ']') depth--;
    if (c === '/' && depth === 0) { if (current) steps.push(current); current = ''; continue; }
    current += c;
  }
  if (current) steps.push(current);
  return steps;
}

/**
 * Turns a libyang data path (/bmpd:bgp/bmp/server[id='1']) into the fully
 * prefixed XPath NETCONF's error-path carries, with the namespace of each
 * prefix (the module names are used as prefixes).
 */
export function errorPath(path: string, namespaceOf: (module: string) => string | null): { path: string; namespaces: Record<string, string> } {
  const namespaces: Record<string, string> = {};
  let module = '';
  const steps: string[] = [];
  for (const step of pathSteps(path)) {
    const m = /^(?:([\w.-]+):)?([\w.-]+)(.*)$/s.exec(step);
    if (!m) { steps.push(step); continue; }
    if (m[1]) module = m[1];
    const ns = namespaceOf(module);
    if (ns) namespaces[module] = ns;
    const predicates = (m[3] ?? '').replace(/\[([\w.-]+)=/g, (_all, key: string) => `[${module}:${key}=`);
    steps.push(`${module}:${m[2]}${predicates}`);
  }
  return { path: '/' + steps.join('/'), namespaces };
}

/** A datastore error as the rpc-errors of a reply. */
export function toRpcErrors(err: DatastoreError, namespaceOf: (module: string) => string | null): RpcErrorList {
  return new RpcErrorList(err.errors.map((e) => detailToRpcError(e, namespaceOf)));
}

export function detailToRpcError(e: ErrorDetail, namespaceOf: (module: string) => string | null): RpcError {
  const path = e.path ? errorPath(e.path, namespaceOf) : null;
  const info = e.info;
  return new RpcError({
    type: e.type,
    tag: e.tag,
    message: e.message,
    ...(e.appTag ? { appTag: e.appTag } : {}),
    ...(path ? { path: path.path, pathNamespaces: path.namespaces } : {}),
    info: {
      ...(info['session-id'] !== undefined ? { sessionId: Number(info['session-id']) } : {}),
      ...(info['bad-element'] !== undefined ? { badElement: info['bad-element'] } : {}),
      ...(info['bad-namespace'] !== undefined ? { badNamespace: info['bad-namespace'] } : {}),
      ...(info['bad-attribute'] !== undefined ? { badAttribute: info['bad-attribute'] } : {}),
    },
  });
}
