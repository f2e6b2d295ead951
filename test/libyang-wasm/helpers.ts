import { fileURLToPath } from 'node:url';

import { afterEach } from 'vitest';

import { loadLibyang, YangError, type Libyang, type YangContext } from 'libyang-wasm';

export const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));
export const IETF_MODULES = fileURLToPath(new URL('../../yang/ietf', import.meta.url));
export const DEMO_NS = 'urn:bmpd:test:lwt-demo';
export const NETCONF_NS = 'urn:ietf:params:xml:ns:netconf:base:1.0';

/** A context over the fixtures with one module and ietf-netconf (for the nc:operation attribute of edits). */
export async function editContext(module: string, features?: string[]): Promise<{ ly: Libyang; ctx: YangContext }> {
  const ly = await loadLibyang();
  const ctx = ly.createContext({ searchDirs: [FIXTURES, IETF_MODULES] });
  ctx.loadModule(module, null, features);
  ctx.loadModule('ietf-netconf', null, ['*']);
  return { ly, ctx };
}

/** A context with the demo module (all features), ietf-netconf (for edit operations) and with-defaults. */
export async function demoContext(): Promise<{ ly: Libyang; ctx: YangContext }> {
  const context = await editContext('lwt-demo', ['*']);
  context.ctx.loadModule('ietf-netconf-with-defaults');
  return context;
}

/**
 * Frees, after each test of the enclosing describe, every tree, diff or operation passed to the returned
 * function (which returns its argument): what C allocated is never left to the garbage collector.
 */
export function freedAfterEach(): <T extends { free(): void }>(object: T) => T {
  const live: { free(): void }[] = [];
  afterEach(() => {
    for (const object of live.splice(0)) object.free();
  });
  return (object) => {
    live.push(object);
    return object;
  };
}

/** The YangError that fn throws; any other outcome fails the test. */
export function yangError(fn: () => unknown): YangError {
  try {
    fn();
  } catch (e) {
    if (e instanceof YangError) return e;
    throw e;
  }
  throw new Error('expected a YangError');
}

export const system = (body: string): string => `<system xmlns="${DEMO_NS}">${body}</system>`;
export const servers = (body: string): string => `<servers xmlns="${DEMO_NS}">${body}</servers>`;
export const server = (id: number, body = ''): string => `<server><id>${id}</id>${body}</server>`;

/** An <edit-config> <config> body: the demo containers with the nc prefix declared. */
export const editServers = (body: string): string =>
  `<servers xmlns="${DEMO_NS}" xmlns:nc="${NETCONF_NS}">${body}</servers>`;
export const editSystem = (body: string): string =>
  `<system xmlns="${DEMO_NS}" xmlns:nc="${NETCONF_NS}">${body}</system>`;

/** A realistic document: n servers with routes. */
export function serversDocument(n: number, address = (i: number) => `192.0.2.${i % 250}`): string {
  let body = '';
  for (let i = 1; i <= n; i++) {
    body += server(
      i,
      `<address>${address(i)}</address><port>${5000 + (i % 100)}</port>` +
        (i > 1 ? `<backup>${i - 1}</backup>` : '') +
        `<route><prefix>10.${i % 256}.0.0/16</prefix><metric>${i}</metric></route>`,
    );
  }
  return system('<hostname>r1</hostname><dns>a</dns>') + servers(body);
}
