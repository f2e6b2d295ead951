// The command grammar engine of bmpd-cli: the commands themselves are data (src/cli/commands.ts),
// one entry per command; this file turns them into one tree per mode, and the same tree parses a
// line, completes a word (Tab) and lists what may come next ('?'). No I/O here.
//
// Syntax of an entry (IOS's own notation, reduced to what the seed needs):
//   keyword        a word the user types, or any unambiguous prefix of it ('sh' for 'show')
//   <name>         a parameter, typed by the `params` table (numbers with ranges, addresses, WORD, LINE)
//   ...            the two tokens before it may repeat ('server <server> ...')
// Alternatives and optional tails are separate entries that share their prefix in the tree.

export interface ParamType {
  /** What '?' prints in the first column: 'A.B.C.D', '<1-10>', 'WORD', 'LINE'. */
  readonly hint: string;
  readonly help: string;
  accepts(word: string): boolean;
  /** LINE: the parameter takes the rest of the line, spaces included. */
  readonly rest?: boolean;
}

/** A parameter: one or more types (a neighbor is A.B.C.D, X:X:X::X or a WORD tag). */
export type ParamSpec = readonly ParamType[];

export interface CommandEntry<C> {
  readonly modes: readonly string[];
  readonly syntax: string;
  /** Show commands: `| begin|include|exclude|section REGEX` may follow. */
  readonly pipe?: boolean;
  /** 'do': the words after this entry's syntax are parsed in that mode's tree. */
  readonly delegate?: string;
  readonly run?: (context: C, args: Args) => Promise<void> | void;
}

export interface GrammarDefinition<C> {
  /** Help text of every keyword, shown by '?'. */
  readonly words: Readonly<Record<string, string>>;
  readonly params: Readonly<Record<string, ParamSpec>>;
  readonly commands: readonly CommandEntry<C>[];
  /** The pipe's LINE parameter (the regular expression after `| section`). */
  readonly pipeParam: ParamSpec;
}

type Token = { readonly kind: 'keyword'; readonly word: string } | { readonly kind: 'param'; readonly name: string; readonly spec: ParamSpec };

interface GrammarNode<C> {
  readonly token: Token;
  readonly children: GrammarNode<C>[];
  entry?: CommandEntry<C>;
}

/** What a parsed line said: the keywords in order, and each parameter's values. */
export class Args {
  constructor(
    readonly keywords: readonly string[],
    private readonly values: ReadonlyMap<string, readonly string[]>,
  ) {}

  has(keyword: string): boolean {
    return this.keywords.includes(keyword);
  }

  value(name: string): string | undefined {
    return this.values.get(name)?.[0];
  }

  /** A parameter's value; the grammar guarantees it is there. */
  get(name: string): string {
    const v = this.value(name);
    if (v === undefined) throw new Error(`grammar: parameter <${name}> missing`);
    return v;
  }

  all(name: string): readonly string[] {
    return this.values.get(name) ?? [];
  }
}

export type PipeFilter = { readonly kind: 'begin' | 'include' | 'exclude' | 'section'; readonly pattern: string };

export type ParseResult<C> =
  | { readonly kind: 'empty' }
  | { readonly kind: 'command'; readonly entry: CommandEntry<C>; readonly args: Args; readonly pipe: PipeFilter | null }
  /** `at` is the offset of the word that does not fit: where IOS puts its '^'. */
  | { readonly kind: 'invalid'; readonly at: number }
  | { readonly kind: 'ambiguous'; readonly at: number; readonly word: string }
  | { readonly kind: 'incomplete' };

export interface HelpLine {
  readonly word: string;
  readonly help: string;
}

export type HelpResult =
  | { readonly kind: 'list'; readonly lines: readonly HelpLine[] }
  /** '?' right after part of a word: the keywords it can start, as IOS prints them on one line. */
  | { readonly kind: 'words'; readonly words: readonly string[] }
  | { readonly kind: 'invalid'; readonly at: number }
  | { readonly kind: 'unrecognized' };

interface Word {
  readonly text: string;
  readonly at: number;
}

function wordsOf(line: string): Word[] {
  const words: Word[] = [];
  for (const m of line.matchAll(/\S+/g)) words.push({ text: m[0], at: m.index });
  return words;
}

const PIPE_KINDS = ['begin', 'exclude', 'include', 'section'] as const;

type Step<C> =
  | { readonly kind: 'node'; readonly node: GrammarNode<C> }
  | { readonly kind: 'ambiguous' }
  | { readonly kind: 'none' };

export class Grammar<C> {
  private readonly roots = new Map<string, GrammarNode<C>>();

  constructor(private readonly definition: GrammarDefinition<C>) {
    const delegates: [GrammarNode<C>, string][] = [];
    for (const entry of definition.commands) {
      for (const mode of entry.modes) {
        const end = this.insert(this.root(mode), entry);
        if (entry.delegate !== undefined) delegates.push([end, entry.delegate]);
      }
    }
    // 'do show ...' in a configuration mode walks the exec tree itself, so '?' and Tab work after 'do'.
    for (const [node, mode] of delegates) node.children.push(...this.root(mode).children);
  }

  modes(): string[] {
    return [...this.roots.keys()];
  }

  private root(mode: string): GrammarNode<C> {
    let root = this.roots.get(mode);
    if (!root) this.roots.set(mode, (root = { token: { kind: 'keyword', word: '' }, children: [] }));
    return root;
  }

  private tokenOf(text: string): Token {
    const param = /^<([a-z0-9-]+)>$/.exec(text);
    if (!param) {
      if (this.definition.words[text] === undefined) throw new Error(`grammar: keyword '${text}' has no help text`);
      return { kind: 'keyword', word: text };
    }
    const spec = this.definition.params[param[1]!];
    if (!spec) throw new Error(`grammar: parameter <${param[1]}> has no type`);
    return { kind: 'param', name: param[1]!, spec };
  }

  private insert(root: GrammarNode<C>, entry: CommandEntry<C>): GrammarNode<C> {
    const path: GrammarNode<C>[] = [root];
    let node = root;
    for (const text of entry.syntax.split(/\s+/)) {
      if (text === '...') {
        const loopTo = path[path.length - 2];
        if (!loopTo || path.length < 3) throw new Error(`grammar: '...' needs two tokens before it in '${entry.syntax}'`);
        if (!node.children.includes(loopTo)) node.children.push(loopTo);
        continue;
      }
      const token = this.tokenOf(text);
      let next = node.children.find((c) => sameToken(c.token, token));
      if (!next) node.children.push((next = { token, children: [] }));
      node = next;
      path.push(node);
    }
    if (entry.run !== undefined) {
      if (node.entry && node.entry !== entry) throw new Error(`grammar: '${entry.syntax}' is defined twice`);
      node.entry = entry;
    }
    if (entry.pipe) this.addPipe(node, entry);
    return node;
  }

  private addPipe(node: GrammarNode<C>, entry: CommandEntry<C>): void {
    const bar: GrammarNode<C> = { token: { kind: 'keyword', word: '|' }, children: [] };
    for (const kind of PIPE_KINDS) {
      const regex: GrammarNode<C> = { token: { kind: 'param', name: 'pipe-regex', spec: this.definition.pipeParam }, children: [], entry };
      bar.children.push({ token: { kind: 'keyword', word: kind }, children: [regex] });
    }
    node.children.push(bar);
  }

  /** The child a typed word selects: an exact keyword, else the one keyword it abbreviates, else a parameter that takes it. */
  private step(node: GrammarNode<C>, word: string): Step<C> {
    const lower = word.toLowerCase();
    const keywords = node.children.filter((c) => c.token.kind === 'keyword');
    const exact = keywords.find((c) => (c.token as { word: string }).word === lower);
    if (exact) return { kind: 'node', node: exact };
    const prefixed = keywords.filter((c) => (c.token as { word: string }).word.startsWith(lower));
    if (prefixed.length === 1) return { kind: 'node', node: prefixed[0]! };
    if (prefixed.length > 1) return { kind: 'ambiguous' };
    const param = node.children.find((c) => c.token.kind === 'param' && c.token.spec.some((t) => t.accepts(word)));
    return param ? { kind: 'node', node: param } : { kind: 'none' };
  }

  parse(mode: string, line: string): ParseResult<C> {
    const root = this.roots.get(mode);
    if (!root) throw new Error(`grammar: no mode '${mode}'`);
    const words = wordsOf(line);
    if (words.length === 0) return { kind: 'empty' };
    let node = root;
    const keywords: string[] = [];
    const values = new Map<string, string[]>();
    let pipeKind: PipeFilter['kind'] | null = null;
    for (let i = 0; i < words.length; i++) {
      const word = words[i]!;
      const step = this.step(node, word.text);
      if (step.kind === 'ambiguous') return { kind: 'ambiguous', at: word.at, word: word.text };
      if (step.kind === 'none') return { kind: 'invalid', at: word.at };
      node = step.node;
      const token = node.token;
      if (token.kind === 'keyword') {
        if ((PIPE_KINDS as readonly string[]).includes(token.word) && keywords.at(-1) === '|') pipeKind = token.word as PipeFilter['kind'];
        keywords.push(token.word);
        continue;
      }
      const rest = token.spec.some((t) => t.rest === true && t.accepts(word.text));
      const value = rest ? line.slice(word.at).trimEnd() : word.text;
      const list = values.get(token.name) ?? [];
      list.push(value);
      values.set(token.name, list);
      if (rest) break;
    }
    if (!node.entry) return { kind: 'incomplete' };
    const pattern = values.get('pipe-regex')?.[0];
    values.delete('pipe-regex');
    const pipe = pipeKind !== null && pattern !== undefined ? { kind: pipeKind, pattern } : null;
    return { kind: 'command', entry: node.entry, args: new Args(keywords, values), pipe };
  }

  /** Walks whole words; the node reached, or where the walk stopped. */
  private walk(mode: string, words: readonly Word[]): { node: GrammarNode<C>; rest: boolean } | { failedAt: number } {
    let node = this.roots.get(mode);
    if (!node) throw new Error(`grammar: no mode '${mode}'`);
    for (const word of words) {
      const step = this.step(node, word.text);
      if (step.kind !== 'node') return { failedAt: word.at };
      node = step.node;
      if (node.token.kind === 'param' && node.token.spec.some((t) => t.rest === true)) return { node, rest: true };
    }
    return { node, rest: false };
  }

  /** Tab: the line with its last word completed to the one keyword it starts, or null. */
  complete(mode: string, line: string): string | null {
    if (line === '' || /\s$/.test(line)) return null;
    const words = wordsOf(line);
    const last = words.pop()!;
    const walked = this.walk(mode, words);
    if ('failedAt' in walked || walked.rest) return null;
    const lower = last.text.toLowerCase();
    const matches = walked.node.children.filter((c) => c.token.kind === 'keyword' && c.token.word.startsWith(lower));
    if (matches.length !== 1) return null;
    return `${line.slice(0, last.at)}${(matches[0]!.token as { word: string }).word} `;
  }

  /** '?': what may follow the line (after a space), or the keywords its last word can start. */
  help(mode: string, line: string): HelpResult {
    const words = wordsOf(line);
    const partial = line !== '' && !/\s$/.test(line) ? words.pop()! : null;
    const walked = this.walk(mode, words);
    if ('failedAt' in walked) return { kind: 'invalid', at: walked.failedAt };
    const { node } = walked;
    if (partial !== null && !walked.rest) {
      const lower = partial.text.toLowerCase();
      const matches = node.children
        .filter((c) => c.token.kind === 'keyword' && c.token.word.startsWith(lower))
        .map((c) => (c.token as { word: string }).word)
        .sort();
      return matches.length > 0 ? { kind: 'words', words: matches } : { kind: 'unrecognized' };
    }
    const keywordLines: HelpLine[] = [];
    const paramLines: HelpLine[] = [];
    for (const child of walked.rest ? [] : node.children) {
      const t = child.token;
      if (t.kind === 'keyword') keywordLines.push({ word: t.word, help: this.definition.words[t.word]! });
      else for (const type of t.spec) paramLines.push({ word: type.hint, help: type.help });
    }
    keywordLines.sort((a, b) => (a.word < b.word ? -1 : a.word > b.word ? 1 : 0));
    const lines = [...paramLines, ...keywordLines.filter((l) => l.word !== '|')];
    if (keywordLines.some((l) => l.word === '|')) lines.push({ word: '|', help: this.definition.words['|']! });
    if (node.entry || walked.rest) lines.push({ word: '<cr>', help: '<cr>' });
    return { kind: 'list', lines };
  }
}

function sameToken(a: Token, b: Token): boolean {
  return a.kind === 'keyword' ? b.kind === 'keyword' && a.word === b.word : b.kind === 'param' && a.name === b.name;
}

/** IOS's layout of a '?' listing: two spaces, the word padded to the longest, two spaces, the help. */
export function formatHelp(lines: readonly HelpLine[]): string {
  const width = Math.max(0, ...lines.map((l) => l.word.length));
  return lines.map((l) => `  ${l.word.padEnd(width)}  ${l.help}`.trimEnd()).join('\n');
}

/** The two lines IOS prints under a rejected line: the marker, then the reason. */
export function invalidInputMarker(promptLength: number, at: number): string {
  return `${' '.repeat(promptLength + at)}^\n% Invalid input detected at '^' marker.`;
}
