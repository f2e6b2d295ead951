/**
 * RFC 6241 §4.1-4.2 <rpc>/<rpc-reply> envelopes and the operation dispatcher.
 *
 * Envelopes are parsed by the bounded XML front (xml.ts). YANG payloads are
 * not interpreted here: every operation and each of its children is also kept
 * as the exact text slice of the message, with the namespace declarations in
 * scope at that point, so the datastore layer can hand e.g. <config> content to
 * libyang unchanged.
 */
import type { Logger } from 'pino';
import { NETCONF_BASE_NS, RpcError, rpcErrorsOf, type ErrorInfo, type ErrorTag } from './rpc-error.js';
import type { SessionControl, SessionInfo } from './session-control.js';
import { clientText } from './ssh-preauth.js';
import { escapeAttribute, type ParsedDocument, type XmlAttribute, type XmlNode, type XmlSlice } from './xml.js';

/** The operation element: its exact text, with each child (e.g. <target>, <config>, <filter>) as exact text too. */
export interface ParsedOperation extends XmlSlice {
  /** The operation element as parsed by xml2js. */
  node: XmlNode;
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
  /** The session the rpc came on. */
  session: SessionInfo;
  /** What the handler may do to sessions (close-session, kill-session). */
  control: SessionControl;
  operation: ParsedOperation;
  rpc: ParsedRpc;
  /**
   * The operation's parameters as the schema typed them (rpc-schema.ts); the handler reads them
   * unchecked. Empty when the dispatcher has no schema (transport tests).
   */
  input: OperationInput;
}

/**
 * An operation's input as the schema typed it (rpc-schema.ts): the members of its RFC 7951 JSON
 * encoding, e.g. { source: { running: [null] }, 'ietf-netconf-with-defaults:with-defaults': 'trim' }
 * (a uint32 is a number, an empty leaf [null], an identityref 'module:identity', a node of another
 * module prefixed with its module's name).
 */
export type OperationInput = Readonly<Record<string, unknown>>;

/** The typed input of an operation, or the rpc-errors its parameters earn (thrown). */
export interface OperationJudge {
  input(operation: ParsedOperation): OperationInput;
}

export type RpcHandler = (ctx: RpcContext) => Promise<ReplyBody>;

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
  const [operationSlice] = doc.slices;
  if (operationSlice === undefined) throw new Error('parser recorded no slice for the operation element');
  const operation: ParsedOperation = { ...operationSlice, node: operationNode };
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

export interface HandlerOptions {
  /**
   * The operation's own words for a refusal of the schema's, where its protocol names the fault
   * itself (RFC 8639 §2.4.6: a dangling filter reference is filter-unsupported, not a bare
   * invalid-value; subscriptions/); returns the refusal unchanged otherwise.
   */
  readonly restateRefusal?: (refusal: RpcError) => RpcError;
}

/** Operation handlers keyed by `${namespace} ${name}` of the operation element. */
export class RpcDispatcher {
  private readonly handlers = new Map<string, { handler: RpcHandler; options: HandlerOptions }>();
  /**
   * Judges every known operation's parameters before the guard and the handler (rpc-schema.ts, in the
   * order Netopeer2 has: the rpc is parsed before NACM sees it); throws an RpcError to refuse it.
   */
  schema: OperationJudge | undefined;
  /** Runs before every known operation's handler; throws an RpcError to refuse it (NACM, RFC 8341 §3.4.4). */
  guard: ((ctx: RpcContext) => void) | undefined;

  constructor(private readonly logger?: Logger) {}

  register(namespace: string, name: string, handler: RpcHandler, options: HandlerOptions = {}): void {
    const key = operationKey(namespace, name);
    if (this.handlers.has(key)) throw new Error(`a handler for ${name} (${namespace}) is already registered`);
    this.handlers.set(key, { handler, options });
  }

  /** Replace or remove a handler (the lead's wiring may swap built-ins). */
  unregister(namespace: string, name: string): boolean {
    return this.handlers.delete(operationKey(namespace, name));
  }

  has(namespace: string, name: string): boolean {
    return this.handlers.has(operationKey(namespace, name));
  }

  /** The operation's typed input; a refusal is logged (the element names cut, they are the client's). */
  private judged(judge: OperationJudge, request: Omit<RpcContext, 'input'>, options: HandlerOptions): OperationInput {
    try {
      return judge.input(request.operation);
    } catch (thrown) {
      if (!(thrown instanceof RpcError)) throw thrown;
      const err = options.restateRefusal?.(thrown) ?? thrown;
      this.logger?.info({ session: request.session.id, operation: clientText(request.operation.name), tag: err.tag,
        ...(err.appTag !== undefined ? { appTag: err.appTag } : {}),
        badElement: clientText(err.info?.badElement ?? thrown.info?.badElement ?? '') }, 'rpc parameters refused by the schema');
      throw err;
    }
  }

  async dispatch(request: Omit<RpcContext, 'input'>): Promise<DispatchOutcome> {
    const { operation } = request;
    const registered = this.handlers.get(operationKey(operation.namespace, operation.name));
    if (registered === undefined) {
      const error = new RpcError({
        type: 'protocol',
        tag: 'operation-not-supported',
        message: `operation ${operation.name} in namespace ${operation.namespace || '(none)'} is not supported`,
        info: { badElement: operation.name },
      });
      return { body: error.toXml(), errorCount: 1 };
    }
    try {
      const ctx: RpcContext = { ...request, input: this.schema === undefined ? {} : this.judged(this.schema, request, registered.options) };
      this.guard?.(ctx);
      return { body: replyBodyXml(await registered.handler(ctx)), errorCount: 0 };
    } catch (thrown) {
      const errors = rpcErrorsOf(thrown);
      if (errors !== undefined) return { body: errors.map((e) => e.toXml()).join(''), errorCount: errors.length };
      this.logger?.error(
        { err: thrown, session: request.session.id, operation: operation.name },
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
