// libyang data paths (/bmpd:bgp/bmp/server[id='1']) in the forms NETCONF
// needs: their steps (NACM's node-instance-identifier matching) and the fully
// prefixed XPath of an rpc-error's <error-path> (RFC 6241 §4.3).

/** The steps of a data path or instance-identifier ('/a/b[k='x/y']' → ["a", "b[k='x/y']"]): split on '/' outside predicates and quotes. */
export function pathSteps(path: string): string[] {
  let depth = 0; let quote: string | null = null; let current = '';
  const steps: string[] = [];
  for (const c of path) {
    if (quote) { if (c === quote) quote = null; current += c; continue; }
    if (c === "'" || c === '"') { quote = c; current += c; continue; }
    if (c === '[') depth++;
    if (c === ']') depth--;
    if (c === '/' && depth === 0) { if (current) steps.push(current); current = ''; continue; }
    current += c;
  }
  if (current) steps.push(current);
  return steps;
}

/**
 * Turns a libyang data path (/bmpd:bgp/bmp/server[id='1']) into the fully
 * prefixed XPath NETCONF's error-path carries, with the namespace of each
 * prefix (the module names are used as prefixes).
 */
export function errorPath(path: string, namespaceOf: (module: string) => string | null): { path: string; namespaces: Record<string, string> } {
  const namespaces: Record<string, string> = {};
  let module = '';
  const steps: string[] = [];
  for (const step of pathSteps(path)) {
    const m = /^(?:([\w.-]+):)?([\w.-]+)(.*)$/s.exec(step);
    if (!m) { steps.push(step); continue; }
    if (m[1]) module = m[1];
    const ns = namespaceOf(module);
    if (ns) namespaces[module] = ns;
    const predicates = (m[3] ?? '').replace(/\[([\w.-]+)=/g, (_all, key: string) => `[${module}:${key}=`);
    steps.push(`${module}:${m[2]}${predicates}`);
  }
  return { path: '/' + steps.join('/'), namespaces };
}
