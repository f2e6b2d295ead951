/**
 * Output backpressure (session.ts error policy): a client that stops reading
 * cannot make the agent buffer without bound. Real SSH (ssh2 Client) over
 * loopback 127.0.7.20-21; the server runs in this process, so its sessions and
 * memory are observable directly.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetconfServer } from '../../src/netconf/server.js';
import type { NetconfSession } from '../../src/netconf/session.js';
import { BASE_NS, NcTestClient, rpcXml, startServer } from './nc-client.js';

const SMALL_HOST = '127.0.7.20';
const LARGE_HOST = '127.0.7.21';
const TEST_NS = 'urn:bmpd:test:slow-reader';
const NOTIFICATION_NS = 'urn:ietf:params:xml:ns:netconf:notification:1.0';
const SMALL_BOUND = 256 * 1024;
const MiB = 1024 * 1024;

interface LogLine {
  level: number;
  msg: string;
  session?: number;
  user?: string;
  from?: string;
  sourcePort?: number;
  queuedBytes?: number;
  limit?: number;
  reason?: string;
}

function capturingLogger(lines: LogLine[]): pino.Logger {
  return pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
}

/** A notification of about `size` bytes carrying its sequence number. */
function notification(seq: number, size = 1024): string {
  const head = `<notification xmlns="${NOTIFICATION_NS}"><eventTime>2026-11-26T12:00:00Z</eventTime><tick xmlns="${TEST_NS}"><seq>${seq}</seq><pad>`;
  const tail = '</pad></tick></notification>';
  return head + 'p'.repeat(Math.max(0, size - head.length - tail.length)) + tail;
}

/** The server side of the session the client just opened (the one not in `known`). */
async function newSession(server: NetconfServer, known: readonly NetconfSession[]): Promise<NetconfSession> {
  for (let i = 0; i < 200; i++) {
    const session = server.sessions.list().find((s) => !known.includes(s) && s.state === 'established');
    if (session !== undefined) return session;
    await sleep(10);
  }
  throw new Error('session did not reach established');
}

describe('a client that stops reading, with maxQueuedOutputBytes 256 KiB', () => {
  let server: NetconfServer;
  let cleanup: () => Promise<void>;
  const lines: LogLine[] = [];

  beforeAll(async () => {
    const started = await startServer(SMALL_HOST, {
      maxQueuedOutputBytes: SMALL_BOUND,
      logger: capturingLogger(lines),
      handlers: {
        [`${BASE_NS} get`]: async () => ({ data: `<state xmlns="${TEST_NS}"><up>true</up></state>` }),
      },
    });
    server = started.server;
    cleanup = started.cleanup;
  });

  afterAll(async () => {
    await cleanup?.();
  });

  it('ends that session, says why in the log, keeps memory bounded, and serves another session meanwhile', async () => {
    const target = { host: SMALL_HOST, port: server.port()! };
    const { client: stuck } = await NcTestClient.open(target);
    const stuckSession = await newSession(server, []);
    const { client: other } = await NcTestClient.open(target);
    const otherSession = await newSession(server, [stuckSession]);
    expect((await other.rpc(rpcXml('1', '<get/>'))).includes('<up>true</up>')).toBe(true);

    const stuckConnectionClosed = new Promise<void>((resolve) => stuck.ssh.once('close', () => resolve()));
    stuck.channel.pause(); // stops reading: ssh2 stops granting window once its buffer is full
    const before = process.memoryUsage();
    let peakRss = before.rss;
    let peakExternal = before.external;
    let peakQueued = 0;
    let sent = 0;
    let refusedAt: number | undefined;
    let midReply: Promise<string> | undefined;
    const frameBytes = Buffer.byteLength(notification(0)) + 16; // chunk header and end-of-chunks
    // Without a bound this loop would queue all 64 MiB and never be refused.
    while (sent * 1024 < 64 * MiB) {
      if (!stuckSession.sendNotification(notification(sent))) {
        refusedAt = sent;
        break;
      }
      sent += 1;
      peakQueued = Math.max(peakQueued, stuckSession.queuedOutputBytes);
      if (sent % 64 === 0) {
        await sleep(1); // let SSH move what it can, as a real publisher's pace would
        const usage = process.memoryUsage();
        peakRss = Math.max(peakRss, usage.rss);
        peakExternal = Math.max(peakExternal, usage.external);
      }
      if (sent === 1024) midReply = other.rpc(rpcXml('2', '<get/>'));
    }

    expect(refusedAt).toBeDefined();
    expect(stuckSession.state).toBe('closed');
    expect(server.sessions.get(stuckSession.id)).toBeUndefined();
    expect(stuckSession.sendNotification(notification(sent + 1))).toBe(false);
    // Whatever the client did not take stays within the bound plus one message.
    expect(peakQueued).toBeLessThanOrEqual(SMALL_BOUND + frameBytes);
    // The client's own SSH window (2 MiB in ssh2) was filled before anything queued here.
    expect(sent * 1024).toBeGreaterThan(SMALL_BOUND);
    // The client learns it: its SSH connection closes (the paused channel never sees its own end).
    await stuckConnectionClosed;

    const overflow = lines.find((l) => l.msg.includes('does not read its output'));
    expect(overflow).toMatchObject({ level: 40, session: stuckSession.id, user: 'admin', from: stuckSession.sourceHost, limit: SMALL_BOUND });
    expect(overflow?.queuedBytes).toBeGreaterThan(SMALL_BOUND);
    expect(overflow?.sourcePort).toBe(stuckSession.sourcePort);
    expect(lines.some((l) => l.session === stuckSession.id && l.reason === 'output-overflow')).toBe(true);

    // Memory (server and this test's client share the process): the client's
    // 2 MiB window, the bound, and slack for the strings this loop made.
    const grewRss = peakRss - before.rss;
    const grewExternal = peakExternal - before.external;
    console.info(
      `slow reader: ${sent} notifications (${(sent / 1024).toFixed(1)} MiB) before refusal; peak queued ${peakQueued} B; ` +
        `rss +${(grewRss / MiB).toFixed(1)} MiB, external +${(grewExternal / MiB).toFixed(1)} MiB`,
    );
    expect(grewExternal).toBeLessThan(SMALL_BOUND + 16 * MiB);
    expect(grewRss).toBeLessThan(SMALL_BOUND + 48 * MiB);

    expect(midReply).toBeDefined();
    expect(await midReply).toContain('message-id="2"');
    expect(await other.rpc(rpcXml('3', '<get/>'))).toContain('<up>true</up>');
    expect(otherSession.state).toBe('established');
    other.end();
  });

  it('delivers every notification, in order, to a client that reads, at a steady publisher pace', async () => {
    const known = server.sessions.list();
    const { client } = await NcTestClient.open({ host: SMALL_HOST, port: server.port()! });
    const session = await newSession(server, known);
    const total = 4096; // 4 MiB: sixteen times the bound
    let peakQueued = 0;
    for (let seq = 0; seq < total; seq++) {
      expect(session.sendNotification(notification(seq))).toBe(true);
      peakQueued = Math.max(peakQueued, session.queuedOutputBytes);
      if (seq % 32 === 31) await sleep(1);
    }
    const seqs: number[] = [];
    for (let i = 0; i < total; i++) {
      const message = await client.nextMessage();
      seqs.push(Number(/<seq>(\d+)<\/seq>/.exec(message)?.[1]));
    }
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(session.state).toBe('established');
    expect(session.counters.outNotifications).toBe(total);
    console.info(`reading client: ${total} notifications, peak queued ${peakQueued} B`);
    client.end();
  });

  it('refuses notifications to a closing session (close-session accepted) and after it closed', async () => {
    const known = server.sessions.list();
    const { client } = await NcTestClient.open({ host: SMALL_HOST, port: server.port()! });
    const session = await newSession(server, known);
    expect(session.sendNotification(notification(0))).toBe(true);
    expect(await client.nextMessage()).toContain('<seq>0</seq>');
    session.requestCloseAfterReply(); // what the close-session handler does before its <ok/> is written
    expect(session.sendNotification(notification(1))).toBe(false);
    expect(await client.rpc(rpcXml('9', '<get/>'))).toContain('message-id="9"');
    await client.waitClosed();
    expect(session.state).toBe('closed');
    expect(session.sendNotification(notification(2))).toBe(false);
    expect(session.counters.outNotifications).toBe(1);
  });
});

describe('large replies with maxQueuedOutputBytes 8 MiB', () => {
  let server: NetconfServer;
  let cleanup: () => Promise<void>;
  const REPLY_BYTES = 6 * MiB;

  beforeAll(async () => {
    const started = await startServer(LARGE_HOST, {
      maxQueuedOutputBytes: 8 * MiB,
      handlers: {
        [`${BASE_NS} get`]: async (ctx) => ({
          data: `<x xmlns="${TEST_NS}" id="${ctx.rpc.attributes.find((a) => a.local === 'message-id')?.value ?? ''}">${'y'.repeat(REPLY_BYTES)}</x>`,
        }),
      },
    });
    server = started.server;
    cleanup = started.cleanup;
  });

  afterAll(async () => {
    await cleanup?.();
  });

  it('sends a reply bigger than the channel buffer, and three pipelined ones (18 MiB > bound) whole', async () => {
    const { client } = await NcTestClient.open({ host: LARGE_HOST, port: server.port()! });
    const single = await client.rpc(rpcXml('1', '<get/>'));
    expect(single).toContain('message-id="1"');
    expect(single.length).toBeGreaterThan(REPLY_BYTES);
    // Pipelined: the server writes the next reply only once the channel drained.
    for (const id of ['2', '3', '4']) client.send(rpcXml(id, '<get/>'));
    for (const id of ['2', '3', '4']) {
      const reply = await client.nextMessage(60_000);
      expect(reply).toContain(`message-id="${id}"`);
      expect(reply).toContain(`${'y'.repeat(1000)}</x></data></rpc-reply>`);
      expect(reply.length).toBeGreaterThan(REPLY_BYTES);
    }
    expect(server.sessions.size).toBe(1);
    client.end();
  });
});
