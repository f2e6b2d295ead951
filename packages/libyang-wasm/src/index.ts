/**
 * libyang 2.1.30 compiled to WebAssembly, with a typed API for a NETCONF server: schema contexts, data
 * parsing and validation, printing with every with-defaults mode, diff, merge, XPath selection, RPC and
 * notification parsing, and NETCONF <edit-config> semantics (implemented in the C glue).
 *
 * Memory is managed by hand: every tree, diff and operation owns wasm memory until its free() is called
 * (a context's destroy() frees whatever of its objects are still alive). Nothing relies on the GC.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type DataFormat = 'xml' | 'json';
export type WithDefaultsMode = 'explicit' | 'trim' | 'report-all' | 'report-all-tagged';

export interface YangErrorItem {
  message: string;
  /** The data (or schema) path the error is about, e.g. /bmpd:bgp/bmp/server[id='1']/port-number. */
  path: string | null;
  /** libyang's location text as reported, e.g. 'Data location "/m:a", line number 3.' */
  location: string | null;
  appTag: string | null;
  /** LY_ERR */
  code: number;
  /** LY_VECODE (LYVE_DATA, LYVE_SYNTAX_XML, ...) */
  validationCode: number;
  level: 'error' | 'warning';
}

/** The paths that are not inside another one of the set (a subtree copied or diffed covers its descendants). */
export function outermostPaths(paths: Iterable<string>): string[] {
  const sorted = [...new Set(paths)].sort((a, b) => a.length - b.length);
  const kept = new Set<string>();
  for (const path of sorted) {
    let nested = false;
    // Every '/' may end an ancestor's path; one inside a quoted key value gives a prefix no path equals.
    for (let i = path.indexOf('/', 1); i > 0 && !nested; i = path.indexOf('/', i + 1)) nested = kept.has(path.slice(0, i));
    if (!nested) kept.add(path);
  }
  return [...kept];
}

/**
 * libyang 2.1.30 reports where an error happened as 'Data location "/a/b",
 * line number 3.' (or 'Schema location ...'); callers want the path alone.
 */
export function locationPath(location: string | null): string | null {
  if (!location) return null;
  const m = /(?:Data|Schema) location "([^"]+)"/.exec(location);
  if (m) return m[1]!;
  return location.startsWith('/') ? location : null;
}

/** A failed libyang call; message is the first item's message (and its path). */
export class YangError extends Error {
  readonly items: YangErrorItem[];

  constructor(items: YangErrorItem[], fallback: string) {
    const first = items.find((item) => item.level === 'error') ?? items[0];
    super(first ? (first.path ? `${first.message} (path: ${first.path})` : first.message) : fallback);
    this.name = 'YangError';
    this.items = items;
  }
}

export interface ModuleInfo {
  name: string;
  revision: string | null;
  namespace: string;
  prefix: string;
  implemented: boolean;
  /** enabled features */
  features: string[];
  submodules: { name: string; revision: string | null }[];
}

export interface ContextOptions {
  /** Host directories searched for imported modules (mounted read-only into the wasm file system). */
  searchDirs?: string[];
  /** Implement every imported module too (LY_CTX_ALL_IMPLEMENTED). */
  allImplemented?: boolean;
}

export interface Libyang {
  readonly version: string;
  createContext(opts?: ContextOptions): YangContext;
  /** Current size of the wasm heap in bytes. */
  heapBytes(): number;
  /** Bytes currently allocated with malloc (mallinfo uordblks). */
  allocatedBytes(): number;
}

export interface ParseDataOptions {
  /** default 'xml' */
  format?: DataFormat;
  /** default true: validate and add default nodes. false: parse only (the content of an <edit-config>). */
  validate?: boolean;
  /**
   * Reject state (config false) data and validate every implemented module (mandatory top-level nodes of
   * modules without data are errors). Without it only the modules with data in the tree are validated.
   */
  configOnly?: boolean;
  /** default true: unknown elements are errors. */
  strict?: boolean;
  /**
   * Parse the content of an <edit-config> (implies `validate: false`): a leaf given without a value under
   * nc:operation delete or remove is accepted even when the empty value is not valid for its type (RFC 6241
   * section 7.2 does not require the value; libyang type-checks it). Every other error is reported exactly
   * as without this option. Such a tree is meant for `DataTree.edit` only.
   */
  edit?: boolean;
}

export type OperationKind =
  | 'rpc'
  | 'reply'
  | 'notification'
  | 'netconf-rpc'
  | 'netconf-reply'
  | 'netconf-notification';

export interface YangContext {
  /** Loads a module (and its imports) from the search directories; features ['*'] enables all. */
  loadModule(name: string, revision?: string | null, features?: string[]): ModuleInfo;
  parseModule(text: string, format?: 'yang' | 'yin', features?: string[]): ModuleInfo;
  /** Every module in the context, implemented or only imported. */
  modules(): ModuleInfo[];
  /** A module's (or submodule's) text, as for NETCONF <get-schema>. */
  moduleText(name: string, revision?: string | null, format?: 'yang' | 'yin'): string;
  /** The module in tree format (RFC 8340). */
  moduleTree(name: string): string;
  /** Empty text gives an empty tree. */
  parseData(text: string, opts?: ParseDataOptions): DataTree;
  parseOperation(text: string, kind: OperationKind, opts?: { request?: OperationTree }): OperationTree;
  emptyTree(): DataTree;
  /**
   * Data paths of the self-contained config lists: nothing outside one of their entries can observe the
   * entry (no must, when or leafref from outside reaches into it, none from inside reaches the list itself,
   * no unique/min-elements/max-elements), so an entry can be validated without its siblings.
   */
  selfContainedLists(): SelfContainedLists;
  /** Destroys the context and frees every tree, diff and operation of it that is still alive. */
  destroy(): void;
}

export interface SelfContainedLists {
  /** false when some expression could not be analysed or a config list is keyless: nothing is tracked */
  readonly usable: boolean;
  /** schema data paths, e.g. /bmpd:bgp/neighbor */
  readonly selfContained: readonly string[];
  /** the expressions that keep the other lists from being self-contained */
  readonly observed: readonly { readonly list: string; readonly context: string; readonly expression: string }[];
}

export interface PrintOptions {
  format?: DataFormat;
  withDefaults?: WithDefaultsMode;
  /**
   * Instead of withDefaults: every node, with only the ones libyang added as defaults tagged
   * (LYD_PRINT_WD_IMPL_TAG, libyang's extension). report-all-tagged also tags a node set to its
   * default value, so parsing that back makes it a default; parsing this back restores the tree as it was.
   */
  tagImplicitDefaults?: boolean;
  shrink?: boolean;
  keepEmptyContainers?: boolean;
}

export interface EditOptions {
  defaultOperation: 'merge' | 'replace' | 'none';
  errorOption: 'stop-on-error' | 'continue-on-error' | 'rollback-on-error';
}

export interface DataTree {
  readonly isEmpty: boolean;
  print(opts?: PrintOptions): string;
  dup(): DataTree;
  /** Validates in place (adding default nodes). */
  validate(opts?: { configOnly?: boolean }): void;
  /** Merges a copy of source into this tree. */
  merge(source: DataTree): void;
  /** The changes that turn this tree into `to`. */
  diff(to: DataTree): DataDiff;
  /**
   * Applies a NETCONF <edit-config> (RFC 6241 section 7.2); returns the errors (empty on success). An edit
   * naming the same node twice (list entries with equal keys, equal leaf-list values, a leaf or container
   * given twice among its siblings) is rejected before anything is applied: one 'bad-element' error.
   */
  edit(edit: DataTree, opts: EditOptions): EditError[];
  /**
   * Puts every ordered-by system list and leaf-list in canonical order, in place (libyang keeps insertion
   * order), so the same data always prints as the same text. Entries are ordered by their keys in key
   * order (leaf-list entries by value); values by class (numbers, IPv4 addresses, IPv6 addresses, other
   * text), within it numerically, by address bytes then zone, or by canonical text byte by byte; the
   * canonical text breaks ties. Ordered-by user lists keep their order. O(n log n); a list already in
   * order costs one pass over its keys.
   */
  sort(): void;
  /** The matched nodes with their subtrees and ancestors (with list keys): a NETCONF :xpath filter. */
  select(xpath: string, namespaces?: Record<string, string>): DataTree;
  /** Data paths of the matched nodes. */
  paths(xpath: string, namespaces?: Record<string, string>): string[];
  /**
   * Starts recording the changes made to this tree in place — by edit(), and by validateChanges() — so
   * that they can be undone or listed (a new recording replaces an earlier one). Returns false when the
   * context's schema cannot be tracked (keyless lists, an expression libyang cannot analyse): work on a
   * copy then.
   */
  trackChanges(): boolean;
  /**
   * Validates what the recorded changes can affect, like validate() (adding defaults, recorded too):
   * when every change lies inside an entry of a self-contained list (see selfContainedLists), only those
   * entries with everything outside such lists; otherwise the whole tree. Without a recording: validate().
   */
  validateChanges(opts?: { configOnly?: boolean }): void;
  /** Data paths of the nodes changed since trackChanges(); null when they are unknown (out of memory). */
  changedPaths(): string[] | null;
  /**
   * Restores the tree as it was at trackChanges() and ends the recording. Returns false when that was
   * impossible (the tree must then be rebuilt).
   */
  undoChanges(): boolean;
  /** Ends the recording, keeping the changes. */
  endChanges(): void;
  /**
   * The changes that turn this tree's subtree at each path into `to`'s: a diff confined to those subtrees
   * (a path inside another one adds nothing), O(their size).
   */
  diffPaths(to: DataTree, paths: readonly string[]): DataDiff;
  /**
   * Makes this tree's node at each path a copy of `from`'s, or removes it when `from` has none (a path
   * inside another one adds nothing). Returns false, with this tree changed only at the paths before it, when a node is ordered-by
   * user: copy the whole tree then.
   */
  copyPaths(from: DataTree, paths: readonly string[]): boolean;
  /** Idempotent; any other use of a freed tree throws. */
  free(): void;
}

export interface OperationTree {
  readonly kind: OperationKind;
  /** module:name of the RPC, action or notification, e.g. 'ietf-netconf:edit-config' */
  readonly name: string;
  /** The operation (with its parents for an action or a nested notification). */
  print(opts?: { format?: DataFormat; withDefaults?: WithDefaultsMode; shrink?: boolean }): string;
  /** The NETCONF envelope (<rpc message-id=...>, <notification><eventTime>...) as XML; '' for YANG kinds. */
  printEnvelope(): string;
  /**
   * Validates an RPC's input as the server receiving it does (lyd_validate_op): mandatory nodes and
   * choices, duplicate instances, when and must, leafrefs and instance-identifiers against `dependencies`
   * (the data tree they point into, e.g. running), adding the input's defaults. Throws YangError.
   */
  validate(opts?: { dependencies?: DataTree }): void;
  free(): void;
}

export interface DataDiff {
  readonly isEmpty: boolean;
  /** The diff tree with yang:operation annotations. */
  print(format?: DataFormat): string;
  changes(): DiffChange[];
  /**
   * changes() in the compact form the glue makes them in (a few bytes a change and a string table),
   * to decode elsewhere with decodeChangeRecords: another thread can take the diff's cost and post
   * this buffer (transferable) rather than the changes as objects.
   */
  changeRecords(): Uint8Array;
  free(): void;
}

export interface DiffChange {
  operation: 'create' | 'delete' | 'replace' | 'none';
  /** data path with predicates, e.g. /bmpd:bgp/bmp/server[id='1']/address */
  path: string;
  /** every node prefixed with its module name, choice/case skipped, e.g. /bmpd:bgp/bmpd:bmp/bmpd:server/bmpd:address */
  schemaPath: string;
  nodeType: 'container' | 'list' | 'leaf' | 'leaf-list' | 'anydata' | 'anyxml';
  /** leaf/leaf-list canonical value */
  value: string | null;
  /** the old value of a replaced leaf (yang:orig-value) */
  previousValue: string | null;
  /** true for the descendants of a created or deleted subtree */
  inherited: boolean;
}

export interface EditError {
  tag: 'data-exists' | 'data-missing' | 'bad-element' | 'invalid-value' | 'unknown-element' | 'operation-failed';
  /** data path of the edit node */
  path: string;
  message: string;
}

// ---------------------------------------------------------------------------------------------------
// The emscripten module

type Ptr = number;

interface LywasmModule {
  /** Views of the wasm memory, replaced when it grows: read them after the call that may grow it. */
  HEAPU8: Uint8Array;
  HEAP32: Int32Array;
  HEAPU32: Uint32Array;
  UTF8ToString(ptr: Ptr): string;
  stringToUTF8(text: string, ptr: Ptr, maxBytes: number): void;
  lengthBytesUTF8(text: string): number;
  FS: {
    mkdir(path: string): void;
    mount(type: unknown, opts: { root: string }, mountpoint: string): void;
  };
  NODEFS: unknown;
  _malloc(size: number): Ptr;
  _free(ptr: Ptr): void;
  _lyw_free(ptr: Ptr): void;
  _lyw_version(): Ptr;
  _lyw_heap_bytes(): number;
  _lyw_allocated_bytes(): number;
  _lyw_errors(ctx: Ptr): Ptr;
  _lyw_ctx_new(searchdirs: Ptr, options: number): Ptr;
  _lyw_ctx_destroy(ctx: Ptr): void;
  _lyw_load_module(ctx: Ptr, name: Ptr, revision: Ptr, features: Ptr): Ptr;
  _lyw_parse_module(ctx: Ptr, text: Ptr, format: number, features: Ptr): Ptr;
  _lyw_modules(ctx: Ptr): Ptr;
  _lyw_print_module(ctx: Ptr, name: Ptr, revision: Ptr, format: number): Ptr;
  _lyw_tree_empty(ctx: Ptr): Ptr;
  _lyw_tree_is_empty(tree: Ptr): number;
  _lyw_tree_free(tree: Ptr): void;
  _lyw_parse_data(ctx: Ptr, text: Ptr, format: number, parseOptions: number, validateOptions: number): Ptr;
  _lyw_parse_edit(ctx: Ptr, text: Ptr, format: number, parseOptions: number): Ptr;
  _lyw_validate(tree: Ptr, validateOptions: number): number;
  _lyw_print(tree: Ptr, format: number, options: number): Ptr;
  _lyw_dup(tree: Ptr): Ptr;
  _lyw_merge(target: Ptr, source: Ptr): number;
  _lyw_diff(from: Ptr, to: Ptr, options: number): Ptr;
  _lyw_diff_changes(diff: Ptr): Ptr;
  _lyw_select(tree: Ptr, xpath: Ptr, prefixes: Ptr): Ptr;
  _lyw_paths(tree: Ptr, xpath: Ptr, prefixes: Ptr): Ptr;
  _lyw_parse_op(ctx: Ptr, text: Ptr, format: number, dataType: number, request: Ptr): Ptr;
  _lyw_op_name(op: Ptr): Ptr;
  _lyw_op_validate(op: Ptr, dependencies: Ptr): number;
  _lyw_op_print(op: Ptr, part: number, format: number, options: number): Ptr;
  _lyw_op_free(op: Ptr): void;
  _lyw_edit(target: Ptr, edit: Ptr, defaultOperation: number, errorOption: number): Ptr;
  _lyw_sort(tree: Ptr): number;
  _lyw_self_contained_lists(ctx: Ptr): Ptr;
  _lyw_track_begin(tree: Ptr): number;
  _lyw_track_end(tree: Ptr): void;
  _lyw_track_paths(tree: Ptr): Ptr;
  _lyw_track_undo(tree: Ptr): number;
  _lyw_track_validate(tree: Ptr, validateOptions: number): number;
  _lyw_diff_path(diff: Ptr, from: Ptr, to: Ptr, path: Ptr): number;
  _lyw_copy_path(to: Ptr, from: Ptr, path: Ptr): number;
}

type LywasmFactory = (overrides: Record<string, unknown>) => Promise<LywasmModule>;

// libyang constants (libyang 2.1.30 headers)
const LY_CTX_ALL_IMPLEMENTED = 0x01;
const LY_CTX_DISABLE_SEARCHDIR_CWD = 0x10;
const LYD_XML = 1;
const LYD_JSON = 2;
const LYS_IN_YANG = 1;
const LYS_IN_YIN = 3;
const LYS_OUT_YANG = 1;
const LYS_OUT_YIN = 3;
const LYS_OUT_TREE = 4;
const LYD_PARSE_ONLY = 0x010000;
const LYD_PARSE_STRICT = 0x020000;
const LYD_PARSE_NO_STATE = 0x080000;
const LYD_VALIDATE_NO_STATE = 0x0001;
const LYD_VALIDATE_PRESENT = 0x0002;

/*
 * Config-only validation covers every implemented module (a missing mandatory top-level node is an error).
 * Validation with state data covers only the modules with data in the tree: every context implements
 * ietf-yang-library, whose mandatory state nodes would otherwise be required in every document.
 */
const validateOptions = (configOnly: boolean | undefined): number =>
  configOnly ? LYD_VALIDATE_NO_STATE : LYD_VALIDATE_PRESENT;
const LYD_PRINT_SHRINK = 0x02;
const LYD_PRINT_KEEPEMPTYCONT = 0x04;
const LYD_PRINT_WD_IMPL_TAG = 0x80;
const LY_LLWRN = 1;

const WITH_DEFAULTS: Record<WithDefaultsMode, number> = {
  explicit: 0x00, // LYD_PRINT_WD_EXPLICIT
  trim: 0x10, // LYD_PRINT_WD_TRIM
  'report-all': 0x20, // LYD_PRINT_WD_ALL
  'report-all-tagged': 0x40, // LYD_PRINT_WD_ALL_TAG
};

// enum lyd_type
const OPERATION_TYPES: Record<OperationKind, number> = {
  rpc: 1,
  notification: 2,
  reply: 3,
  'netconf-rpc': 4,
  'netconf-notification': 5,
  'netconf-reply': 6,
};

const DEFAULT_OPERATIONS: Record<EditOptions['defaultOperation'], number> = { merge: 0, replace: 1, none: 2 };
const ERROR_OPTIONS: Record<EditOptions['errorOption'], number> = {
  'stop-on-error': 0,
  'continue-on-error': 1,
  'rollback-on-error': 2,
};

const dataFormat = (format: DataFormat | undefined): number => (format === 'json' ? LYD_JSON : LYD_XML);

let loading: Promise<Libyang> | undefined;

/** Instantiates the wasm module once per process. */
export function loadLibyang(): Promise<Libyang> {
  loading ??= instantiate();
  return loading;
}

async function instantiate(): Promise<Libyang> {
  // wasm/ is a sibling of both src/ (tests run the sources) and dist/ (the compiled package).
  const wasmDir = new URL('../wasm/', import.meta.url);
  const require = createRequire(import.meta.url);
  const factory = require(fileURLToPath(new URL('lywasm.cjs', wasmDir))) as LywasmFactory;
  const silent = (): void => {};
  const M = await factory({
    // emscripten 3.1.6 would fetch() the file path on Node >= 18; hand it the bytes instead.
    wasmBinary: readFileSync(new URL('lywasm.wasm', wasmDir)),
    print: silent,
    printErr: silent,
  });
  return new LibyangRuntime(M);
}

// ---------------------------------------------------------------------------------------------------
// Implementation

interface RawError {
  level: number;
  code: number;
  vecode: number;
  message: string;
  path: string | null;
  appTag: string | null;
}

class LibyangRuntime implements Libyang {
  readonly version: string;
  readonly #M: LywasmModule;
  readonly #mounts = new Map<string, string>();

  constructor(M: LywasmModule) {
    this.#M = M;
    this.version = M.UTF8ToString(M._lyw_version());
    M.FS.mkdir('/host');
  }

  createContext(opts: ContextOptions = {}): YangContext {
    const dirs = (opts.searchDirs ?? []).map((dir) => this.#mount(resolve(dir)));
    let options = LY_CTX_DISABLE_SEARCHDIR_CWD;
    if (opts.allImplemented) options |= LY_CTX_ALL_IMPLEMENTED;
    const bridge = new Bridge(this.#M);
    const ctx = bridge.withStrings([dirs.length ? dirs.join(':') : null], (d) => this.#M._lyw_ctx_new(d, options));
    if (!ctx) throw new YangError(bridge.errors(0), 'cannot create a libyang context');
    return new Context(bridge, ctx);
  }

  heapBytes(): number {
    return this.#M._lyw_heap_bytes() >>> 0;
  }

  allocatedBytes(): number {
    return this.#M._lyw_allocated_bytes() >>> 0;
  }

  // Each host directory is mounted once (NODEFS, used for reading only) under /host/<n>.
  #mount(hostDir: string): string {
    let point = this.#mounts.get(hostDir);
    if (!point) {
      if (!existsSync(hostDir)) throw new Error(`YANG search directory ${hostDir} does not exist`);
      point = `/host/${this.#mounts.size}`;
      this.#M.FS.mkdir(point);
      this.#M.FS.mount(this.#M.NODEFS, { root: hostDir }, point);
      this.#mounts.set(hostDir, point);
    }
    return point;
  }
}

/** String marshalling and error collection over the emscripten module. */
class Bridge {
  constructor(readonly M: LywasmModule) {}

  /** Calls fn with the strings copied into wasm memory (null becomes a NULL pointer). */
  withStrings<T>(strings: (string | null | undefined)[], fn: (...ptrs: Ptr[]) => T): T {
    const ptrs = strings.map((text) => {
      if (text === null || text === undefined) return 0;
      const size = this.M.lengthBytesUTF8(text) + 1;
      const ptr = this.M._malloc(size);
      this.M.stringToUTF8(text, ptr, size);
      return ptr;
    });
    try {
      return fn(...ptrs);
    } finally {
      for (const ptr of ptrs) if (ptr) this.M._free(ptr);
    }
  }

  /** Reads and frees a C string returned by the glue; null for a NULL pointer. */
  take(ptr: Ptr): string | null {
    if (!ptr) return null;
    try {
      return this.M.UTF8ToString(ptr);
    } finally {
      this.M._lyw_free(ptr);
    }
  }

  /** The errors and warnings stored in the context (cleared by reading). */
  errors(ctx: Ptr): YangErrorItem[] {
    const raw = JSON.parse(this.take(this.M._lyw_errors(ctx)) ?? '[]') as RawError[];
    return raw.map((e) => ({
      message: e.message,
      path: locationPath(e.path),
      location: e.path,
      appTag: e.appTag,
      code: e.code,
      validationCode: e.vecode,
      level: e.level === LY_LLWRN ? 'warning' : 'error',
    }));
  }

  fail(ctx: Ptr, what: string): YangError {
    return new YangError(this.errors(ctx), what);
  }

  /** Takes a string result, throwing the context's errors for NULL. */
  takeOrThrow(ctx: Ptr, ptr: Ptr, what: string): string {
    const text = this.take(ptr);
    if (text === null) throw this.fail(ctx, what);
    this.errors(ctx); // drop any warnings of a successful call
    return text;
  }
}

const joinLines = (items: string[] | undefined): string | null => (items && items.length ? items.join('\n') : null);

const prefixLines = (namespaces: Record<string, string> | undefined): string | null =>
  namespaces
    ? Object.entries(namespaces)
        .map(([prefix, ns]) => `${prefix} ${ns}`)
        .join('\n')
    : null;

/** Objects owning wasm memory, freed by their context's destroy() if still alive. */
interface Owned {
  free(): void;
}

class Context implements YangContext {
  readonly #b: Bridge;
  #ptr: Ptr;
  readonly owned = new Set<Owned>();

  constructor(bridge: Bridge, ptr: Ptr) {
    this.#b = bridge;
    this.#ptr = ptr;
  }

  get ptr(): Ptr {
    if (!this.#ptr) throw new Error('the YANG context has been destroyed');
    return this.#ptr;
  }

  get bridge(): Bridge {
    return this.#b;
  }

  loadModule(name: string, revision?: string | null, features?: string[]): ModuleInfo {
    const ctx = this.ptr;
    const json = this.#b.withStrings([name, revision ?? null, joinLines(features)], (n, r, f) =>
      this.#b.M._lyw_load_module(ctx, n, r, f),
    );
    return JSON.parse(this.#b.takeOrThrow(ctx, json, `cannot load module ${name}`)) as ModuleInfo;
  }

  parseModule(text: string, format: 'yang' | 'yin' = 'yang', features?: string[]): ModuleInfo {
    const ctx = this.ptr;
    const inFormat = format === 'yin' ? LYS_IN_YIN : LYS_IN_YANG;
    const json = this.#b.withStrings([text, joinLines(features)], (t, f) =>
      this.#b.M._lyw_parse_module(ctx, t, inFormat, f),
    );
    return JSON.parse(this.#b.takeOrThrow(ctx, json, 'cannot parse the module')) as ModuleInfo;
  }

  modules(): ModuleInfo[] {
    const ctx = this.ptr;
    return JSON.parse(this.#b.takeOrThrow(ctx, this.#b.M._lyw_modules(ctx), 'cannot list modules')) as ModuleInfo[];
  }

  moduleText(name: string, revision?: string | null, format: 'yang' | 'yin' = 'yang'): string {
    return this.#printModule(name, revision ?? null, format === 'yin' ? LYS_OUT_YIN : LYS_OUT_YANG);
  }

  moduleTree(name: string): string {
    return this.#printModule(name, null, LYS_OUT_TREE);
  }

  #printModule(name: string, revision: string | null, format: number): string {
    const ctx = this.ptr;
    const text = this.#b.withStrings([name, revision], (n, r) => this.#b.M._lyw_print_module(ctx, n, r, format));
    return this.#b.takeOrThrow(ctx, text, `no module ${name}${revision ? `@${revision}` : ''} in the context`);
  }

  parseData(text: string, opts: ParseDataOptions = {}): DataTree {
    const ctx = this.ptr;
    let parseOptions = 0;
    if (opts.validate === false) parseOptions |= LYD_PARSE_ONLY;
    if (opts.strict !== false) parseOptions |= LYD_PARSE_STRICT;
    if (opts.configOnly) parseOptions |= LYD_PARSE_NO_STATE;
    const format = dataFormat(opts.format);
    const tree = this.#b.withStrings([text], (t) =>
      opts.edit
        ? this.#b.M._lyw_parse_edit(ctx, t, format, parseOptions)
        : this.#b.M._lyw_parse_data(ctx, t, format, parseOptions, validateOptions(opts.configOnly)),
    );
    if (!tree) throw this.#b.fail(ctx, 'cannot parse the data');
    this.#b.errors(ctx);
    return new Tree(this, tree);
  }

  parseOperation(text: string, kind: OperationKind, opts: { request?: OperationTree } = {}): OperationTree {
    const ctx = this.ptr;
    const type = OPERATION_TYPES[kind];
    // NETCONF messages are XML only; a YANG-kind text starting with '{' is JSON.
    const format = kind.startsWith('netconf-') || !text.trimStart().startsWith('{') ? LYD_XML : LYD_JSON;
    const request = opts.request ? operationPtr(opts.request) : 0;
    const op = this.#b.withStrings([text], (t) => this.#b.M._lyw_parse_op(ctx, t, format, type, request));
    if (!op) throw this.#b.fail(ctx, `cannot parse the ${kind}`);
    this.#b.errors(ctx);
    return new Operation(this, op, kind);
  }

  emptyTree(): DataTree {
    return new Tree(this, this.#b.M._lyw_tree_empty(this.ptr));
  }

  selfContainedLists(): SelfContainedLists {
    const json = this.#b.M._lyw_self_contained_lists(this.ptr);
    return JSON.parse(this.#b.takeOrThrow(this.ptr, json, 'cannot analyse the schema')) as SelfContainedLists;
  }

  destroy(): void {
    if (!this.#ptr) return;
    for (const object of [...this.owned]) object.free();
    this.#b.M._lyw_ctx_destroy(this.#ptr);
    this.#ptr = 0;
  }
}

/** Shared handle bookkeeping: a pointer that is valid until free(). */
abstract class Handle implements Owned {
  #ptr: Ptr;

  constructor(
    protected readonly context: Context,
    ptr: Ptr,
  ) {
    this.#ptr = ptr;
    context.owned.add(this);
  }

  protected abstract release(ptr: Ptr): void;

  get ptr(): Ptr {
    if (!this.#ptr) throw new Error(`${this.constructor.name} has been freed`);
    return this.#ptr;
  }

  protected get b(): Bridge {
    return this.context.bridge;
  }

  free(): void {
    if (!this.#ptr) return;
    this.release(this.#ptr);
    this.#ptr = 0;
    this.context.owned.delete(this);
  }
}

class Tree extends Handle implements DataTree {
  protected release(ptr: Ptr): void {
    this.b.M._lyw_tree_free(ptr);
  }

  get isEmpty(): boolean {
    return this.b.M._lyw_tree_is_empty(this.ptr) !== 0;
  }

  print(opts: PrintOptions = {}): string {
    let options = opts.tagImplicitDefaults ? LYD_PRINT_WD_IMPL_TAG : WITH_DEFAULTS[opts.withDefaults ?? 'explicit'];
    if (opts.shrink) options |= LYD_PRINT_SHRINK;
    if (opts.keepEmptyContainers) options |= LYD_PRINT_KEEPEMPTYCONT;
    const text = this.b.M._lyw_print(this.ptr, dataFormat(opts.format), options);
    return this.b.takeOrThrow(this.context.ptr, text, 'cannot print the data');
  }

  dup(): DataTree {
    const dup = this.b.M._lyw_dup(this.ptr);
    if (!dup) throw this.b.fail(this.context.ptr, 'cannot duplicate the data');
    return new Tree(this.context, dup);
  }

  validate(opts: { configOnly?: boolean } = {}): void {
    const rc = this.b.M._lyw_validate(this.ptr, validateOptions(opts.configOnly));
    const items = this.b.errors(this.context.ptr);
    if (rc) throw new YangError(items, 'validation failed');
  }

  merge(source: DataTree): void {
    const rc = this.b.M._lyw_merge(this.ptr, treePtr(source));
    const items = this.b.errors(this.context.ptr);
    if (rc) throw new YangError(items, 'merge failed');
  }

  diff(to: DataTree): DataDiff {
    const diff = this.b.M._lyw_diff(this.ptr, treePtr(to), 0);
    if (!diff) throw this.b.fail(this.context.ptr, 'diff failed');
    return new Diff(this.context, diff);
  }

  edit(edit: DataTree, opts: EditOptions): EditError[] {
    const json = this.b.M._lyw_edit(
      this.ptr,
      treePtr(edit),
      DEFAULT_OPERATIONS[opts.defaultOperation],
      ERROR_OPTIONS[opts.errorOption],
    );
    return JSON.parse(this.b.takeOrThrow(this.context.ptr, json, 'edit failed')) as EditError[];
  }

  sort(): void {
    const rc = this.b.M._lyw_sort(this.ptr);
    const items = this.b.errors(this.context.ptr);
    if (rc) throw new YangError(items, 'sort failed');
  }

  select(xpath: string, namespaces?: Record<string, string>): DataTree {
    const selected = this.b.withStrings([xpath, prefixLines(namespaces)], (x, p) =>
      this.b.M._lyw_select(this.ptr, x, p),
    );
    if (!selected) throw this.b.fail(this.context.ptr, `cannot evaluate XPath ${xpath}`);
    return new Tree(this.context, selected);
  }

  paths(xpath: string, namespaces?: Record<string, string>): string[] {
    const json = this.b.withStrings([xpath, prefixLines(namespaces)], (x, p) => this.b.M._lyw_paths(this.ptr, x, p));
    return JSON.parse(this.b.takeOrThrow(this.context.ptr, json, `cannot evaluate XPath ${xpath}`)) as string[];
  }

  trackChanges(): boolean {
    return this.b.M._lyw_track_begin(this.ptr) === 0;
  }

  validateChanges(opts: { configOnly?: boolean } = {}): void {
    const rc = this.b.M._lyw_track_validate(this.ptr, validateOptions(opts.configOnly));
    const items = this.b.errors(this.context.ptr);
    if (rc) throw new YangError(items, 'validation failed');
  }

  changedPaths(): string[] | null {
    const json = this.b.M._lyw_track_paths(this.ptr);
    return JSON.parse(this.b.takeOrThrow(this.context.ptr, json, 'cannot list the changes')) as string[] | null;
  }

  undoChanges(): boolean {
    return this.b.M._lyw_track_undo(this.ptr) === 0;
  }

  endChanges(): void {
    this.b.M._lyw_track_end(this.ptr);
  }

  diffPaths(to: DataTree, paths: readonly string[]): DataDiff {
    const diff = new Diff(this.context, this.b.M._lyw_tree_empty(this.context.ptr));
    try {
      for (const path of outermostPaths(paths)) {
        const rc = this.b.withStrings([path], (p) => this.b.M._lyw_diff_path(diff.ptr, this.ptr, treePtr(to), p));
        const items = this.b.errors(this.context.ptr);
        if (rc) throw new YangError(items, `diff of ${path} failed`);
      }
    } catch (err) {
      diff.free();
      throw err;
    }
    return diff;
  }

  copyPaths(from: DataTree, paths: readonly string[]): boolean {
    for (const path of outermostPaths(paths)) {
      const rc = this.b.withStrings([path], (p) => this.b.M._lyw_copy_path(this.ptr, treePtr(from), p));
      const items = this.b.errors(this.context.ptr);
      if (rc === 1) return false;
      if (rc) throw new YangError(items, `copy of ${path} failed`);
    }
    return true;
  }
}

class Diff extends Handle implements DataDiff {
  protected release(ptr: Ptr): void {
    this.b.M._lyw_tree_free(ptr);
  }

  get isEmpty(): boolean {
    return this.b.M._lyw_tree_is_empty(this.ptr) !== 0;
  }

  print(format?: DataFormat): string {
    const text = this.b.M._lyw_print(this.ptr, dataFormat(format), 0);
    return this.b.takeOrThrow(this.context.ptr, text, 'cannot print the diff');
  }

  changes(): DiffChange[] {
    const steps = decodeChangeRecords(this.changeRecords(), Infinity);
    for (;;) {
      const next = steps.next();
      if (next.done) return next.value;
    }
  }

  changeRecords(): Uint8Array {
    const ptr = this.b.M._lyw_diff_changes(this.ptr);
    if (!ptr) throw this.b.fail(this.context.ptr, 'cannot list the diff');
    try {
      this.b.errors(this.context.ptr); // drop any warnings of a successful call
      const M = this.b.M;
      const count = M.HEAPU32[ptr >>> 2]!;
      const textBytes = M.HEAPU32[(ptr >>> 2) + 1]!;
      return M.HEAPU8.slice(ptr, ptr + 8 + 8 * count + textBytes);
    } finally {
      this.b.M._lyw_free(ptr);
    }
  }
}

// The record stream of lyw_diff_changes (glue/lywasm.c, CHG_*): a header of two uint32 (the record
// count, the string table's bytes), per node two int32 (flags, step index), then every string once,
// as one JSON array consumed in record order.
const CHG_OP_MASK = 3;
const CHG_INHERITED = 1 << 2;
const CHG_VALUE = 1 << 3;
const CHG_PREVIOUS = 1 << 4;
const CHG_PREDICATE = 1 << 5;
const CHG_FULL_PATH = 1 << 6;
const CHG_NEW_STEP = 1 << 7;
const CHG_TYPE_SHIFT = 8;
const CHG_DEPTH_SHIFT = 11;
const DIFF_OPERATIONS: readonly DiffChange['operation'][] = ['none', 'create', 'delete', 'replace'];
const NODE_TYPES: readonly DiffChange['nodeType'][] = ['container', 'list', 'leaf', 'leaf-list', 'anydata', 'anyxml'];
const utf8 = new TextDecoder();

/**
 * The string table of lyw_diff_changes (a JSON array of strings, in the order the records use them)
 * read one string at a time: JSON.parse of all of it at once (5 MB for 100,000 neighbors created)
 * took 70–150 ms, the longest step of decodeChangeRecords by far.
 */
class StringTable {
  private at: number;

  constructor(private readonly text: string) {
    this.at = text.indexOf('[') + 1;
  }

  /** The next string, or null where the table holds one (JSON.parse of the whole table gave the same). */
  next(): string | null {
    const { text } = this;
    let at = this.at;
    for (let c = text.charCodeAt(at); c === COMMA || c === SPACE || c === NEWLINE; c = text.charCodeAt(++at));
    if (text.charCodeAt(at) !== QUOTE) {
      if (!text.startsWith('null', at)) throw new Error(`change records: string table broken at ${at}`);
      this.at = at + 4;
      return null;
    }
    let escaped = false;
    let end = at + 1;
    for (let c = text.charCodeAt(end); c !== QUOTE; c = text.charCodeAt(++end)) {
      if (c === BACKSLASH) {
        escaped = true;
        end++;
      } else if (Number.isNaN(c)) throw new Error('change records: string table ends inside a string');
    }
    this.at = end + 1;
    return escaped ? JSON.parse(text.slice(at, end + 1)) as string : text.slice(at + 1, end);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const SPACE = 0x20;
const NEWLINE = 0x0a;

/**
 * The changes of DataDiff.changeRecords, rebuilt: a node's path is its parent's (the previous record
 * one level up) plus its step, the step's schema path and name come from a table sent once per step.
 * A generator that yields after every `perStep` changes, so a caller can spread a long list (a million
 * changes for 100,000 neighbors created) over several event-loop turns; its return value is the list.
 */
export function* decodeChangeRecords(bytes: Uint8Array, perStep: number): Generator<void, DiffChange[], void> {
  const header = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = header.getUint32(0, true);
  const textBytes = header.getUint32(4, true);
  if (bytes.byteLength !== 8 + 8 * count + textBytes) throw new Error('change records of the wrong length');
  // An Int32Array view needs a 4-aligned offset: a buffer of its own otherwise.
  const records = bytes.byteOffset % 4 === 0 ? new Int32Array(bytes.buffer, bytes.byteOffset + 8, 2 * count)
    : new Int32Array(bytes.slice(8, 8 + 8 * count).buffer);
  const strings = new StringTable(utf8.decode(bytes.subarray(8 + 8 * count)));
  const schemaPaths: string[] = [];
  const names: string[] = [];
  const pathAt: string[] = [];
  const changes = new Array<DiffChange>(count);
  for (let i = 0; i < count; i++) {
    if (i > 0 && i % perStep === 0) yield;
    const flags = records[2 * i]!;
    const step = records[2 * i + 1]!;
    const depth = flags >>> CHG_DEPTH_SHIFT;
    if (flags & CHG_NEW_STEP) {
      schemaPaths[step] = strings.next() as string;
      names[step] = strings.next() as string;
    }
    let path: string;
    if (flags & CHG_FULL_PATH) path = strings.next() as string;
    else {
      path = (depth ? pathAt[depth - 1]! : '') + names[step]!;
      if (flags & CHG_PREDICATE) path += strings.next() as string;
    }
    pathAt[depth] = path;
    const value = flags & CHG_VALUE ? (strings.next() as string) : null;
    const previousValue = flags & CHG_PREVIOUS ? (strings.next() as string) : null;
    changes[i] = {
      operation: DIFF_OPERATIONS[flags & CHG_OP_MASK]!,
      path,
      schemaPath: schemaPaths[step]!,
      nodeType: NODE_TYPES[(flags >>> CHG_TYPE_SHIFT) & 7]!,
      value,
      previousValue,
      inherited: (flags & CHG_INHERITED) !== 0,
    };
  }
  return changes;
}

class Operation extends Handle implements OperationTree {
  readonly kind: OperationKind;
  readonly name: string;

  constructor(context: Context, ptr: Ptr, kind: OperationKind) {
    super(context, ptr);
    this.kind = kind;
    this.name = this.b.take(this.b.M._lyw_op_name(ptr)) ?? '';
  }

  protected release(ptr: Ptr): void {
    this.b.M._lyw_op_free(ptr);
  }

  print(opts: { format?: DataFormat; withDefaults?: WithDefaultsMode; shrink?: boolean } = {}): string {
    let options = WITH_DEFAULTS[opts.withDefaults ?? 'explicit'];
    if (opts.shrink) options |= LYD_PRINT_SHRINK;
    const text = this.b.M._lyw_op_print(this.ptr, 0, dataFormat(opts.format), options);
    return this.b.takeOrThrow(this.context.ptr, text, 'cannot print the operation');
  }

  printEnvelope(): string {
    const text = this.b.M._lyw_op_print(this.ptr, 1, LYD_XML, 0);
    return this.b.takeOrThrow(this.context.ptr, text, 'cannot print the envelope');
  }

  validate(opts: { dependencies?: DataTree } = {}): void {
    if (this.kind !== 'rpc' && this.kind !== 'netconf-rpc') throw new TypeError(`only an RPC's input is validated, not a ${this.kind}`);
    const rc = this.b.M._lyw_op_validate(this.ptr, opts.dependencies ? treePtr(opts.dependencies) : 0);
    const items = this.b.errors(this.context.ptr);
    if (rc) throw new YangError(items, 'validation failed');
  }
}

function treePtr(tree: DataTree): Ptr {
  if (!(tree instanceof Tree)) throw new TypeError('not a DataTree of libyang-wasm');
  return tree.ptr;
}

function operationPtr(op: OperationTree): Ptr {
  if (!(op instanceof Operation)) throw new TypeError('not an OperationTree of libyang-wasm');
  return op.ptr;
}
