// The agent process as an operator starts and stops it.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runPython, startAgent } from '../support/agent.js';
import { scratchDirs } from '../support/scratch.js';

const scratch = scratchDirs();
const tempDir = (): string => scratch('proc');

async function runToExit(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  clearTimeout(timer);
  return { code, out };
}

describe('bmpd process', () => {
  it('refuses to listen beyond loopback without a users file, saying why', async () => {
    const { code, out } = await runToExit(['--state-dir', tempDir(), '--netconf-address', '0.0.0.0', '--netconf-port', '0']);
    expect(code).not.toBe(0);
    expect(out).toMatch(/users/i);
    expect(out).not.toContain('bmpd ready');
  });

  it('rejects a bad option with usage text', async () => {
    const { code, out } = await runToExit(['--netconf-port', 'eighty']);
    expect(code).toBe(2);
    expect(out).toContain('usage: bmpd');
  });

  it('creates its SSH host key on first start and keeps it', async () => {
    const dir = tempDir();
    const first = await startAgent({ stateDir: dir });
    await first.stop();
    const key = readFileSync(join(dir, 'ssh_host_key'), 'utf8');
    expect(statSync(join(dir, 'ssh_host_key')).mode & 0o777).toBe(0o600);
    const second = await startAgent({ stateDir: dir });
    await second.stop();
    expect(readFileSync(join(dir, 'ssh_host_key'), 'utf8')).toBe(key);
  });

  it('a corrupt startup file stops the start and is left as it was', async () => {
    const dir = tempDir();
    const bad = '<bgp xmlns="urn:bmpd:yang:bmpd"><as-number>not-a-number</as-number></bgp>';
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'startup.xml'), bad);
    const { code, out } = await runToExit(['--state-dir', dir, '--netconf-port', '0']);
    expect(code).toBe(1);
    expect(out).toMatch(/startup configuration .*startup\.xml is not valid/);
    expect(readFileSync(join(dir, 'startup.xml'), 'utf8')).toBe(bad);
  });

  it('SIGTERM with a session open exits 0 and leaves startup untouched', async () => {
    const dir = tempDir();
    copyFileSync(join(ROOT, 'yang', 'examples', 'seed-config-loopback.xml'), join(dir, 'startup.xml'));
    const before = readFileSync(join(dir, 'startup.xml'));
    const agent = await startAgent({ stateDir: dir });
    try {
      // A client that stays connected while the agent stops.
      const ready = join(dir, 'session-open');
      const client = runPython(join(ROOT, 'test', 'agent', 'clients', 'hold_session.py'), [agent.port, 20, ready]).catch((e: Error) => ({ error: e.message }));
      // Stop only once the session is up (a fixed 1.5 s wait was sometimes too short under load).
      for (const until = Date.now() + 20_000; !existsSync(ready) && Date.now() < until;) await new Promise((r) => setTimeout(r, 50));
      expect(existsSync(ready)).toBe(true);
      expect(await agent.stop('SIGTERM')).toBe(0);
      const seen = await client as Record<string, unknown>;
      expect(seen.connected_at_end).toBe(false);
      expect(readFileSync(join(dir, 'startup.xml'))).toEqual(before);
      expect(existsSync(join(dir, 'startup.xml'))).toBe(true);
    } finally {
      // Stopped above unless an expectation failed first: the agent must not outlive the test.
      await agent.stop();
    }
  });

  it('bmpd-adduser writes a user the agent then accepts, and the default admin is gone', async () => {
    const dir = tempDir();
    const add = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'adduser.js'), '--state-dir', dir, '--name', 'oper', '--password-stdin'],
      { stdio: ['pipe', 'pipe', 'pipe'] });
    add.stdin.end('long-enough-secret\n');
    expect(await new Promise((r) => add.once('exit', r))).toBe(0);
    expect(statSync(join(dir, 'users.json')).mode & 0o777).toBe(0o600);
    const agent = await startAgent({ stateDir: dir });
    try {
      const probe = join(ROOT, 'test', 'netconf', 'clients', 'ncclient_probe.py');
      const ok = await runPython(probe, ['127.0.0.1', agent.port, 'oper', 'long-enough-secret']);
      expect(ok.close_session_ok).toBe(true);
      await expect(runPython(probe, ['127.0.0.1', agent.port, 'admin', 'admin'])).rejects.toThrow(/Authentication|auth/i);
    } finally {
      await agent.stop();
    }
  });

  it('SIGHUP re-reads the users file; a broken one leaves the users in force', async () => {
    const dir = tempDir();
    const addUser = async (name: string): Promise<void> => {
      const add = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'adduser.js'), '--state-dir', dir, '--name', name, '--password-stdin'],
        { stdio: ['pipe', 'pipe', 'pipe'] });
      add.stdin.end(`${name}-long-enough-secret\n`);
      expect(await new Promise((r) => add.once('exit', r))).toBe(0);
    };
    const reloads = (agent: { logs: Record<string, unknown>[] }, msg: RegExp): number => agent.logs.filter((l) => msg.test(String(l.msg))).length;
    await addUser('first');
    const agent = await startAgent({ stateDir: dir });
    try {
      const probe = join(ROOT, 'test', 'netconf', 'clients', 'ncclient_probe.py');
      await addUser('second');
      // Not read yet: the agent still has the users it started with.
      await expect(runPython(probe, ['127.0.0.1', agent.port, 'second', 'second-long-enough-secret'])).rejects.toThrow(/Authentication|auth/i);
      process.kill(agent.pid, 'SIGHUP');
      for (let i = 0; i < 100 && reloads(agent, /^NETCONF users reloaded/) === 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect((await runPython(probe, ['127.0.0.1', agent.port, 'second', 'second-long-enough-secret'])).close_session_ok).toBe(true);
      // A users file that does not parse: logged, and both users still log in.
      const { writeFileSync } = await import('node:fs');
      writeFileSync(join(dir, 'users.json'), '{ not json', { mode: 0o600 });
      process.kill(agent.pid, 'SIGHUP');
      for (let i = 0; i < 100 && reloads(agent, /^users file not reloaded/) === 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(reloads(agent, /^users file not reloaded/)).toBe(1);
      expect((await runPython(probe, ['127.0.0.1', agent.port, 'first', 'first-long-enough-secret'])).close_session_ok).toBe(true);
      expect((await runPython(probe, ['127.0.0.1', agent.port, 'second', 'second-long-enough-secret'])).close_session_ok).toBe(true);
    } finally {
      await agent.stop();
    }
  });
});
