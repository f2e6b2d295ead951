// Issue 10 item 5: what a client may cost before it authenticates. On the
// unchanged agent 128 idle unauthenticated connections locked every user out
// for 30 s, zlib was offered before authentication and a compressed 20 MB user
// name was logged verbatim, 24 of 50 parallel wrong passwords were checked,
// and five wrong passwords from one address locked the real admin out.
// Attackers connect from their own loopback addresses (127.0.6x.2), the admin
// from 127.0.0.1.
import { connect, type Socket } from 'node:net';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostileAgent, underAttack, type HostileAgent } from './harness.js';

const MiB = 2 ** 20;
let agent: HostileAgent;

// The total unauthenticated budget is raised so that the parallel-password
// case reaches authentication from one source; per source it stays 4:50:8.
beforeAll(async () => { agent = await startHostileAgent(['--netconf-max-startups', '10:30:200']); }, 60_000);
afterAll(async () => agent?.stop());

function login(opts: { username: string; password: string; localAddress?: string; compress?: string[] }): Promise<ssh2.Client> {
  const client = new ssh2.Client();
  return new Promise((resolve, reject) => {
    client.once('ready', () => resolve(client));
    // Refused connections may report more than one error; the first one decides.
    client.on('error', (err) => { client.end(); reject(err); });
    client.connect({
      host: '127.0.0.1', port: agent.agent.port, username: opts.username, password: opts.password, readyTimeout: 20_000,
      tryKeyboard: false, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      ...(opts.compress ? { algorithms: { compress: opts.compress as ssh2.CompressionAlgorithm[] } } : {}),
    });
  });
}

/** The agent's log reaches us through a pipe, a moment after the client saw the outcome. */
async function settledLogs(): Promise<void> {
  let count = -1;
  while (count !== agent.agent.logs.length) {
    count = agent.agent.logs.length;
    await new Promise((r) => setTimeout(r, 300));
  }
}

const logsFrom = (ip: string) => agent.agent.logs.filter((l) => (l.from as { ip?: string } | string | undefined) === ip || (l.from as { ip?: string } | undefined)?.ip === ip);

describe('before authentication', () => {
  it('128 idle connections from one address hold at most 8 slots; the admin still logs in from another', async () => {
    const sockets: Socket[] = [];
    try {
      const held = await underAttack(agent, { replyBoundMs: 20_000, rssBoundBytes: 100 * MiB }, async () => {
        const open = new Set<Socket>();
        await Promise.all(Array.from({ length: 128 }, () => new Promise<void>((resolve) => {
          const socket = connect({ host: '127.0.0.1', port: agent.agent.port, localAddress: '127.0.61.2' }, () => resolve());
          sockets.push(socket);
          open.add(socket);
          socket.on('error', () => resolve());
          socket.on('close', () => { open.delete(socket); resolve(); });
        })));
        await new Promise((r) => setTimeout(r, 500));
        const t0 = performance.now();
        const admin = await login({ username: 'admin', password: 'admin' });
        admin.end();
        return { open: open.size, loginMs: performance.now() - t0 };
      });
      expect(held.open).toBeLessThanOrEqual(8);
      expect(held.open).toBeGreaterThanOrEqual(4);
      expect(held.loginMs).toBeLessThan(5_000);
      await settledLogs();
      expect(logsFrom('127.0.61.2').some((l) => l.msg === 'SSH connection refused: too many unauthenticated connections')).toBe(true);
    } finally {
      for (const s of sockets) s.destroy();
    }
  }, 60_000);

  it('50 parallel wrong passwords: at most the budget of 5 is checked, the rest refused unhashed', async () => {
    await underAttack(agent, { replyBoundMs: 30_000, rssBoundBytes: 100 * MiB }, async () => {
      const attempts = [];
      for (let i = 0; i < 50; i++) {
        // One source: its unauthenticated budget (4:50:8) drops some connections first; those that
        // get in race the password hash.
        attempts.push(login({ username: 'admin', password: `wrong${i}`, localAddress: '127.0.62.2' }).then((c) => { c.end(); return 'in'; }, () => 'out'));
      }
      const outcomes = await Promise.all(attempts);
      expect(outcomes.every((o) => o === 'out')).toBe(true);
    });
    await settledLogs();
    const checked = logsFrom('127.0.62.2').filter((l) => l.msg === 'SSH login failed');
    expect(checked.length).toBeGreaterThan(0);
    expect(checked.length).toBeLessThanOrEqual(5);
    // The admin from another address is not affected; from this one it is blocked, even with the right password.
    (await login({ username: 'admin', password: 'admin' })).end();
    await expect(login({ username: 'admin', password: 'admin', localAddress: '127.0.62.2' })).rejects.toThrow(/authentication methods failed/);
  }, 60_000);

  it('five wrong passwords of another user from an address do not lock the admin out of it', async () => {
    for (let i = 0; i < 5; i++) {
      await expect(login({ username: 'mallory', password: `guess${i}`, localAddress: '127.0.63.2' })).rejects.toThrow(/authentication methods failed/);
    }
    await expect(login({ username: 'mallory', password: 'guess5', localAddress: '127.0.63.2' })).rejects.toThrow(/authentication methods failed/);
    await settledLogs();
    expect(logsFrom('127.0.63.2').filter((l) => l.msg === 'SSH login failed')).toHaveLength(5);
    (await login({ username: 'admin', password: 'admin', localAddress: '127.0.63.2' })).end();
  }, 60_000);

  // Without compression an SSH packet, and so a user name, stays under ssh2's 35,000-byte packet bound.
  it('a 30 kB user name reaches the log cut to 128 characters', async () => {
    const name = 'u'.repeat(30_000);
    await expect(login({ username: name, password: 'x', localAddress: '127.0.64.2' })).rejects.toThrow();
    await settledLogs();
    const lines = logsFrom('127.0.64.2');
    expect(lines.some((l) => l.msg === 'SSH login failed' && String(l.user).endsWith('…(30000 chars)'))).toBe(true);
    for (const line of lines) expect(JSON.stringify(line).length).toBeLessThan(1_000);
  }, 60_000);

  it('offers no compression: a client that insists on zlib cannot connect', async () => {
    await expect(login({ username: 'admin', password: 'admin', localAddress: '127.0.65.2', compress: ['zlib@openssh.com', 'zlib'] }))
      .rejects.toThrow(/compression|no matching|handshake/i);
    (await login({ username: 'admin', password: 'admin', localAddress: '127.0.65.2' })).end();
  }, 60_000);
});
