// Reading the parameters of an operation (RFC 6241 §7) once the schema judged them (rpc-schema.ts):
// typed values from the operation's input, and the exact XML of the anyxml/anydata parameters
// (<config>, <filter>) that the schema does not look into.
import type { DatastoreName } from '../datastore/datastores.js';
import { RpcError, NETCONF_BASE_NS } from './rpc-error.js';
import type { OperationInput } from './rpc.js';
import { declareNamespaces, type XmlNode, type XmlSlice } from './xml.js';

/**
 * Interop: ncclient wraps a caller's un-namespaced <config> as it is, so a
 * parameter in no namespace is read as the NETCONF base parameter (as
 * netopeer2 and yuma123 do, and as rpc-schema.ts judges it).
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

export function invalid(element: string, message: string): RpcError {
  return new RpcError({ type: 'protocol', tag: 'invalid-value', message, info: { badElement: element } });
}

/**
 * The case a <target>/<source> choice took (ietf-netconf's config-target / config-source): a datastore
 * name, or 'config' for an inline <config> (copy-config, validate).
 */
export function configCase(input: OperationInput, param: 'target' | 'source'): DatastoreName | 'config' {
  // The choice is mandatory and takes one case (rpc-schema.ts), so there is exactly one member.
  return Object.keys((input[param] ?? {}) as OperationInput)[0] as DatastoreName | 'config';
}

/**
 * The content of a <config> child, made parseable on its own. Where <config> is deep enough in the
 * message for its children to have slices (edit-config's), their offsets spare a scan of the content.
 */
export function configContent(slice: XmlSlice): string {
  const topLevel = slice.children.length > 0 ? slice.children.map((c) => c.offset) : undefined;
  return declareNamespaces(slice.innerXml, slice.namespaces, topLevel);
}

export const WITH_DEFAULTS_NS = 'urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults';

export type WithDefaultsMode = 'explicit' | 'trim' | 'report-all' | 'report-all-tagged';

/** RFC 6243 §4.5.1 <with-defaults> (its input member); absent means the basic mode, explicit. */
export function withDefaultsOf(value: unknown): WithDefaultsMode {
  return (value as WithDefaultsMode | undefined) ?? 'explicit';
}

/** <with-defaults> of a base operation (augmented by ietf-netconf-with-defaults). */
export const WITH_DEFAULTS_MEMBER = 'ietf-netconf-with-defaults:with-defaults';
