// RFC 6241 §6 subtree filtering, done the way netopeer2 does it: the filter
// is translated into an XPath union that libyang evaluates over the data
// tree, so subtree and :xpath filters share one selection engine.
//
//   containment node (has child elements)  -> a step in the path
//   content match node (text, no children) -> a [name='text'] predicate, and
//                                             the node itself is output too
//   selection node (empty)                 -> a path ending at that node
//
// A node whose only children are content match nodes selects the whole
// matching subtree. Attribute match expressions (§6.2.2) are not supported;
// a filter using them is answered with an error by the caller.
import { RpcError } from './rpc-error.js';
import { MAX_ENVELOPE_ELEMENTS, XmlLimitError, XmlParseError, parseXmlFragment, type XmlNode } from './xml.js';

export class FilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterError';
  }
}

/** The rpc-error of a subtree filter beyond MAX_SUBTREE_FILTER_ELEMENTS. */
export function filterTooBig(): RpcError {
  return new RpcError({ type: 'application', tag: 'too-big', message: `a subtree filter may hold at most ${MAX_SUBTREE_FILTER_ELEMENTS} elements` });
}

/** Maps an XML namespace to the YANG module name that owns it, or null. */
export type NamespaceResolver = (namespace: string) => string | null;

interface FilterNode {
  readonly module: string | null;
  readonly name: string;
  readonly text: string | null;
  readonly children: readonly FilterNode[];
  readonly hasAttributes: boolean;
}

/** An XPath 1.0 string literal for any text (XPath has no escape character). */
export function xpathLiteral(text: string): string {
  if (!text.includes("'")) return `'${text}'`;
  if (!text.includes('"')) return `"${text}"`;
  return `concat('${text.split("'").join(`', "'", '`)}')`;
}

/** The XML Namespaces declaration attributes (xmlns, xmlns:p), which are not attribute match expressions. */
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

function toFilterNode(el: XmlNode, resolve: NamespaceResolver, parentModule: string | null): FilterNode {
  const uri = el.$ns.uri;
  const module = uri === '' ? parentModule : resolve(uri);
  const elements = el.$$ ?? [];
  const attributes = Object.values(el.$ ?? {}).filter((a) => a.uri !== XMLNS_NS && a.name !== 'xmlns' && !a.name.startsWith('xmlns:'));
  const text = elements.length === 0 ? (el._ ?? '').trim() : '';
  return {
    module,
    name: el.$ns.local,
    text: text === '' ? null : text,
    children: elements.map((c) => toFilterNode(c, resolve, module)),
    hasAttributes: attributes.length > 0,
  };
}

function step(node: FilterNode): string {
  return `${node.module}:${node.name}`;
}

function paths(node: FilterNode, prefix: string, out: string[]): void {
  if (node.hasAttributes) throw new FilterError(`attribute match expressions are not supported (element ${node.name})`);
  const here = `${prefix}/${step(node)}`;
  if (node.children.length === 0) {
    out.push(here);
    return;
  }
  const matches = node.children.filter((c) => c.text !== null);
  const others = node.children.filter((c) => c.text === null);
  for (const c of matches) if (c.module === null) return; // matches nothing this server knows
  const predicated = here + matches.map((c) => `[${step(c)}=${xpathLiteral(c.text!)}]`).join('');
  if (others.length === 0) {
    out.push(predicated);
    return;
  }
  for (const c of matches) out.push(`${predicated}/${step(c)}`);
  for (const c of others) {
    if (c.module === null) continue;
    paths(c, predicated, out);
  }
}

/**
 * Most elements in a subtree filter: each becomes one xpath step or predicate,
 * and an object while it is read. Far above any filter a person or tool writes,
 * far below what would cost memory or time.
 */
export const MAX_SUBTREE_FILTER_ELEMENTS = MAX_ENVELOPE_ELEMENTS;

/**
 * Translates the content of a <filter type="subtree"> into an XPath union.
 * `namespaces` are the declarations in scope at the <filter> element.
 * Returns null when the filter selects nothing (empty filter, or only
 * namespaces no served module owns): the reply is then empty <data/>.
 * Throws FilterError for a filter that is not well-formed or uses attribute
 * match expressions, XmlLimitError beyond MAX_SUBTREE_FILTER_ELEMENTS.
 */
export async function subtreeFilterToXPath(filterContent: string, resolve: NamespaceResolver,
  namespaces: Readonly<Record<string, string>> = {}): Promise<string | null> {
  if (filterContent.trim() === '') return null;
  let tops: XmlNode[];
  try {
    tops = parseXmlFragment(filterContent, namespaces, MAX_SUBTREE_FILTER_ELEMENTS);
  } catch (err) {
    if (err instanceof XmlParseError && !(err instanceof XmlLimitError)) {
      throw new FilterError(`the subtree filter is not well-formed XML: ${err.message}`);
    }
    throw err;
  }
  const out: string[] = [];
  for (const top of tops) {
    const node = toFilterNode(top, resolve, null);
    if (node.module === null) continue;
    paths(node, '', out);
  }
  return out.length === 0 ? null : out.join(' | ');
}
