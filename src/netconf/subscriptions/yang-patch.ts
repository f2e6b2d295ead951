// RFC 8641 §3.7 push-change-update content: the changes between two
// snapshots of a subscription's selection, as the edits of a YANG Patch
// (RFC 8072 §2.2), each target a RESTCONF data resource path (RFC 8040
// §3.5.3) relative to the datastore root.
import type { DataTree, DiffChange } from 'libyang-wasm';
import { pathSteps } from '../data-path.js';
import { escapeText, textElement as e } from '../xml.js';

/** RFC 8641 excluded-change values: the edit operations a publisher reports. */
export type ChangeKind = 'create' | 'delete' | 'insert' | 'move' | 'replace';

/** One edit of a yang-patch, before it is numbered. */
export interface PatchEdit {
  readonly operation: ChangeKind;
  readonly target: string;
  /** The value element, with its namespace; absent for delete. */
  readonly value?: string;
}

/** libyang's data path (/bmpd:bgp/neighbor[address='::1']/state) as RFC 8040 §3.5.3 writes it (/bmpd:bgp/neighbor=%3A%3A1/state). */
export function restconfPath(dataPath: string): string {
  return '/' + pathSteps(dataPath).map((step) => {
    const open = step.indexOf('[');
    if (open < 0) return step;
    const keys: string[] = [];
    for (const m of step.slice(open).matchAll(/\[[^=\]]+=(?:'([^']*)'|"([^"]*)")\]/g)) keys.push(encodeURIComponent(m[1] ?? m[2] ?? ''));
    return `${step.slice(0, open)}=${keys.join(',')}`;
  }).join('/');
}

/**
 * The element at `depth` (1 = top level) named `local` in libyang's print of a selection of one path:
 * the node itself without its ancestors, its namespace declared on it. The print holds only the path's
 * branch, where the one element of that name at that depth is the node (its ancestors' keys sit
 * beside it under other names).
 */
export function elementAt(printed: string, depth: number, local: string, namespace: string): string | null {
  const tag = /<(\/?)([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)((?:\s+[^\s=>]+="[^"]*")*)\s*(\/?)>/g;
  let level = 0;
  let start = -1;
  let startTagEnd = -1;
  let prefix = '';
  for (let m = tag.exec(printed); m !== null; m = tag.exec(printed)) {
    const closing = m[1] === '/';
    const selfClosing = m[5] === '/';
    if (closing) {
      if (level === depth && start >= 0) return withNamespace(printed.slice(start, m.index + m[0].length), startTagEnd - start, prefix, namespace);
      level--;
      continue;
    }
    level++;
    if (level === depth && m[3] === local && start < 0) {
      start = m.index;
      startTagEnd = m.index + m[0].length;
      prefix = m[2] ?? '';
      if (selfClosing) return withNamespace(m[0], m[0].length, prefix, namespace);
    }
    if (selfClosing) level--;
  }
  return null;
}

function withNamespace(element: string, startTagLength: number, prefix: string, namespace: string): string {
  const startTag = element.slice(0, startTagLength);
  const attr = prefix === '' ? 'xmlns' : `xmlns:${prefix.slice(0, -1)}`;
  if (startTag.includes(`${attr}=`)) return element;
  const nameEnd = startTag.search(/[\s/>]/);
  return `${startTag.slice(0, nameEnd)} ${attr}="${escapeText(namespace)}"${element.slice(nameEnd)}`;
}

function localName(step: string): { module: string | null; name: string } {
  const m = /^(?:([\w.-]+):)?([\w.-]+)/.exec(step);
  return { module: m?.[1] ?? null, name: m?.[2] ?? step };
}

/** The node at `path` in `tree`, as a yang-patch value. */
function valueOf(change: DiffChange, tree: DataTree, namespaceOf: (module: string) => string | null): string | undefined {
  const steps = pathSteps(change.path);
  let module = '';
  for (const s of steps) module = localName(s).module ?? module;
  const namespace = namespaceOf(module) ?? '';
  const { name } = localName(steps[steps.length - 1] ?? '');
  if (change.nodeType === 'leaf' || change.nodeType === 'leaf-list') {
    return `<${name} xmlns="${escapeText(namespace)}">${escapeText(change.value ?? '')}</${name}>`;
  }
  const selected = tree.select(change.path);
  try {
    return elementAt(selected.print({ format: 'xml', withDefaults: 'explicit', shrink: true }), steps.length, name, namespace) ?? undefined;
  } finally {
    selected.free();
  }
}

/**
 * The edits that turn the old snapshot into `after`, given libyang's diff of them. `reportable` says
 * which changed nodes on-change covers (RFC 8641 §3.10: counters and other fast-changing state do not
 * take part); a created or deleted subtree is one edit, its descendants inside it. `excluded`: the
 * subscription's excluded-change.
 */
export function patchEdits(changes: readonly DiffChange[], after: DataTree, namespaceOf: (module: string) => string | null,
  reportable: (change: DiffChange) => boolean, excluded: ReadonlySet<ChangeKind>): PatchEdit[] {
  const edits: PatchEdit[] = [];
  let covered: string | null = null;
  for (const change of changes) {
    if (covered !== null && (change.path.startsWith(`${covered}/`) || change.path === covered)) continue;
    covered = null;
    if (change.operation === 'none' || !reportable(change)) continue;
    if (change.operation !== 'replace') covered = change.path;
    const operation: ChangeKind = change.operation;
    if (excluded.has(operation)) continue;
    const target = restconfPath(change.path);
    if (operation === 'delete') {
      edits.push({ operation, target });
      continue;
    }
    const value = valueOf(change, after, namespaceOf);
    edits.push(value === undefined ? { operation, target } : { operation, target, value });
  }
  return edits;
}

/** RFC 8641 push-change-update's datastore-changes (the yang-patch grouping, in the ietf-yang-push namespace). */
export function yangPatchXml(patchId: string, edits: readonly PatchEdit[]): string {
  return `<datastore-changes><yang-patch>${e('patch-id', patchId)}${edits.map((edit, i) =>
    `<edit>${e('edit-id', `edit${i + 1}`)}${e('operation', edit.operation)}${e('target', edit.target)}` +
    `${edit.value !== undefined ? `<value>${edit.value}</value>` : ''}</edit>`).join('')}</yang-patch></datastore-changes>`;
}
