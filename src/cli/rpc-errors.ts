// RFC 6241 §4.3 <rpc-error>s as the operator reads them: one IOS-style '% ...' line each. Every
// error is rendered the same generic way (its tag in words, its message, where it applies), so an
// error the CLI has never seen (a NACM denial, a lock held elsewhere, a validation failure of a
// future leaf) still reads as a sentence.
import { XmlElement } from './xml.js';

export interface RpcErrorFields {
  readonly type?: string;
  readonly tag: string;
  readonly severity: string;
  readonly appTag?: string;
  readonly path?: string;
  readonly message?: string;
  /** <error-info> children by name (session-id, bad-element, ...). */
  readonly info: Readonly<Record<string, string>>;
}

/** The <rpc-error> elements of an <rpc-reply>. */
export async function parseRpcErrors(replyXml: string): Promise<RpcErrorFields[]> {
  const reply = await XmlElement.parse(replyXml);
  return reply.children('rpc-error').map((e) => {
    const infoElement = e.child('error-info');
    const info = Object.fromEntries(INFO_NAMES.flatMap((n) => {
      const v = infoElement?.leaf(n);
      return v === undefined ? [] : [[n, v]];
    }));
    return {
      type: e.leaf('error-type'),
      tag: e.leaf('error-tag') ?? 'operation-failed',
      severity: e.leaf('error-severity') ?? 'error',
      appTag: e.leaf('error-app-tag'),
      path: e.leaf('error-path'),
      message: e.leaf('error-message'),
      info,
    };
  });
}

/** The <error-info> children RFC 6241 Appendix A defines. */
const INFO_NAMES = ['session-id', 'bad-attribute', 'bad-element', 'bad-namespace', 'ok-element', 'err-element', 'noop-element'];

/** RFC 6241 Appendix A tags in the operator's words. */
const TAG_WORDS: Readonly<Record<string, string>> = {
  'access-denied': 'Access denied',
  'lock-denied': 'Configuration locked',
  'in-use': 'In use',
  'invalid-value': 'Invalid value',
  'too-big': 'Request too big',
  'missing-attribute': 'Missing attribute',
  'bad-attribute': 'Bad attribute',
  'unknown-attribute': 'Unknown attribute',
  'missing-element': 'Missing element',
  'bad-element': 'Bad element',
  'unknown-element': 'Unknown element',
  'unknown-namespace': 'Unknown namespace',
  'resource-denied': 'Resource denied',
  'rollback-failed': 'Rollback failed',
  'data-exists': 'Already configured',
  'data-missing': 'Not configured',
  'operation-not-supported': 'Not supported',
  'operation-failed': 'Failed',
  'partial-operation': 'Partly done',
  'malformed-message': 'Malformed message',
};

/** One line: `% <tag in words>: <message> [<path>]`, plus the lock holder or the bad element when the server names them. */
export function formatRpcError(e: RpcErrorFields): string {
  const words = TAG_WORDS[e.tag] ?? e.tag;
  const message = e.message?.replace(/\s+/g, ' ').trim();
  const details: string[] = [];
  if (e.info['session-id'] !== undefined) details.push(`held by session ${e.info['session-id']}`);
  if (e.info['bad-element'] !== undefined) details.push(`element ${e.info['bad-element']}`);
  if (e.info['bad-attribute'] !== undefined) details.push(`attribute ${e.info['bad-attribute']}`);
  const where = e.path ? ` [${e.path.replace(/\s+/g, ' ').trim()}]` : '';
  const severity = e.severity === 'warning' ? 'Warning: ' : '';
  return `% ${severity}${words}${message ? `: ${message}` : ''}${details.length > 0 ? ` (${details.join(', ')})` : ''}${where}`;
}
