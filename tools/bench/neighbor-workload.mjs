// The workload datastore-commit.mjs and reconcile.mjs share, so the datastore's share and the
// agent's share of a transaction are measured on the same configuration: running holds n
// neighbors and one BMP server, and each transaction adds neighbor n + k. 127.1.0.0/16 is
// loopback and every neighbor is passive: nothing connects anywhere.
const NS = 'urn:bmpd:yang:bmpd';

/** Neighbor i, as an entry of <bgp>. */
export const neighbor = (i) =>
  `<neighbor><address>127.1.${(i >> 8) & 255}.${i & 255}</address><remote-as>${64512 + (i % 1000)}</remote-as><passive>true</passive><bmp-activate><all/></bmp-activate></neighbor>`;

/** An edit-config <config> body: inner inside bmpd's <bgp>. */
export const config = (inner) => `<bgp xmlns="${NS}">${inner}</bgp>`;

/** The starting configuration: neighbors 0 .. n-1 and BMP server 1. */
export function neighborsConfig(n) {
  const bulk = [];
  for (let i = 0; i < n; i++) bulk.push(neighbor(i));
  return config(`<as-number>65000</as-number><bmp><server><id>1</id><address>127.0.15.1</address><port-number>1790</port-number></server></bmp>${bulk.join('')}`);
}
