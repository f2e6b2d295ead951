/**
 * Strict RPCs (RFC 6241 Appendix A): the schema is the one judge of an operation's parameters, as in
 * Netopeer2, where libnetconf2 parses every <rpc> with libyang and sysrepo validates its input before
 * any callback runs. The dispatcher (rpc.ts) calls OperationSchema.input() for every operation it has
 * a handler for, before NACM and the handler; the handler then reads typed values and checks only
 * what the schema cannot say (a session that does not exist, a datastore bmpd does not serve).
 *
 * - An unknown or misplaced parameter, or one given twice, or two cases of one choice: unknown-element
 *   (bad-element); a parameter in a namespace no module has: unknown-namespace.
 * - A value the type refuses (range, pattern, enumeration, identity), a when that is false, a leafref
 *   to nothing in running: invalid-value (bad-element).
 * - A mandatory parameter or choice missing: missing-element (bad-element).
 *
 * Cost: only the envelope is parsed, the operation and its elements down to ENVELOPE_TREE_DEPTH
 * (xml.ts), never the data inside <config> or a filter (anyxml/anydata, which the handlers hand to
 * libyang themselves): a 100,000-neighbor edit-config is judged from a dozen elements.
 *
 * Client quirks are normalised first: an element in no namespace is read as NETCONF's (Ansible's
 * un-namespaced <get/>, ncclient's un-namespaced <config>); a prefix that is a module's name need not
 * be declared (libnetconf2 and Netopeer2 accept <datastore>ietf-datastores:operational</datastore>).
 */
import type { DataTree, OperationTree, YangContext } from 'libyang-wasm';
import { NETCONF_BASE_NS, RpcError, type ErrorInfo, type ErrorTag } from './rpc-error.js';
import { NMDA_NS } from './nmda.js';
import { WITH_DEFAULTS_NS } from './operation-args.js';
import type { OperationInput, OperationJudge, ParsedOperation } from './rpc.js';
import { escapeAttribute, escapeText, type XmlNode, type XmlSlice } from './xml.js';

export class OperationSchema implements OperationJudge {
  private readonly modulePrefixes: string;

  /** `dependencies`: the data leafrefs of inputs point into (running). */
  constructor(private readonly context: YangContext, private readonly dependencies: () => DataTree) {
    this.modulePrefixes = context.modules()
      .map((m) => ` xmlns:${m.name}="${escapeAttribute(m.namespace)}"`).join('');
  }

  input(operation: ParsedOperation): OperationInput {
    const parsed = parse(this.context, operationEnvelope(operation, this.modulePrefixes), operation);
    try {
      try {
        parsed.validate({ dependencies: this.dependencies() });
      } catch (err) {
        throw rpcErrorOf(err, operation);
      }
      // report-all: the defaults validation added (default-operation merge, confirm-timeout 600) too.
      const json = JSON.parse(parsed.print({ format: 'json', withDefaults: 'report-all' })) as Record<string, OperationInput>;
      return json[parsed.name] ?? {};
    } finally {
      parsed.free();
    }
  }
}

/**
 * The operation's envelope as a stand-alone <rpc>: each element in its namespace (none: NETCONF's),
 * with the prefixes in scope where the message declares them, and text only in elements without
 * children. `declarations`: extra declarations on <rpc> (module-name prefixes).
 */
export function operationEnvelope(operation: ParsedOperation, declarations = ''): string {
  return `<rpc xmlns="${NETCONF_BASE_NS}" message-id="1"${declarations}>${element(operation.node, operation, {}, NETCONF_BASE_NS)}</rpc>`;
}

/**
 * The namespace an element is judged in. Interop: an element in no namespace is NETCONF's; and
 * <get-data>'s <with-defaults> comes from RFC 6243's grouping, so it is in ietf-netconf-nmda's
 * namespace (RFC 7950 §7.13), but clients copy it from <get-config> in RFC 6243's (bmpd's own NMDA
 * tests did, and bmpd accepted it before the schema judged get-data).
 */
function namespaceOf(node: XmlNode, parentNamespace: string): string {
  const { uri, local } = node.$ns;
  if (uri === '') return NETCONF_BASE_NS;
  if (uri === WITH_DEFAULTS_NS && local === 'with-defaults' && parentNamespace === NMDA_NS) return NMDA_NS;
  return uri;
}

function element(node: XmlNode, slice: XmlSlice | undefined, parentScope: Readonly<Record<string, string>>, parentNamespace: string): string {
  const name = node.$ns.local;
  const namespace = namespaceOf(node, parentNamespace);
  // Below the slices' depth (a parameter's grandchildren) the parent's scope is kept: their own
  // declarations are not known, and only anyxml content lives there.
  const scope = slice?.namespaces ?? parentScope;
  let declared = '';
  for (const [prefix, uri] of Object.entries(scope)) {
    if (prefix !== '' && parentScope[prefix] !== uri) declared += ` xmlns:${prefix}="${escapeAttribute(uri)}"`;
  }
  const childNodes = node.$$ ?? [];
  const children = childNodes.map((c, i) => element(c, slice?.children[i], scope, namespace)).join('');
  const text = childNodes.length === 0 ? escapeText((node._ ?? '').trim()) : '';
  return `<${name} xmlns="${escapeAttribute(namespace)}"${declared}>${children}${text}</${name}>`;
}

function parse(context: YangContext, envelope: string, operation: ParsedOperation): OperationTree {
  try {
    return context.parseOperation(envelope, 'netconf-rpc');
  } catch (err) {
    throw rpcErrorOf(err, operation);
  }
}

interface LibyangItem {
  message: string;
  path: string | null;
}

/** The NETCONF form of libyang's first error about an operation's input. */
export function rpcErrorOf(err: unknown, operation: ParsedOperation): RpcError {
  const item: LibyangItem | undefined = (err as { items?: LibyangItem[] }).items?.[0];
  if (item === undefined) return refusal('operation-failed', (err as Error).message, {});
  const { message } = item;
  // The node libyang names: for a value its leaf, for a missing choice the node that holds the choice.
  const last = item.path?.split('/').pop()?.replace(/^[^:]*:/, '').replace(/\[.*$/, '') ?? operation.name;
  let m = /^Node "([^"]+)" not found as a child of "([^"]+)" node/.exec(message);
  if (m !== null) return refusal('unknown-element', `<${m[1]}> is not a parameter of <${m[2]}>`, { badElement: m[1]! });
  m = /^No module with namespace "([^"]*)" in the context/.exec(message);
  if (m !== null) {
    const badElement = elementIn(operation.node, m[1]!)?.$ns.local ?? last;
    return refusal('unknown-namespace', `<${badElement}> is in namespace ${m[1]}, which no module of this server has`, { badElement, badNamespace: m[1]! });
  }
  m = /^Mandatory node "([^"]+)" instance does not exist/.exec(message);
  if (m !== null) return refusal('missing-element', `<${last}> needs <${m[1]}>`, { badElement: m[1]! });
  m = /^Mandatory choice "([^"]+)" data do not exist/.exec(message);
  if (m !== null) return refusal('missing-element', `<${last}> needs one of the cases of its choice ${m[1]}`, { badElement: last });
  m = /^Duplicate instance of "([^"]+)"/.exec(message);
  if (m !== null) return refusal('unknown-element', `<${m[1]}> is given more than once`, { badElement: m[1]! });
  m = /^Data for both cases "([^"]+)" and "([^"]+)" exist/.exec(message);
  if (m !== null) return refusal('unknown-element', `<${last}> takes one of ${m[1]} and ${m[2]}, not both`, { badElement: last });
  return refusal('invalid-value', message, { badElement: last });
}

/** The first element of `node`'s envelope in `namespace`. */
function elementIn(node: XmlNode, namespace: string): XmlNode | undefined {
  if (node.$ns.uri === namespace) return node;
  for (const c of node.$$ ?? []) {
    const found = elementIn(c, namespace);
    if (found !== undefined) return found;
  }
  return undefined;
}

function refusal(tag: ErrorTag, message: string, info: ErrorInfo): RpcError {
  return new RpcError({ type: 'protocol', tag, message, info });
}
