// What the model-contract files share: committing over ncclient to the real agent, and reading
// pmbmpd's per-session logs (one file per BMP session, see Pmbmpd's `perSession`).
import { join } from 'node:path';
import { expect } from 'vitest';
import { waitFor } from '../bgp/integration/daemons.js';
import type { Pmbmpd, PmbmpdRecord } from '../bmp/integration/pmbmpd.js';
import { ROOT, runPython } from '../support/agent.js';

const NC = join(ROOT, 'test', 'agent', 'clients', 'nc.py');
export const NS = 'urn:bmpd:yang:bmpd';
export const NCNS = 'urn:ietf:params:xml:ns:netconf:base:1.0';
/** update-source lo: IPv4 stations leave from 127.0.0.1, IPv6 ones from ::1. */
export const EXPORTER = '127.0.0.1';

/** ncclient at one agent: commits to /bgp, RPCs and <get>. */
export function agentClient(port: () => number) {
  const nc = (...args: (string | number)[]): Promise<Record<string, unknown>> => runPython(NC, [port(), ...args], 60_000);
  return {
    async commit(inner: string, op = 'merge'): Promise<void> {
      const r = await nc('edit-inline', `<config><bgp xmlns="${NS}" xmlns:nc="${NCNS}">${inner}</bgp></config>`, op);
      expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    },
    rpc(xml: string): Promise<{ reply?: string; error?: { tag: string; message: string } }> {
      return nc('rpc', xml) as Promise<{ reply?: string; error?: { tag: string; message: string } }>;
    },
    async state(xpath: string): Promise<string> {
      return ((await nc('get', xpath)) as { data: string }).data;
    },
  };
}

export function leaf(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

/** A bmp/server entry, activated, initial-delay 1, update-source lo. */
export function server(id: number, c: { host: string; port: number }, extra = ''): string {
  return `<server><id>${id}</id><activate/><address>${c.host}</address><port-number>${c.port}</port-number>` +
    `<initial-delay>1</initial-delay><update-source>lo</update-source>${extra}</server>`;
}

/** pmbmpd's sessions from one exporter, oldest first, each with its non-Route-Monitoring records. */
export function sessions(c: Pmbmpd, exporter = EXPORTER): PmbmpdRecord[][] {
  return c.sessionPorts(exporter).map((port) => c.sessionRecords(exporter, port));
}

export const ofType = (records: PmbmpdRecord[], type: string): PmbmpdRecord[] => records.filter((r) => r.bmp_msg_type === type);
export const allOf = (c: Pmbmpd, type: string, exporter = EXPORTER): PmbmpdRecord[] => sessions(c, exporter).flatMap((s) => ofType(s, type));
export const peerUps = (c: Pmbmpd, peer: string, exporter = EXPORTER): number => allOf(c, 'peer_up', exporter).filter((r) => r.peer_ip === peer).length;

/** Prefixes the latest session holds for one peer at the end of its log. */
export function prefixesOf(c: Pmbmpd, peer: string, exporter = EXPORTER): Set<string> {
  const port = c.sessionPorts(exporter).at(-1);
  return port === undefined ? new Set() : c.sessionRoutes(exporter, port, peer).prefixes;
}

/** Polls the collectors' logs (or the agent) every 200 ms. */
export function eventually<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  return waitFor(what, probe, timeoutMs, 200);
}
