// bmpd-cli on a real terminal: tmux runs it in a pseudo-terminal against the real agent, the test
// types keys (send-keys) and reads the screen (capture-pane). First use asks about the host key
// and for the password; then '?' lists the allowed words, Tab completes, an invalid word gets
// IOS's '^' marker, Up recalls history, Ctrl-C cancels a line. Also the host-key rules in batch.
//
// Addresses of this file: NETCONF on a free port of 127.0.0.1 only; no BGP or BMP sessions.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../bgp/integration/daemons.js';
import { ROOT, runPython, startAgent, type RunningAgent } from '../support/agent.js';
import { generateEd25519KeyPair } from '../../src/netconf/host-key.js';
import { CLI, runCli } from './run-cli.js';

const NC = join(ROOT, 'test', 'agent', 'clients', 'nc.py');

let agent: RunningAgent;
let dir: string;
let socket: string;
const PANE = 'cli';

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' });
}

/** The screen, each line without its trailing blanks. */
function screen(): string {
  return tmux('capture-pane', '-p', '-t', PANE).split('\n').map((l) => l.trimEnd()).join('\n');
}

/** The cursor's column: shows the blank a completed word ends with, which the screen text cannot. */
function cursorColumn(): number {
  return Number(tmux('display-message', '-p', '-t', PANE, '#{cursor_x}').trim());
}

/** Waits until the screen shows `pattern`; returns the screen. */
function shows(pattern: RegExp | string, timeoutMs = 10_000): Promise<string> {
  return waitFor(`the screen to show ${pattern}`, () => {
    const s = screen();
    return (typeof pattern === 'string' ? s.includes(pattern) : pattern.test(s)) ? s : null;
  }, timeoutMs, 100);
}

function keys(...k: string[]): void {
  tmux('send-keys', '-t', PANE, ...k);
}

/** Literal text, so '?' and spaces are typed as they are. */
function type(text: string): void {
  tmux('send-keys', '-t', PANE, '-l', text);
}

/** The last non-empty line on the screen: the prompt and what is typed after it. */
function cursorLine(): string {
  return screen().split('\n').filter((l) => l !== '').at(-1)!;
}

// The agent's sysName is the host name; the prompt is its first label, as IOS's hostname.
const NAME = hostname().split('.')[0]!;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bmpd-cli-tty-'));
  socket = join(dir, 'tmux.sock');
  agent = await startAgent();
}, 60_000);

afterAll(async () => {
  try {
    tmux('kill-server');
  } catch {
    /* no server left */
  }
  await agent?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('bmpd-cli on a terminal', () => {
  it('asks about an unknown host key and for the password, then prompts with the agent\'s name', async () => {
    const knownHosts = join(dir, 'known_hosts');
    tmux('new-session', '-d', '-s', PANE, '-x', '150', '-y', '50',
      `${process.execPath} ${CLI} --port ${agent.port} --user admin --known-hosts ${knownHosts}; echo "exit status $?"; sleep 60`);
    await shows(/ssh-ed25519 key fingerprint is SHA256:\S+\.\nAre you sure you want to continue connecting \(yes\/no\)\?/);
    type('yes');
    keys('Enter');
    await shows("admin@127.0.0.1's password:");
    type('admin');
    keys('Enter');
    await shows(`${NAME}>`);
    expect(screen()).toContain(`Warning: Permanently added '[127.0.0.1]:${agent.port}' (ssh-ed25519) to the list of known hosts.`);
    expect(screen()).not.toContain('admin\n');
  });

  it("'?' lists the words allowed next, and the words a partial word starts", async () => {
    type('enable');
    keys('Enter');
    await shows(`${NAME}#`);
    type('show ip bgp bmp ?');
    const s = await shows(/neighbors\s+BMP neighbors/);
    expect(s).toContain(`${NAME}#show ip bgp bmp ?\n  neighbors  BMP neighbors (BMP clients)\n  server     BMP server\n\n${NAME}#show ip bgp bmp`);
    type('server ?');
    await shows(/<1-10>\s+BMP server number\n\s+neighbors.*\n\s+summary.*\n/);
    keys('C-u');
    type('conf?');
    await shows(`${NAME}#conf?\nconfigure\n\n${NAME}#conf`);
    keys('C-u');
  });

  it('Tab completes a keyword, and the completed line runs', async () => {
    type('conf');
    keys('Tab');
    await waitFor('configure completed', () => cursorLine() === `${NAME}#configure` && cursorColumn() === `${NAME}#configure `.length);
    type('t');
    keys('Tab');
    await waitFor('terminal completed', () => cursorLine() === `${NAME}#configure terminal` && cursorColumn() === `${NAME}#configure terminal `.length);
    keys('Enter');
    await shows(`${NAME}(config)#`);
    type('router bgp 65000');
    keys('Enter');
    await shows(`${NAME}(config-router)#`);
  });

  it("shows the '^' marker under an invalid word", async () => {
    type('bmp serer 1');
    keys('Enter');
    const s = await shows("% Invalid input detected at '^' marker.");
    const prompt = `${NAME}(config-router)#`;
    expect(s).toContain(`${prompt}bmp serer 1\n${' '.repeat(prompt.length + 4)}^\n% Invalid input detected at '^' marker.`);
  });

  it('Up recalls the last line, Ctrl-C cancels a line, Ctrl-Z leaves configuration mode', async () => {
    keys('Up');
    await waitFor('history recalled', () => cursorLine() === `${NAME}(config-router)#bmp serer 1`);
    keys('C-u');
    type('bmp server 3');
    keys('C-c');
    await waitFor('a fresh prompt', () => cursorLine() === `${NAME}(config-router)#`);
    expect(screen()).toContain(`${NAME}(config-router)#bmp server 3^C\n`);
    keys('C-z');
    await waitFor('exec mode', () => cursorLine() === `${NAME}#`);
    // The cancelled line never reached the agent.
    const { data } = await runPython<{ data: string }>(NC, [agent.port, 'get-config']);
    expect(data).toContain('<as-number>65000</as-number>');
    expect(data).not.toContain('<server>');
    type('exit');
    keys('Enter');
    await shows(`${NAME}#exit\nexit status 0`);
  });
});

describe('host keys in batch mode', () => {
  const base = (knownHosts: string): string[] => ['--port', String(agent.port), '--user', 'admin', '--password', 'admin', '--known-hosts', knownHosts];

  it('refuses an unknown host key without --accept-new-host-key, and records it with', async () => {
    const knownHosts = join(dir, 'batch_known_hosts');
    const refused = await runCli(base(knownHosts), 'show ip bgp bmp server summary\n');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/host key of \[127\.0\.0\.1\]:\d+ is not known \(ssh-ed25519 SHA256:\S+\); check it and run again with --accept-new-host-key/);
    const accepted = await runCli([...base(knownHosts), '--accept-new-host-key'], 'show debugging\n');
    expect(accepted.code).toBe(0);
    const again = await runCli(base(knownHosts), 'show debugging\n');
    expect(again).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('refuses a host key that differs from the recorded one, even with --accept-new-host-key', async () => {
    const knownHosts = join(dir, 'changed_known_hosts');
    writeFileSync(knownHosts, `[127.0.0.1]:${agent.port} ${generateEd25519KeyPair().publicKey}\n`);
    const r = await runCli([...base(knownHosts), '--accept-new-host-key'], 'show debugging\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the host key of [127.0.0.1]:${agent.port} has CHANGED`);
  });

  it('stops at the first error with status 1', async () => {
    const knownHosts = join(dir, 'batch_known_hosts');
    expect((await runCli(base(knownHosts), 'enable\nconfigure terminal\nrouter bgp 65000\n')).code).toBe(0);
    const r = await runCli(base(knownHosts), 'enable\nconfigure terminal\nrouter bgp 65001\nbmp bufer-size 9\nbmp buffer-size 9\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("% BGP is already running; AS is 65000\n");
    const wrong = await runCli([...base(knownHosts), '-c', 'enable; configure terminal; router bgp 65000; bmp buffer-size 4096; bmp buffer-size 9'], '');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe("bmp buffer-size 4096\n                ^\n% Invalid input detected at '^' marker.\n");
    const { data } = await runPython<{ data: string }>(NC, [agent.port, 'get-config']);
    expect(data).not.toContain('buffer-size');
  });

  it('reads the password from the first line of standard input, and the commands from the rest', async () => {
    const knownHosts = join(dir, 'stdin_known_hosts');
    const args = ['--port', String(agent.port), '--user', 'admin', '--password-stdin', '--known-hosts', knownHosts, '--accept-new-host-key'];
    const ok = await runCli(args, 'admin\nenable\ndebug ip bgp bmp neighbor\n');
    expect(ok).toEqual({ code: 0, stdout: 'BGP BMP neighbor debugging is on\n', stderr: expect.stringMatching(/^Warning: Permanently added .*\n$/) });
    const wrong = await runCli(args, 'not-the-password\nenable\n');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe('bmpd-cli: admin@127.0.0.1: Permission denied (wrong user, password or key)\n');
  });

  // Last in this file: once a users file exists, the loopback admin/admin default is gone.
  it('logs in with --key as a user bmpd-adduser made; an encrypted key without a terminal is refused', async () => {
    const knownHosts = join(dir, 'batch_known_hosts');
    const key = join(dir, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    execFileSync(process.execPath, [join(ROOT, 'dist', 'src', 'adduser.js'), '--state-dir', agent.stateDir, '--name', 'operator', '--key', `${key}.pub`, '--group', 'admin']);
    process.kill(agent.pid, 'SIGHUP');
    const args = ['--port', String(agent.port), '--user', 'operator', '--key', key, '--known-hosts', knownHosts];
    const r = await waitFor('the key login', async () => {
      const run = await runCli(args, 'enable\ndebug ip bgp bmp event\n');
      return run.code === 0 ? run : null;
    }, 10_000, 500);
    expect(r.stdout).toBe('BGP BMP events debugging is on\n');
    const encrypted = join(dir, 'id_encrypted');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret words', '-f', encrypted]);
    const refused = await runCli([...args.slice(0, 4), '--key', encrypted, '--known-hosts', knownHosts], 'show debugging\n');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`bmpd-cli: --key ${encrypted} is encrypted and there is no terminal to ask for its passphrase\n`);
  });

  // After the test above a users file exists, so NACM's factory rules (SPEC §4) decide: a user
  // outside group admin may read (read-default permit) but not write (write-default deny).
  it('shows a NACM denial as one IOS-style line, stops with status 1, and the agent keeps the config', async () => {
    const knownHosts = join(dir, 'batch_known_hosts');
    const key = join(dir, 'id_viewer');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    execFileSync(process.execPath, [join(ROOT, 'dist', 'src', 'adduser.js'), '--state-dir', agent.stateDir, '--name', 'viewer', '--key', `${key}.pub`, '--group', 'operators']);
    process.kill(agent.pid, 'SIGHUP');
    const args = ['--port', String(agent.port), '--user', 'viewer', '--key', key, '--known-hosts', knownHosts];
    await waitFor('the viewer login', async () => ((await runCli(args, 'show debugging\n')).code === 0 ? true : null), 10_000, 500);
    const denied = await runCli(args, 'enable\nconfigure terminal\nrouter bgp 65000\nbmp buffer-size 77\nbmp buffer-size 78\n');
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^% Access denied: [^\n]*buffer-size[^\n]*\n$/);
    const running = await runCli(args, 'enable\nshow running-config | include buffer-size\n');
    expect(running.code).toBe(0);
    expect(running.stdout).not.toMatch(/buffer-size 7[78]/);
  });
});
