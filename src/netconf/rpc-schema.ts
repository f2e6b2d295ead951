/**
 * Strict parameters for the base operations (RFC 6241 Appendix A): an
 * unknown or misplaced parameter gets unknown-element, a parameter value the
 * schema refuses gets invalid-value. The judge is the schema itself: the
 * operation's envelope (the operation, its parameters and their children, as
 * the XML front keeps them; the content of <config> and <filter>, anyxml in
 * ietf-netconf, does not matter here) is parsed with libyang's netconf-rpc
 * parser, as Netopeer2 does with every rpc.
 *
 * Client quirks are normalised first: a parameter or operation in no
 * namespace is read as NETCONF's (Ansible's un-namespaced <get/>, ncclient's
 * un-namespaced <config>), as the handlers read them.
 */
import type { YangContext } from 'libyang-wasm';
import { NETCONF_BASE_NS, RpcError } from './rpc-error.js';
import type { ParsedOperation } from './rpc.js';
import { declareNamespaces, escapeAttribute, escapeText, type XmlNode } from './xml.js';

/** The operation's envelope as a stand-alone <rpc> in canonical namespaces. */
export function operationEnvelope(operation: ParsedOperation): string {
  return `<rpc xmlns="${NETCONF_BASE_NS}" message-id="1">${element(operation.node)}</rpc>`;
}

function element(node: XmlNode): string {
  const name = node.$ns.local;
  const namespace = node.$ns.uri === '' ? NETCONF_BASE_NS : node.$ns.uri;
  const children = (node.$$ ?? []).map(element).join('');
  const text = children === '' ? escapeText((node._ ?? '').trim()) : '';
  return `<${name} xmlns="${escapeAttribute(namespace)}">${children}${text}</${name}>`;
}

interface LibyangItem {
  message: string;
  path: string | null;
}

/** Throws the rpc-errors of every parameter the schema does not accept. */
export function assertOperationParameters(context: YangContext, operation: ParsedOperation): void {
  assertEnvelope(context, operationEnvelope(operation), operation.name);
}

/**
 * The same judgement for an operation whose parameters are read as written, namespaces and all:
 * identityref values and xpath filters carry prefixes (ds:operational), so the envelope keeps the
 * declarations in scope. For operations no client quirk is known of (RFC 8639 subscriptions).
 */
export function assertOperationInput(context: YangContext, operation: ParsedOperation): void {
  assertEnvelope(context, `<rpc xmlns="${NETCONF_BASE_NS}" message-id="1">${declareNamespaces(operation.xml, operation.namespaces)}</rpc>`, operation.name);
}

function assertEnvelope(context: YangContext, envelope: string, operationName: string): void {
  let items: LibyangItem[];
  try {
    context.parseOperation(envelope, 'netconf-rpc').free();
    return;
  } catch (err) {
    items = (err as { items?: LibyangItem[] }).items ?? [{ message: (err as Error).message, path: null }];
  }
  const item = items[0]!;
  const unknown = /Node "([^"]+)" not found as a child of "([^"]+)" node/.exec(item.message);
  if (unknown !== null) {
    throw new RpcError({
      type: 'protocol', tag: 'unknown-element',
      message: `<${unknown[1]}> is not a parameter of <${unknown[2]}>`,
      info: { badElement: unknown[1]! },
    });
  }
  const badElement = item.path?.split('/').pop()?.replace(/^[^:]*:/, '') ?? operationName;
  throw new RpcError({ type: 'protocol', tag: 'invalid-value', message: item.message, info: { badElement } });
}
