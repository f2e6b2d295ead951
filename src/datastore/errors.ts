// Errors of the datastore layer, already in NETCONF's vocabulary (RFC 6241
// Appendix A) so the protocol layer only has to serialise them. The datastore
// itself never touches sockets or XML envelopes.
import type { EditError, YangError, YangErrorItem } from 'libyang-wasm';
import type { ErrorInfo, ErrorTag, ErrorType } from '../netconf/rpc-error.js';

/** One rpc-error worth of facts. */
export interface ErrorDetail {
  readonly tag: ErrorTag;
  readonly type: ErrorType;
  readonly message: string;
  /** Data path in libyang's form (/module:node/child[key='v']), or null. */
  readonly path: string | null;
  readonly appTag: string | null;
  /** error-info children, e.g. { sessionId: 7 } or { badElement: 'port' }. */
  readonly info: Readonly<ErrorInfo>;
}

/** Thrown by every datastore operation that fails; carries one or more rpc-errors. */
export class DatastoreError extends Error {
  readonly errors: readonly ErrorDetail[];
  constructor(errors: ErrorDetail | readonly ErrorDetail[]) {
    const list = Array.isArray(errors) ? (errors as readonly ErrorDetail[]) : [errors as ErrorDetail];
    super(list.map((e) => (e.path ? `${e.message} (${e.path})` : e.message)).join('; '));
    this.name = 'DatastoreError';
    this.errors = list;
  }
}

export function detail(tag: ErrorTag, message: string, extra: Partial<Omit<ErrorDetail, 'tag' | 'message'>> = {}): ErrorDetail {
  return { tag, type: extra.type ?? 'application', message, path: extra.path ?? null, appTag: extra.appTag ?? null, info: extra.info ?? {} };
}

/** The last node name of a libyang data path, for error-info bad-element. */
function lastElement(path: string | null): string | null {
  if (!path) return null;
  const last = path.replace(/\[[^\]]*\]/g, '').split('/').filter(Boolean).pop();
  return last ? last.replace(/^.*:/, '') : null;
}

function quoted(message: string): string | null {
  const m = /"([^"]+)"/.exec(message);
  return m ? m[1]! : null;
}

/** What a refused NACM rule path is told (RFC 8341 §3.2.5), beside libyang's reason. */
export const NACM_RULE_PATH = "A NACM rule's path is a node-instance-identifier (RFC 8341 3.2.5): every node prefixed, " +
  'list keys (or a leaf-list value) as the only predicates, no wildcards.';

/**
 * Maps a libyang parse or validation error to its NETCONF error. The app-tags
 * are those of RFC 7950 §15 (libyang sets them for must, unique, min/max
 * elements, leafref and mandatory choice); the rest is told apart by message,
 * as libyang 2.1.30 has no finer error code.
 */
export function fromLibyang(item: YangErrorItem, phase: 'parse' | 'validate'): ErrorDetail {
  const { message, path } = item;
  const appTag = item.appTag;
  const element = lastElement(path) ?? quoted(message);
  const info: ErrorInfo = element ? { badElement: element } : {};
  const base = { path, appTag, info, type: 'application' as ErrorType };
  switch (appTag) {
    case 'must-violation':
    case 'data-not-unique':
    case 'too-many-elements':
    case 'too-few-elements':
      return { ...base, tag: 'operation-failed', message };
    case 'instance-required':
    case 'missing-choice':
      return { ...base, tag: 'data-missing', message };
    default:
      break;
  }
  if (/No module (named|with namespace)/i.test(message)) {
    const ns = quoted(message);
    return { ...base, tag: 'unknown-namespace', type: 'protocol', info: ns ? { badNamespace: ns } : {}, message };
  }
  if (/not found as a child|Unknown element|Node ".*" not found/i.test(message)) {
    // The path is the parent's; the unknown element is named in the message.
    const unknown = quoted(message);
    return { ...base, tag: 'unknown-element', type: phase === 'parse' ? 'protocol' : 'application', message,
      info: unknown ? { badElement: unknown } : info };
  }
  if (/Mandatory node|missing its key|List instance is missing/i.test(message)) {
    return { ...base, tag: 'missing-element', type: 'protocol', message };
  }
  if (/Duplicate instance/i.test(message)) {
    return { ...base, tag: 'bad-element', type: 'protocol', message };
  }
  // LYVE_SYNTAX, LYVE_SYNTAX_XML, LYVE_SYNTAX_JSON: the text is not well-formed.
  if (phase === 'parse' && [1, 7, 8].includes(item.validationCode)) {
    return { ...base, tag: 'malformed-message', type: 'rpc', message };
  }
  // A path-valued leaf (a NACM rule's node-instance-identifier) whose predicates are not list keys,
  // a wildcard, '//', an axis, a union or an unprefixed step libyang does not take in such a path:
  // the value is what is wrong.
  if (/Invalid|Unsatisfied|out of .*(range|bounds)|does not match|pattern|length|predicate|Key expected|XPath token|Not found node .* in path|Prefix missing|Unparsed characters/i.test(message)) {
    const rulePath = path !== null && /^\/ietf-netconf-acm:nacm\/rule-list\[[^\]]*\]\/rule\[[^\]]*\]\/path$/.test(path);
    return { ...base, tag: 'invalid-value', type: 'application',
      message: rulePath ? `${message} ${NACM_RULE_PATH}` : message };
  }
  return { ...base, tag: 'operation-failed', message };
}

export function fromEditError(e: EditError): ErrorDetail {
  const element = lastElement(e.path);
  return detail(e.tag, e.message, { path: e.path, type: 'application', info: element ? { badElement: element } : {} });
}

export function isYangError(err: unknown): err is YangError {
  return err instanceof Error && Array.isArray((err as Partial<YangError>).items);
}

/**
 * A libyang parse or validation failure as the rpc-errors a client gets (its error-level items), or
 * undefined when `err` is not libyang's. The main thread and the evaluation workers (a validation made
 * there, evaluation-thread.ts) map them alike, so a client gets the same errors from either.
 */
export function libyangErrors(err: unknown, phase: 'parse' | 'validate'): ErrorDetail[] | undefined {
  return isYangError(err) ? err.items.filter((i) => i.level === 'error').map((i) => fromLibyang(i, phase)) : undefined;
}
