// Moving a fragment of a NETCONF message (the content of <config>, <filter>)
// out of its envelope loses the namespace declarations made on ancestors,
// e.g. xmlns:nc on <rpc> used by nc:operation inside <config>. This puts the
// declarations in scope back onto each top-level element of the fragment,
// so libyang can parse the fragment alone. The fragment was already checked
// to be well-formed by the envelope parser.

function escapeAttr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/** Index just past the end of the tag that starts at `start` ('<'), honouring quoted attribute values. */
function tagEnd(xml: string, start: number): number {
  let quote: string | null = null;
  for (let i = start + 1; i < xml.length; i++) {
    const c = xml[i]!;
    if (quote !== null) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '>') {
      return i + 1;
    }
  }
  return xml.length;
}

/**
 * Adds xmlns declarations from `scope` (prefix → namespace, '' = default) to
 * every top-level start tag of `fragment` that does not declare that prefix
 * itself.
 */
export function declareNamespaces(fragment: string, scope: Readonly<Record<string, string>>): string {
  const entries = Object.entries(scope);
  if (entries.length === 0) return fragment;
  let out = '';
  let depth = 0;
  let i = 0;
  while (i < fragment.length) {
    const lt = fragment.indexOf('<', i);
    if (lt < 0) { out += fragment.slice(i); break; }
    out += fragment.slice(i, lt);
    if (fragment.startsWith('<!--', lt)) {
      const end = fragment.indexOf('-->', lt + 4);
      const stop = end < 0 ? fragment.length : end + 3;
      out += fragment.slice(lt, stop); i = stop; continue;
    }
    if (fragment.startsWith('<![CDATA[', lt)) {
      const end = fragment.indexOf(']]>', lt + 9);
      const stop = end < 0 ? fragment.length : end + 3;
      out += fragment.slice(lt, stop); i = stop; continue;
    }
    if (fragment.startsWith('<?', lt)) {
      const end = fragment.indexOf('?>', lt + 2);
      const stop = end < 0 ? fragment.length : end + 2;
      out += fragment.slice(lt, stop); i = stop; continue;
    }
    const stop = tagEnd(fragment, lt);
    const tag = fragment.slice(lt, stop);
    if (tag.startsWith('</')) {
      depth--;
      out += tag;
    } else {
      const selfClosing = tag.endsWith('/>');
      if (depth === 0) {
        const declared = new Set<string>();
        for (const m of tag.matchAll(/\sxmlns(?::([\w.-]+))?\s*=/g)) declared.add(m[1] ?? '');
        const extra = entries
          .filter(([prefix]) => !declared.has(prefix))
          .map(([prefix, uri]) => (prefix === '' ? ` xmlns="${escapeAttr(uri)}"` : ` xmlns:${prefix}="${escapeAttr(uri)}"`))
          .join('');
        const nameEnd = tag.search(/[\s/>]/);
        out += tag.slice(0, nameEnd) + extra + tag.slice(nameEnd);
      } else {
        out += tag;
      }
      if (!selfClosing) depth++;
    }
    i = stop;
  }
  return out;
}
