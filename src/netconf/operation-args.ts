// Reading the parameters of an operation element (RFC 6241 §7), with the
// rpc-error each malformed parameter earns.
import type { DatastoreName } from '../datastore/datastores.js';
import { RpcError, NETCONF_BASE_NS } from './rpc-error.js';
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
export function withDefaultsParam(op: ParsedOperation, namespace = WITH_DEFAULTS_NS): WithDefaultsMode {
  const value = text(child(op.node, 'with-defaults', namespace));
  if (value === undefined) return 'explicit';
  const modes: readonly WithDefaultsMode[] = ['explicit', 'trim', 'report-all', 'report-all-tagged'];
  if (!(modes as readonly string[]).includes(value)) throw invalid('with-defaults', `unknown with-defaults mode '${value}'`);
  return value as WithDefaultsMode;
}
