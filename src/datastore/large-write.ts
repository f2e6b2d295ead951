/**
 * A large write's steps made away from the datastores (in an evaluation worker, under the write time
 * limit), and their result in a shape the main thread can adopt a slice at a time.
 *
 * The result is the validated tree printed as libyang JSON with its implicit defaults tagged, cut into
 * documents of about CHUNK_CHARS each: parsing the whole of it back (100,000 neighbors, 7 MB) held the
 * main thread 1.6 s in one call; each chunk is parsed in a turn of its own and merged into the first
 * (Datastores.adoptWhole), so the longest turn is one chunk's parse and merge.
 */
import type { DataTree, YangContext } from 'libyang-wasm';
import type { WriteSteps } from './datastores.js';

/**
 * About how many characters of JSON one chunk holds. libyang parses about 3 MB/s of it even without
 * validation (each value is checked against its type, an address against its patterns): a 1 MiB chunk
 * of neighbors took 320–440 ms on the 2-core machine, 64 KiB about 25 (and twice that at load 5, which
 * put a probe's p99 at 100 ms); 16 KiB takes about 6. A single list entry larger than this is never
 * cut, so its chunk is as large as it is.
 */
export const CHUNK_CHARS = 16 << 10;

/**
 * The steps of `steps` made on a copy of `base` (or from nothing for a write without a base): the
 * result as JSON chunks (resultChunks), validated unless `steps.validate` is false (an edit of
 * candidate with test-option set), or null when a step failed (the datastores then make the steps
 * themselves and report the outcome exactly).
 */
export function makeWriteSteps(context: YangContext, base: DataTree | null, steps: WriteSteps, chunkChars = CHUNK_CHARS): string[] | null {
  const parse = (edit: boolean) => context.parseData(steps.xml, { format: 'xml', validate: false, configOnly: true, strict: true, edit });
  const owned: DataTree[] = [];
  try {
    let tree: DataTree;
    if (steps.edit === null) {
      tree = parse(false);
      owned.push(tree);
    } else {
      tree = base!.dup();
      owned.push(tree);
      const edit = parse(true);
      owned.push(edit);
      if (tree.edit(edit, steps.edit).length > 0) return null;
    }
    if (steps.validate) tree.validate({ configOnly: true });
    return resultChunks(tree, chunkChars);
  } catch {
    // Invalid: the main thread reports it.
    return null;
  } finally {
    for (const t of owned) t.free();
  }
}

/**
 * A tree in the shape the datastores adopt it, a chunk per turn: JSON with its implicit defaults
 * tagged (a validated tree's; an unvalidated one has none), cut between list entries (splitJsonData).
 * A large write's result, and a commit's candidate validated in a worker (evaluation-thread.ts).
 */
export function resultChunks(tree: DataTree, chunkChars = CHUNK_CHARS): string[] {
  return splitJsonData(tree.print({ format: 'json', tagImplicitDefaults: true, shrink: true }), chunkChars);
}

/**
 * The tree of a large write's result (makeWriteSteps' chunks) in one piece, in canonical order: how an
 * evaluation worker loads it as its copy of the datastore that adopted it (Datastores.snapshot). Off
 * the main thread, so in one call: the chunks are joined into one document first, which libyang parses
 * in half the time of a parse and a merge per chunk (1.6 s against 3.1 s at 100,000 neighbors).
 */
export function parseChunks(context: YangContext, chunks: readonly string[]): DataTree {
  const whole = chunks.length === 1 ? chunks[0]! : JSON.stringify(chunks.map((chunk) => JSON.parse(chunk) as Json).reduce((a, b) => mergeJson(a, b)));
  const tree = context.parseData(whole, { format: 'json', validate: false, configOnly: true, strict: true });
  try {
    tree.sort();
  } catch (err) {
    tree.free();
    throw err;
  }
  return tree;
}

export type Json = null | boolean | number | string | Json[] | { [member: string]: Json };

/**
 * Two parts of one RFC 7951 document merged into the first, in place: objects member by member, a
 * list's entries one run after another (a list in hundreds of parts is not copied once per part).
 */
export function mergeJson(a: Json | undefined, b: Json): Json {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (const entry of b) a.push(entry);
    return a;
  }
  if (typeof a === 'object' && a !== null && !Array.isArray(a) && typeof b === 'object' && b !== null && !Array.isArray(b)) {
    for (const [member, value] of Object.entries(b)) a[member] = mergeJson(a[member], value);
    return a;
  }
  return b;
}

/**
 * Cuts a libyang JSON data document (RFC 7951) into documents of about `chunkChars` characters whose
 * merge, in order, is the whole. Only list entries go to other chunks, in runs, each run inside copies
 * of the containers above its list: a list entry is never cut (merging a part of one would need its
 * keys), and everything else (leaves, leaf-lists, metadata, lists that fit) stays in the first
 * document. The order of a list's entries is kept, run after run. The text is scanned, not parsed:
 * the pieces are slices of it (JSON.parse and a stringify per entry took 0.3 s at 100,000 neighbors).
 */
export function splitJsonData(json: string, chunkChars: number): string[] {
  if (json.length <= chunkChars) return [json];
  const split: Split = { json, chunkChars, firstChars: 0, rest: [] };
  const first = splitObject(split, skipSpace(json, 0), (inner) => inner);
  return [first.text, ...split.rest];
}

interface Split {
  readonly json: string;
  readonly chunkChars: number;
  /** The size of the first document so far. */
  firstChars: number;
  readonly rest: string[];
}

/**
 * The text of the object at `start` less the lists that would make the first document larger than a
 * chunk (their entries go to `split.rest` in runs, each run wrapped by `wrap` in the containers above
 * it), and where the object ends. One pass over the text.
 */
function splitObject(split: Split, start: number, wrap: (inner: string) => string): { readonly text: string; readonly end: number } {
  const { json } = split;
  const kept: string[] = [];
  const keep = (text: string) => {
    kept.push(text);
    split.firstChars += text.length + 1;
  };
  let i = skipSpace(json, start + 1);
  while (json.charCodeAt(i) !== CLOSE_BRACE) {
    const nameStart = i;
    const nameEnd = skipValue(json, i);
    const value = skipSpace(json, skipSpace(json, nameEnd) + 1); // past the ':'
    const opening = json.charCodeAt(value);
    let end: number;
    if (json.startsWith('"@', nameStart)) {
      // Metadata members ("@", "@leaf") stay with what they annotate.
      end = skipValue(json, value);
      keep(json.slice(nameStart, end));
    } else if (opening === OPEN_BRACE) {
      const quoted = json.slice(nameStart, nameEnd);
      split.firstChars += quoted.length + 3;
      const inner = splitObject(split, value, (text) => wrap(`{${quoted}:${text}}`));
      kept.push(`${quoted}:${inner.text}`);
      end = inner.end;
    } else if (opening === OPEN_BRACKET && json.charCodeAt(skipSpace(json, value + 1)) === OPEN_BRACE) {
      // A list: whole where it fits in the first document, else its entries in runs.
      const entries: number[] = [];
      let j = skipSpace(json, value + 1);
      while (json.charCodeAt(j) !== CLOSE_BRACKET) {
        const entryEnd = skipValue(json, j);
        entries.push(j, entryEnd);
        j = afterSeparator(json, entryEnd);
      }
      end = j + 1;
      if (split.firstChars + (end - nameStart) <= split.chunkChars) {
        keep(json.slice(nameStart, end));
      } else {
        const quoted = json.slice(nameStart, nameEnd);
        let run: string[] = [];
        let runChars = 0;
        const flush = () => {
          split.rest.push(wrap(`{${quoted}:[${run.join(',')}]}`));
          run = [];
          runChars = 0;
        };
        for (let k = 0; k < entries.length; k += 2) {
          const text = json.slice(entries[k], entries[k + 1]);
          if (run.length > 0 && runChars + text.length > split.chunkChars) flush();
          run.push(text);
          runChars += text.length + 1;
        }
        flush();
      }
    } else {
      // Leaves, and leaf-lists (their values and metadata, "@name", are matched by position).
      end = skipValue(json, value);
      keep(json.slice(nameStart, end));
    }
    i = afterSeparator(json, end);
  }
  return { text: `{${kept.join(',')}}`, end: i + 1 };
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

function afterSeparator(json: string, i: number): number {
  i = skipSpace(json, i);
  return json.charCodeAt(i) === COMMA ? skipSpace(json, i + 1) : i;
}

function skipSpace(json: string, i: number): number {
  for (;;) {
    const c = json.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/** Index just past the value (string, object, array or literal) at `i`; the text is JSON libyang printed. */
function skipValue(json: string, i: number): number {
  const c = json.charCodeAt(i);
  if (c === QUOTE) {
    for (let j = i + 1; ; j++) {
      const d = json.charCodeAt(j);
      if (d === BACKSLASH) j++;
      else if (d === QUOTE) return j + 1;
      else if (Number.isNaN(d)) throw new Error('unterminated string in JSON data');
    }
  }
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; j < json.length; j++) {
      const d = json.charCodeAt(j);
      if (d === QUOTE) j = skipValue(json, j) - 1;
      else if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if ((d === CLOSE_BRACE || d === CLOSE_BRACKET) && --depth === 0) return j + 1;
    }
    throw new Error('unterminated object or array in JSON data');
  }
  // A literal: number, true, false, null.
  let j = i;
  for (; j < json.length; j++) {
    const d = json.charCodeAt(j);
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) break;
  }
  return j;
}
