/**
 * RFC 6241 §4.1-4.2 <rpc>/<rpc-reply> envelopes and the operation dispatcher.
 *
 * Envelopes are parsed with xml2js (namespace-aware). YANG payloads are not
 * interpreted here: every operation and each of its children is also kept as
 * the exact text slice of the message, with the namespace declarations in
 * scope at that point, so the datastore layer can hand e.g. <config> content to
 * libyang unchanged.
 *
 * Hostile XML: a DOCTYPE is refused outright (no DTD, so no entity definitions
 * and no entity expansion — "billion laughs" never gets started); sax in strict
 * mode knows only the five predefined XML entities and fails on any other.
 */
import xml2js from 'xml2js';
import type { Logger } from 'pino';
import { NETCONF_BASE_NS, RpcError, escapeAttribute, rpcErrorsOf, type ErrorInfo, type ErrorTag } from './rpc-error.js';
import type { SessionInfo, SessionRegistry } from './session.js';

export { NETCONF_BASE_NS };

/** A namespace-aware xml2js node (options xmlns + explicitChildren + preserveChildrenOrder). */
export interface XmlNode {
  '#name': string;
  $ns: { uri: string; local: string };
  $?: Record<string, XmlAttribute>;
  /** Child elements in document order. */
  $$?: XmlNode[];
  /** Text content, when not only whitespace. */
  _?: string;
}

export interface XmlAttribute {
  name: string;
  value: string;
  prefix: string;
  local: string;
  uri: string;
}

/** Exact source text of one element, with the namespace declarations in scope at its start tag. */
export interface XmlSlice {
  name: string;
  namespace: string;
  /** The element as written in the message, start tag to end tag. */
  xml: string;
  /** Text between its start and end tag. */
  innerXml: string;
  /** prefix -> namespace in scope on the element ('' = default namespace), including its own declarations. */
  namespaces: Readonly<Record<string, string>>;
}

export interface ParsedOperation extends XmlSlice {
  /** The operation element as parsed by xml2js. */
  node: XmlNode;
  /** Each child element of the operation (e.g. <target>, <config>, <filter>) as exact text. */
  children: readonly XmlSlice[];
}

export interface ParsedRpc {
  /** RFC 6241 §4.1: echoed on the reply; undefined only when the rpc was rejected for lacking it. */
  messageId: string;
  /** Every attribute of <rpc> as written (namespace declarations included), to echo on <rpc-reply>. */
  attributes: readonly XmlAttribute[];
  operation: ParsedOperation;
}

/** The body of a successful reply. */
export type ReplyBody =
  | { ok: true }
  /** XML placed inside <data> (RFC 6241 §7.1/§7.7). */
  | { data: string }
  /** Raw content of <rpc-reply> (operation-specific output elements, namespaced by the handler). */
  | { xml: string };

export interface RpcContext {
  session: SessionInfo;
  operation: ParsedOperation;
  rpc: ParsedRpc;
  sessions: SessionRegistry;
}

export type RpcHandler = (ctx: RpcContext) => Promise<ReplyBody>;

export class XmlParseError extends Error {
  override readonly name = 'XmlParseError';
}

interface ParsedDocument {
  root: XmlNode;
  /** Slices of the root's children (depth 1) and grandchildren (depth 2), in document order. */
  slices: { depth: number; slice: XmlSlice }[];
}

/**
 * Parse one NETCONF message. Throws XmlParseError for anything not well-formed,
 * for a DOCTYPE, and for undefined entities.
 */
export function parseXmlMessage(text: string): ParsedDocument {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const parser = new xml2js.Parser({
    xmlns: true,
    explicitChildren: true,
    preserveChildrenOrder: true,
    explicitArray: true,
    strict: true,
  });
  // xml2js exposes its sax parser; we chain onto its handlers to record where
  // elements start and end in the source (sax positions are UTF-16 offsets,
  // matching String.prototype.slice).
  const sax = (parser as unknown as { saxParser: SaxParser }).saxParser;
  const onOpen = sax.onopentag;
  const onClose = sax.onclosetag;
  const stack: { start: number; innerStart: number; node: SaxTag }[] = [];
  const slices: ParsedDocument['slices'] = [];
  sax.onopentag = function (this: unknown, node: SaxTag) {
    stack.push({ start: sax.startTagPosition - 1, innerStart: sax.position, node });
    onOpen.call(this, node);
  };
  let rootEnd = -1;
  sax.onclosetag = function (this: unknown, name: string) {
    const open = stack.pop();
    if (stack.length === 0 && rootEnd < 0) rootEnd = sax.position;
    if (open !== undefined && (stack.length === 1 || stack.length === 2)) {
      const end = sax.position;
      const xml = source.slice(open.start, end);
      const selfClosing = open.node.isSelfClosing;
      const innerEnd = selfClosing ? open.innerStart : source.lastIndexOf('</', end - 1);
      const namespaces: Record<string, string> = {};
      for (const prefix in open.node.ns) namespaces[prefix] = open.node.ns[prefix]!;
      slices.push({
        depth: stack.length,
        slice: {
          name: open.node.local,
          namespace: open.node.uri,
          xml,
          innerXml: selfClosing ? '' : source.slice(open.innerStart, innerEnd),
          namespaces,
        },
      });
    }
    onClose.call(this, name);
  };
  sax.ondoctype = () => {
    throw new XmlParseError('DOCTYPE is not allowed in NETCONF messages');
  };
  let result: Record<string, XmlNode> | null | undefined;
  let failure: unknown;
  parser.parseString(source, (err: unknown, value: Record<string, XmlNode> | null) => {
    failure = err;
    result = value;
  });
  if (failure !== undefined && failure !== null) {
    const message = failure instanceof Error ? failure.message.split('\n')[0]! : String(failure);
    throw new XmlParseError(message);
  }
  const root = result ? Object.values(result)[0] : undefined;
  if (root === undefined) throw new XmlParseError('empty message');
  // xml2js reports success as soon as the root element closes; whatever follows
  // it (a second element, text) would go unnoticed. Only whitespace, comments
  // and processing instructions may follow the root (XML 1.0 §2.1 Misc).
  if (!TRAILING_MISC.test(source.slice(rootEnd))) {
    throw new XmlParseError('content after the document element');
  }
  return { root, slices };
}

const TRAILING_MISC = /^(?:\s|<!--(?:[^-]|-(?!-))*-->|<\?(?:[^?]|\?(?!>))*\?>)*$/;

interface SaxTag {
  name: string;
  local: string;
  uri: string;
  isSelfClosing: boolean;
  ns: Record<string, string>;
}

interface SaxParser {
  position: number;
  startTagPosition: number;
  onopentag: (this: unknown, node: SaxTag) => void;
  onclosetag: (this: unknown, name: string) => void;
  ondoctype: (doctype: string) => void;
}

/** Outcome of reading an <rpc>: either a request to dispatch or the error reply it earned. */
export type RpcParseResult =
  | { kind: 'rpc'; rpc: ParsedRpc }
  | { kind: 'rejected'; attributes: readonly XmlAttribute[]; errors: readonly RpcError[] };

/** An rpc-layer error (RFC 6241 §4.1) that stops the <rpc> before dispatch. */
function rejected(attributes: readonly XmlAttribute[], tag: ErrorTag, message: string, info: ErrorInfo): RpcParseResult {
  return { kind: 'rejected', attributes, errors: [new RpcError({ type: 'rpc', tag, message, info })] };
}

/** RFC 6241 §4.1 checks on an already well-formed message. */
export function readRpc(doc: ParsedDocument): RpcParseResult {
  const { root } = doc;
  const attributes = Object.values(root.$ ?? {});
  if (root.$ns.local !== 'rpc' || root.$ns.uri !== NETCONF_BASE_NS) {
    return root.$ns.local === 'rpc'
      ? rejected([], 'unknown-namespace', `<rpc> must be in namespace ${NETCONF_BASE_NS}`, { badElement: 'rpc', badNamespace: root.$ns.uri })
      : rejected([], 'unknown-element', `expected <rpc>, got <${root.$ns.local}>`, { badElement: root.$ns.local });
  }
  const messageId = attributes.find((a) => a.local === 'message-id' && a.uri === '')?.value;
  if (messageId === undefined) {
    return rejected(attributes, 'missing-attribute', 'the rpc element has no message-id attribute', { badAttribute: 'message-id', badElement: 'rpc' });
  }
  const [operationNode, extra] = root.$$ ?? [];
  if (operationNode === undefined) return rejected(attributes, 'missing-element', 'the rpc element contains no operation', { badElement: 'rpc' });
  if (extra !== undefined) return rejected(attributes, 'unknown-element', 'an rpc element carries exactly one operation', { badElement: extra.$ns.local });
  const operationSlice = doc.slices.find((s) => s.depth === 1);
  if (operationSlice === undefined) throw new Error('parser recorded no slice for the operation element');
  const operation: ParsedOperation = {
    ...operationSlice.slice,
    node: operationNode,
    children: doc.slices.filter((s) => s.depth === 2).map((s) => s.slice),
  };
  return { kind: 'rpc', rpc: { messageId, attributes, operation } };
}

/** RFC 6241 §4.2: the reply carries the message-id and every other attribute of the <rpc>, unmodified. */
export function rpcReplyXml(attributes: readonly XmlAttribute[], body: string): string {
  const echoed = attributes
    // Our own default namespace is written first; the rpc's other attributes
    // (prefixed declarations included, so prefixed attributes stay bound) follow.
    .filter((a) => a.name !== 'xmlns')
    .map((a) => ` ${a.name}="${escapeAttribute(a.value)}"`)
    .join('');
  return `<rpc-reply xmlns="${NETCONF_BASE_NS}"${echoed}>${body}</rpc-reply>`;
}

export function replyBodyXml(body: ReplyBody): string {
  if ('ok' in body) return '<ok/>';
  if ('data' in body) return `<data>${body.data}</data>`;
  return body.xml;
}

export function operationKey(namespace: string, name: string): string {
  return `${namespace} ${name}`;
}

/** Outcome of dispatching one rpc: the reply content and whether it carries rpc-errors. */
export interface DispatchOutcome {
  body: string;
  errorCount: number;
}

/** Operation handlers keyed by `${namespace} ${name}` of the operation element. */
export class RpcDispatcher {
  private readonly handlers = new Map<string, RpcHandler>();
  /** Runs before every known operation's handler; throws an RpcError to refuse it (NACM, RFC 8341 §3.4.4). */
  guard: ((ctx: RpcContext) => void) | undefined;

  constructor(private readonly logger?: Logger) {}

  register(namespace: string, name: string, handler: RpcHandler): void {
    const key = operationKey(namespace, name);
    if (this.handlers.has(key)) throw new Error(`a handler for ${name} (${namespace}) is already registered`);
    this.handlers.set(key, handler);
  }

  /** Replace or remove a handler (the lead's wiring may swap built-ins). */
  unregister(namespace: string, name: string): boolean {
    return this.handlers.delete(operationKey(namespace, name));
  }

  has(namespace: string, name: string): boolean {
    return this.handlers.has(operationKey(namespace, name));
  }

  async dispatch(ctx: RpcContext): Promise<DispatchOutcome> {
    const { operation } = ctx;
    const handler = this.handlers.get(operationKey(operation.namespace, operation.name));
    if (handler === undefined) {
      const error = new RpcError({
        type: 'protocol',
        tag: 'operation-not-supported',
        message: `operation ${operation.name} in namespace ${operation.namespace || '(none)'} is not supported`,
        info: { badElement: operation.name },
      });
      return { body: error.toXml(), errorCount: 1 };
    }
    try {
      this.guard?.(ctx);
      return { body: replyBodyXml(await handler(ctx)), errorCount: 0 };
    } catch (thrown) {
      const errors = rpcErrorsOf(thrown);
      if (errors !== undefined) return { body: errors.map((e) => e.toXml()).join(''), errorCount: errors.length };
      this.logger?.error(
        { err: thrown, session: ctx.session.id, operation: operation.name },
        'operation handler failed unexpectedly',
      );
      const error = new RpcError({
        type: 'application',
        tag: 'operation-failed',
        message: `internal error while processing ${operation.name}`,
      });
      return { body: error.toXml(), errorCount: 1 };
    }
  }
}
