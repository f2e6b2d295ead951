// Benchmarks of the libyang-wasm package (not a test): wasm size, load time, parse+validate of a
// 10,000-entry list, an edit of one entry in a 10,000-entry tree, a diff of two 10,000-entry trees, and
// the change list of a diff that creates every node.
// Usage: npx tsc -b && node tools/libyang-wasm/bench.mjs
import { readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const REPO = new URL('../../', import.meta.url);
const WASM = new URL('packages/libyang-wasm/wasm/lywasm.wasm', REPO);
const FIXTURES = fileURLToPath(new URL('test/libyang-wasm/fixtures', REPO));
const IETF = fileURLToPath(new URL('yang/ietf', REPO));
const NS = 'urn:bmpd:test:lwt-demo';
const NC = 'urn:ietf:params:xml:ns:netconf:base:1.0';
const N = 10_000;

const ms = (t0) => `${(performance.now() - t0).toFixed(1)} ms`;
/** The median of runs timings of fn (after one warm-up run). */
function median(runs, fn) {
  fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return `${times[Math.floor(runs / 2)].toFixed(2)} ms`;
}

function document(n, address) {
  const entries = [];
  for (let i = 1; i <= n; i++) {
    entries.push(
      `<server><id>${i}</id><address>${address(i)}</address><port>${1 + (i % 60000)}</port>` +
        (i > 1 ? `<backup>${i - 1}</backup>` : '') +
        `<route><prefix>10.${i % 256}.${(i >> 8) % 256}.0/24</prefix><metric>${i}</metric></route></server>`,
    );
  }
  return `<system xmlns="${NS}"><hostname>r1</hostname></system><servers xmlns="${NS}">${entries.join('')}</servers>`;
}

const wasmBytes = readFileSync(WASM);
console.log(`wasm: ${statSync(WASM).size} bytes (${gzipSync(wasmBytes).length} gzipped)`);

let t0 = performance.now();
const { loadLibyang } = await import(new URL('packages/libyang-wasm/dist/index.js', REPO).href);
const ly = await loadLibyang();
console.log(`load (import + instantiate): ${ms(t0)}`);

t0 = performance.now();
const ctx = ly.createContext({ searchDirs: [FIXTURES, IETF] });
ctx.loadModule('lwt-demo', null, ['*']);
ctx.loadModule('ietf-netconf', null, ['*']);
console.log(`context + modules: ${ms(t0)}`);

const docA = document(N, (i) => `192.0.2.${i % 250}`);
const docB = document(N, (i) => (i % 10 === 0 ? `198.51.100.${i % 250}` : `192.0.2.${i % 250}`));
console.log(`document: ${N} entries, ${(docA.length / 1024).toFixed(0)} KiB XML`);

console.log(`parse+validate ${N}: ${median(5, () => ctx.parseData(docA, { configOnly: true }).free())}`);

const a = ctx.parseData(docA, { configOnly: true });
const b = ctx.parseData(docB, { configOnly: true });
console.log(`print ${N} (xml): ${median(5, () => a.print())}`);

const edit = ctx.parseData(
  `<servers xmlns="${NS}" xmlns:nc="${NC}"><server><id>5000</id><address>203.0.113.1</address></server></servers>`,
  { validate: false },
);
const target = a.dup();
console.log(`edit of one entry in ${N} (no validation): ${median(9, () => target.edit(edit, { defaultOperation: 'merge', errorOption: 'stop-on-error' }))}`);
console.log(`dup of ${N}: ${median(5, () => a.dup().free())}`);
console.log(`validate ${N} after an edit: ${median(5, () => target.validate({ configOnly: true }))}`);

let changes = 0;
console.log(
  `diff of two ${N} trees: ${median(5, () => {
    const d = a.diff(b);
    changes = d.changes().length;
    d.free();
  })} (${changes} changes listed)`,
);
console.log(`diff only (no changes() listing): ${median(5, () => a.diff(b).free())}`);
// changes() alone over a diff where every node is listed: the commit of a whole new configuration.
const empty = ctx.emptyTree();
const created = empty.diff(a);
console.log(`changes() of ${N} created entries: ${median(5, () => { changes = created.changes().length; })} (${changes} changes)`);
created.free();
empty.free();
console.log(`heap ${ly.heapBytes()} bytes, allocated ${ly.allocatedBytes()} bytes`);

for (const tree of [a, b, edit, target]) tree.free();
ctx.destroy();
