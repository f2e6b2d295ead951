/**
 * RFC 6241 §4.3 <rpc-error> and the error-tag list of Appendix A.
 *
 * Interop pitfall: every child of <rpc-error> is in the NETCONF base namespace.
 * The serializer writes them under an explicit default xmlns on <rpc-error>
 * itself, so an rpc-error stays correct wherever it is embedded (also inside a
 * reply whose default namespace a handler changed).
 */

import { escapeAttribute, escapeText } from './xml.js';

export const NETCONF_BASE_NS = 'urn:ietf:params:xml:ns:netconf:base:1.0';

export type ErrorType = 'transport' | 'rpc' | 'protocol' | 'application';

/** RFC 6241 Appendix A. */
export type ErrorTag =
  | 'in-use'
  | 'invalid-value'
  | 'too-big'
  | 'missing-attribute'
  | 'bad-attribute'
  | 'unknown-attribute'
  | 'missing-element'
  | 'bad-element'
  | 'unknown-element'
  | 'unknown-namespace'
  | 'access-denied'
  | 'lock-denied'
  | 'resource-denied'
  | 'rollback-failed'
  | 'data-exists'
  | 'data-missing'
  | 'operation-not-supported'
  | 'operation-failed'
  | 'partial-operation' // deprecated by RFC 6241, still listed; do not emit
  | 'malformed-message'; // base:1.1 only (Appendix A): never send it on a base:1.0 session

export type ErrorSeverity = 'error' | 'warning';

/** Well-known <error-info> children (RFC 6241 Appendix A) plus free-form extra XML. */
export interface ErrorInfo {
  /** lock-denied / in-use: the session holding the lock; 0 when held by a non-NETCONF entity. */
  sessionId?: number;
  badAttribute?: string;
  badElement?: string;
  badNamespace?: string;
  okElement?: string;
  errElement?: string;
  noopElement?: string;
  /** Extra <error-info> content, already serialized XML (namespaced by its author). */
  extraXml?: string;
}

export interface RpcErrorInit {
  type: ErrorType;
  tag: ErrorTag;
  severity?: ErrorSeverity;
  appTag?: string;
  /** XPath of the offending node (RFC 6241 §4.3 error-path); absolute, prefixed. */
  path?: string;
  /** Namespace of each prefix used in `path`, written as xmlns:prefix on <error-path>. */
  pathNamespaces?: Readonly<Record<string, string>>;
  /** Human-readable text, sent with xml:lang="en". */
  message?: string;
  info?: ErrorInfo;
}

export class RpcError extends Error {
  override readonly name = 'RpcError';
  readonly type: ErrorType;
  readonly tag: ErrorTag;
  readonly severity: ErrorSeverity;
  readonly appTag: string | undefined;
  readonly path: string | undefined;
  readonly pathNamespaces: Readonly<Record<string, string>>;
  readonly errorMessage: string | undefined;
  readonly info: ErrorInfo | undefined;

  constructor(init: RpcErrorInit) {
    super(init.message ?? `${init.type} ${init.tag}`);
    this.type = init.type;
    this.tag = init.tag;
    this.severity = init.severity ?? 'error';
    this.appTag = init.appTag;
    this.path = init.path;
    this.pathNamespaces = init.pathNamespaces ?? {};
    this.errorMessage = init.message;
    this.info = init.info;
  }

  toXml(): string {
    const parts = [
      `<rpc-error xmlns="${NETCONF_BASE_NS}">`,
      `<error-type>${this.type}</error-type>`,
      `<error-tag>${this.tag}</error-tag>`,
      `<error-severity>${this.severity}</error-severity>`,
    ];
    if (this.appTag !== undefined) parts.push(`<error-app-tag>${escapeText(this.appTag)}</error-app-tag>`);
    if (this.path !== undefined) {
      const xmlns = Object.entries(this.pathNamespaces)
        .map(([prefix, uri]) => ` xmlns:${prefix}="${escapeAttribute(uri)}"`)
        .join('');
      parts.push(`<error-path${xmlns}>${escapeText(this.path)}</error-path>`);
    }
    if (this.errorMessage !== undefined) {
      parts.push(`<error-message xml:lang="en">${escapeText(this.errorMessage)}</error-message>`);
    }
    const info = errorInfoXml(this.info);
    if (info !== '') parts.push(`<error-info>${info}</error-info>`);
    parts.push('</rpc-error>');
    return parts.join('');
  }
}

/** Several rpc-errors for one reply (RFC 6241 §4.3: "one or more <rpc-error> elements"). */
export class RpcErrorList extends Error {
  override readonly name = 'RpcErrorList';
  constructor(readonly errors: readonly RpcError[]) {
    super(errors.map((e) => e.message).join('; '));
    if (errors.length === 0) throw new RangeError('RpcErrorList needs at least one RpcError');
  }
}

/** The rpc-errors carried by a thrown value, or undefined for any other exception. */
export function rpcErrorsOf(thrown: unknown): readonly RpcError[] | undefined {
  if (thrown instanceof RpcError) return [thrown];
  if (thrown instanceof RpcErrorList) return thrown.errors;
  return undefined;
}

function errorInfoXml(info: ErrorInfo | undefined): string {
  if (info === undefined) return '';
  const out: string[] = [];
  if (info.sessionId !== undefined) out.push(`<session-id>${info.sessionId}</session-id>`);
  if (info.badAttribute !== undefined) out.push(`<bad-attribute>${escapeText(info.badAttribute)}</bad-attribute>`);
  if (info.badElement !== undefined) out.push(`<bad-element>${escapeText(info.badElement)}</bad-element>`);
  if (info.badNamespace !== undefined) out.push(`<bad-namespace>${escapeText(info.badNamespace)}</bad-namespace>`);
  if (info.okElement !== undefined) out.push(`<ok-element>${escapeText(info.okElement)}</ok-element>`);
  if (info.errElement !== undefined) out.push(`<err-element>${escapeText(info.errElement)}</err-element>`);
  if (info.noopElement !== undefined) out.push(`<noop-element>${escapeText(info.noopElement)}</noop-element>`);
  if (info.extraXml !== undefined) out.push(info.extraXml);
  return out.join('');
}
