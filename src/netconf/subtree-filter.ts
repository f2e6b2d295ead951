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
import { parseStringPromise } from 'xml2js';

export class FilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterError';
  }
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

interface XmlnsNode {
  $ns?: { uri?: string; local?: string };
  $?: Record<string, { value: string; local: string; uri: string; name: string }>;
  _?: string;
  $$?: XmlnsNode[];
  '#name'?: string;
}

function toFilterNode(el: XmlnsNode, resolve: NamespaceResolver, parentModule: string | null): FilterNode {
  const uri = el.$ns?.uri ?? '';
  const name = el.$ns?.local ?? el['#name'] ?? '';
  const module = uri === '' ? parentModule : resolve(uri);
  const elements = (el.$$ ?? []).filter((c) => c['#name'] !== '__text__');
  const attributes = Object.values(el.$ ?? {}).filter((a) => a.uri !== 'http://www.w3.org/2000/xmlns/' && a.name !== 'xmlns' && !a.name.startsWith('xmlns:'));
  const text = elements.length === 0 ? (el._ ?? '').trim() : '';
  return {
    module,
    name,
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
 * Translates the content of a <filter type="subtree"> into an XPath union.
 * Returns null when the filter selects nothing (empty filter, or only
 * namespaces no served module owns): the reply is then empty <data/>.
 */
export async function subtreeFilterToXPath(filterContent: string, resolve: NamespaceResolver): Promise<string | null> {
  if (filterContent.trim() === '') return null;
  let doc: { root?: XmlnsNode };
  try {
    doc = await parseStringPromise(`<root>${filterContent}</root>`, {
      xmlns: true, explicitChildren: true, preserveChildrenOrder: true, charsAsChildren: false, explicitRoot: true,
    });
  } catch (err) {
    throw new FilterError(`the subtree filter is not well-formed XML: ${(err as Error).message}`);
  }
  const out: string[] = [];
  for (const top of doc.root?.$$ ?? []) {
    const node = toFilterNode(top, resolve, null);
    if (node.module === null) continue;
    paths(node, '', out);
  }
  return out.length === 0 ? null : out.join(' | ');
}
