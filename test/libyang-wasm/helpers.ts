import { fileURLToPath } from 'node:url';

import { loadLibyang, type Libyang, type YangContext } from 'libyang-wasm';

export const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));
export const IETF_MODULES = fileURLToPath(new URL('../../yang/ietf', import.meta.url));
export const DEMO_NS = 'urn:bmpd:test:lwt-demo';
export const NETCONF_NS = 'urn:ietf:params:xml:ns:netconf:base:1.0';

/** A context with the demo module (all features), ietf-netconf (for edit operations) and with-defaults. */
export async function demoContext(): Promise<{ ly: Libyang; ctx: YangContext }> {
  const ly = await loadLibyang();
  const ctx = ly.createContext({ searchDirs: [FIXTURES, IETF_MODULES] });
  ctx.loadModule('lwt-demo', null, ['*']);
  ctx.loadModule('ietf-netconf', null, ['*']);
  ctx.loadModule('ietf-netconf-with-defaults');
  return { ly, ctx };
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
