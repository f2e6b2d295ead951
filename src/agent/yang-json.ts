// JSON as libyang prints a data tree, read so that a repeated member name is not lost.
//
// libyang prints siblings in the tree's order and puts the instances of a list (or leaf-list)
// in one JSON array only when they are adjacent. libyang keeps them adjacent as long as its
// hash table's "first instance" entries are right (libyang-wasm's sort() once left them stale,
// and a node inserted later landed among a list's entries); a tree where they are not prints
// e.g. "neighbor": [...] twice in one object, which JSON.parse resolves by silently keeping the
// last. Here a repeated member's arrays are concatenated and its objects merged, which is what
// the tree holds: losing neighbors is not an acceptable failure mode for a parse.
// Everything else is plain RFC 8259 JSON.

import { mergeJson, type Json } from '../datastore/large-write.js';
import { nextTurn } from '../steps.js';

export function parseYangJson(text: string): unknown {
  const reader = new Reader(text);
  reader.space();
  const value = reader.value();
  reader.space();
  if (reader.pos !== text.length) reader.fail('trailing text');
  return value;
}

/**
 * RFC 7951 documents that are parts of one tree (a large write's chunks, datastore/large-write.ts),
 * parsed and merged in order: containers member by member, a list's entries one run after another.
 * Parts are taken `perTurn` at a time, the event loop running between (64 chunks of 16 KiB: about 1 MB,
 * 5–10 ms), so a 100,000-neighbor running is read without one long block.
 */
export async function parseYangJsonParts(parts: readonly string[], perTurn = 64): Promise<unknown> {
  let whole: Json = {};
  for (let i = 0; i < parts.length; i++) {
    if (i % perTurn === 0) await nextTurn();
    whole = mergeJson(whole, parseYangJson(parts[i]!) as Json);
  }
  return whole;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

class Reader {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(why: string): never {
    throw new SyntaxError(`JSON: ${why} at ${this.pos}`);
  }

  space(): void {
    const t = this.text;
    let p = this.pos;
    for (;;) {
      const c = t.charCodeAt(p);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    this.pos = p;
  }

  value(): Json {
    const c = this.text.charCodeAt(this.pos);
    if (c === 0x7b) return this.object();
    if (c === 0x5b) return this.array();
    if (c === QUOTE) return this.string();
    if (this.text.startsWith('true', this.pos)) { this.pos += 4; return true; }
    if (this.text.startsWith('false', this.pos)) { this.pos += 5; return false; }
    if (this.text.startsWith('null', this.pos)) { this.pos += 4; return null; }
    return this.number();
  }

  private object(): Json {
    const out: { [name: string]: Json } = {};
    this.pos++;
    this.space();
    if (this.text.charCodeAt(this.pos) === 0x7d) { this.pos++; return out; }
    for (;;) {
      this.space();
      if (this.text.charCodeAt(this.pos) !== QUOTE) this.fail('member name expected');
      const name = this.string();
      this.space();
      if (this.text.charCodeAt(this.pos) !== 0x3a) this.fail('":" expected');
      this.pos++;
      this.space();
      const value = this.value();
      if (Object.prototype.hasOwnProperty.call(out, name)) out[name] = mergeJson(out[name], value);
      else out[name] = value;
      this.space();
      const c = this.text.charCodeAt(this.pos++);
      if (c === 0x7d) return out;
      if (c !== 0x2c) this.fail('"," or "}" expected');
    }
  }

  private array(): Json {
    const out: Json[] = [];
    this.pos++;
    this.space();
    if (this.text.charCodeAt(this.pos) === 0x5d) { this.pos++; return out; }
    for (;;) {
      this.space();
      out.push(this.value());
      this.space();
      const c = this.text.charCodeAt(this.pos++);
      if (c === 0x5d) return out;
      if (c !== 0x2c) this.fail('"," or "]" expected');
    }
  }

  private string(): string {
    const t = this.text;
    const start = this.pos + 1;
    let p = start;
    let escaped = false;
    for (;;) {
      const c = t.charCodeAt(p);
      if (Number.isNaN(c)) this.fail('unterminated string');
      if (c === QUOTE) break;
      if (c === BACKSLASH) { escaped = true; p += 2; continue; }
      p++;
    }
    this.pos = p + 1;
    return escaped ? (JSON.parse(t.slice(start - 1, p + 1)) as string) : t.slice(start, p);
  }

  private number(): number {
    const t = this.text;
    const start = this.pos;
    let p = start;
    for (;;) {
      const c = t.charCodeAt(p);
      // digits, '-', '+', '.', 'e', 'E'
      if ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45) p++;
      else break;
    }
    if (p === start) this.fail('value expected');
    const n = Number(t.slice(start, p));
    if (Number.isNaN(n)) this.fail('bad number');
    this.pos = p;
    return n;
  }
}
