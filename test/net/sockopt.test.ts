import fs from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectTcp, getDscp, getTcpKeepalive, ipv6Bytes, setDscp, setTcpMd5Sig, socketFamily, socketFd } from '../../src/net/sockopt.js';
import { startCapture } from './capture.js';

// Loopback range of this test file: 127.0.5.x (and ::1).
const SERVER_V4 = '127.0.5.1';
const CLIENT_V4 = '127.0.5.2';
const OTHER_V4 = '127.0.5.3';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function listen(host: string, onConnection?: (s: net.Socket) => void): Promise<{ server: net.Server; port: number; accepted: net.Socket[] }> {
  const accepted: net.Socket[] = [];
  const server = net.createServer((s) => {
    accepted.push(s);
    onConnection?.(s);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  cleanups.push(() => {
    for (const s of accepted) s.destroy();
    server.close();
  });
  return { server, port: (server.address() as net.AddressInfo).port, accepted };
}

function track(s: net.Socket): net.Socket {
  cleanups.push(() => s.destroy());
  return s;
}

function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

describe('ipv6Bytes', () => {
  it('expands compressed and v4-mapped forms', () => {
    expect(ipv6Bytes('::1').toString('hex')).toBe('00000000000000000000000000000001');
    expect(ipv6Bytes('2001:db8::1:0').toString('hex')).toBe('20010db8000000000000000000010000');
    expect(ipv6Bytes('::ffff:127.0.5.1').toString('hex')).toBe('00000000000000000000ffff7f000501');
    expect(ipv6Bytes('fe80::1:2:3:4:5').toString('hex')).toBe('fe800000000000010002000300040005');
  });
});

describe('connectTcp', () => {
  it('connects over IPv4 from the given local address with DSCP and keepalive applied', async () => {
    const { port, accepted } = await listen(SERVER_V4);
    const s = track(await connectTcp({ host: SERVER_V4, port, localAddress: CLIENT_V4, dscp: 5, keepalive: { idleSeconds: 15, intervalSeconds: 15, probes: 3 }, timeoutMs: 2000 }));
    expect(s.remoteAddress).toBe(SERVER_V4);
    expect(s.remotePort).toBe(port);
    expect(s.localAddress).toBe(CLIENT_V4);
    const fd = socketFd(s);
    expect(socketFamily(fd)).toBe(4);
    expect(getDscp(fd, 4)).toBe(5);
    expect(getTcpKeepalive(fd)).toEqual({ enabled: true, idleSeconds: 15, intervalSeconds: 15, probes: 3 });
    // The handed-over fd is a working Node socket in both directions.
    const echoed = new Promise<string>((resolve) => s.once('data', (d) => resolve(d.toString())));
    await new Promise((r) => setTimeout(r, 20));
    accepted[0]!.write('from-server');
    s.write('from-client');
    expect(await echoed).toBe('from-server');
    const got = await new Promise<string>((resolve) => accepted[0]!.once('data', (d) => resolve(d.toString())));
    expect(got).toBe('from-client');
  });

  it('connects over IPv6 with the traffic class carrying the DSCP', async () => {
    const { port } = await listen('::1');
    const s = track(await connectTcp({ host: '::1', port, localAddress: '::1', dscp: 46, timeoutMs: 2000 }));
    expect(s.remoteAddress).toBe('::1');
    expect(s.localAddress).toBe('::1');
    expect(socketFamily(socketFd(s))).toBe(6);
    expect(getDscp(socketFd(s), 6)).toBe(46);
  });

  it('setDscp changes the marking of an already connected Node socket', async () => {
    const { port } = await listen(SERVER_V4);
    const s = track(net.connect({ host: SERVER_V4, port }));
    await new Promise<void>((r) => s.once('connect', () => r()));
    setDscp(socketFd(s), 4, 10);
    expect(getDscp(socketFd(s), 4)).toBe(10);
  });

  it('reports ECONNREFUSED with a code', async () => {
    const { server, port } = await listen(SERVER_V4);
    await new Promise((r) => server.close(r));
    await expect(connectTcp({ host: SERVER_V4, port, timeoutMs: 2000 })).rejects.toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect' });
  });

  it('reports EADDRNOTAVAIL when the local address is not ours', async () => {
    await expect(connectTcp({ host: SERVER_V4, port: 9, localAddress: '192.0.2.1', timeoutMs: 2000 })).rejects.toMatchObject({ code: 'EADDRNOTAVAIL', syscall: 'bind' });
  });

  it('leaks no file descriptor over 200 failed connects', async () => {
    const { server, port } = await listen(SERVER_V4);
    await new Promise((r) => server.close(r));
    // Warm up lazy loads (libc, koffi) so they do not count as leaks.
    await connectTcp({ host: SERVER_V4, port, timeoutMs: 1000 }).catch(() => undefined);
    const before = openFds();
    let refused = 0;
    for (let i = 0; i < 200; i++) {
      try {
        await connectTcp({ host: SERVER_V4, port, dscp: 8, keepalive: { idleSeconds: 5, intervalSeconds: 5, probes: 2 }, timeoutMs: 1000 });
      } catch (e) {
        if ((e as { code?: string }).code === 'ECONNREFUSED') refused++;
      }
    }
    for (let i = 0; i < 20; i++) {
      await connectTcp({ host: SERVER_V4, port: 9, localAddress: '192.0.2.1', timeoutMs: 1000 }).catch(() => undefined);
    }
    // The timeout path: a listener keyed for MD5 silently drops our unsigned SYNs.
    const { server: keyed, port: keyedPort } = await listen(SERVER_V4);
    setTcpMd5Sig(socketFd(keyed), CLIENT_V4, 'k');
    const fdsWithListener = openFds();
    let timedOut = 0;
    for (let i = 0; i < 5; i++) {
      await connectTcp({ host: SERVER_V4, port: keyedPort, localAddress: CLIENT_V4, timeoutMs: 100 }).catch((e: { code?: string }) => {
        if (e.code === 'ETIMEDOUT') timedOut++;
      });
    }
    expect(timedOut).toBe(5);
    expect(openFds()).toBe(fdsWithListener);
    await new Promise((r) => keyed.close(r));
    expect(refused).toBe(200);
    expect(openFds()).toBe(before);
  });
});

describe('SYN marking (tshark on lo)', () => {
  it('IPv4: the SYN already carries the DSCP and leaves from localAddress', async () => {
    const { port } = await listen(SERVER_V4);
    const cap = await startCapture({ filter: `tcp port ${port}`, fields: ['ip.src', 'ip.dst', 'ip.dsfield.dscp', 'tcp.flags.syn', 'tcp.flags.ack'] });
    const s = track(await connectTcp({ host: SERVER_V4, port, localAddress: CLIENT_V4, dscp: 5, timeoutMs: 2000 }));
    s.write('x');
    const rows = await cap.stop();
    const syn = rows.find((r) => r[3] === '1' && r[4] === '0');
    expect(syn, JSON.stringify(rows)).toBeDefined();
    expect(syn![0]).toBe(CLIENT_V4);
    expect(syn![1]).toBe(SERVER_V4);
    expect(syn![2]).toBe('5');
    // Every packet we sent is marked, not only the SYN.
    const ours = rows.filter((r) => r[0] === CLIENT_V4);
    expect(ours.length).toBeGreaterThanOrEqual(3);
    expect(ours.every((r) => r[2] === '5')).toBe(true);
  });

  it('IPv6: the SYN already carries the DSCP in the traffic class', async () => {
    const { port } = await listen('::1');
    const cap = await startCapture({ filter: `tcp port ${port}`, fields: ['ipv6.src', 'ipv6.tclass.dscp', 'tcp.flags.syn', 'tcp.flags.ack', 'tcp.dstport'] });
    track(await connectTcp({ host: '::1', port, localAddress: '::1', dscp: 34, timeoutMs: 2000 }));
    const rows = await cap.stop();
    const syn = rows.find((r) => r[2] === '1' && r[3] === '0');
    expect(syn, JSON.stringify(rows)).toBeDefined();
    expect(syn![0]).toBe('::1');
    expect(syn![1]).toBe('34');
    expect(syn![4]).toBe(String(port));
  });
});

describe('TCP MD5 (RFC 2385)', () => {
  for (const v of [4, 6] as const) {
    const server = v === 4 ? SERVER_V4 : '::1';
    const client = v === 4 ? CLIENT_V4 : '::1';
    it(`IPv${v}: a listener keyed for the peer accepts the same key and drops a wrong or missing one`, async () => {
      const { server: srv, port, accepted } = await listen(server);
      setTcpMd5Sig(socketFd(srv), client, 'bgp-secret');
      const good = track(await connectTcp({ host: server, port, localAddress: client, md5Key: 'bgp-secret', timeoutMs: 3000 }));
      expect(good.remoteAddress).toBe(server);
      await new Promise((r) => setTimeout(r, 50));
      expect(accepted.length).toBe(1);
      await expect(connectTcp({ host: server, port, localAddress: client, md5Key: 'wrong-secret', timeoutMs: 1000 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      await expect(connectTcp({ host: server, port, localAddress: client, timeoutMs: 1000 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      expect(accepted.length).toBe(1);
      // Removing the key on the listener lets an unsigned connection in again.
      setTcpMd5Sig(socketFd(srv), client, null);
      track(await connectTcp({ host: server, port, localAddress: client, timeoutMs: 3000 }));
      await new Promise((r) => setTimeout(r, 50));
      expect(accepted.length).toBe(2);
    });
  }

  it('a v4 peer on a dual-stack IPv6 listener is keyed through its v4-mapped address', async () => {
    const { server: srv, port, accepted } = await listen('::');
    setTcpMd5Sig(socketFd(srv), OTHER_V4, 'mapped-key');
    await expect(connectTcp({ host: SERVER_V4, port, localAddress: OTHER_V4, timeoutMs: 1000 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    track(await connectTcp({ host: SERVER_V4, port, localAddress: OTHER_V4, md5Key: 'mapped-key', timeoutMs: 3000 }));
    await new Promise((r) => setTimeout(r, 50));
    expect(accepted.length).toBe(1);
  });

  it('socketFd explains when there is no descriptor', () => {
    expect(() => socketFd(new net.Socket())).toThrow(/no file descriptor/);
  });
});
