/**
 * Real NETCONF clients against NetconfServer: ncclient (python3-ncclient, the
 * library under Ansible's netconf connection), yangcli (yuma123, libssh2) and
 * the OpenSSH client as a raw subsystem pipe.
 * Loopback range 127.0.7.x.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetconfServer } from '../../src/netconf/server.js';
import { generateEd25519KeyPair } from '../../src/netconf/host-key.js';
import { addUser } from '../../src/netconf/users.js';
import { BASE_NS, startServer } from './nc-client.js';

const run = promisify(execFile);
const HOST = '127.0.7.10';
// Debian's interpreter: a pyenv python3 first on PATH lacks dist-packages (lab README).
const PYTHON = process.env.NCCLIENT_PYTHON ?? '/usr/bin/python3';
const PROBE = fileURLToPath(new URL('./clients/ncclient_probe.py', import.meta.url));

let server: NetconfServer;
let cleanup: () => Promise<void>;
let yangcliHome: string;

beforeAll(async () => {
  ({ server, cleanup } = await startServer(HOST));
  yangcliHome = await mkdtemp(join(tmpdir(), 'bmpd-yangcli-'));
});
afterAll(async () => {
  await cleanup?.();
  if (yangcliHome) await rm(yangcliHome, { recursive: true, force: true });
});

describe('ncclient', () => {
  it('logs in with admin/admin, reads the capabilities, gets operation-not-supported, closes', async () => {
    const { stdout } = await run(PYTHON, [PROBE, HOST, String(server.port()), 'admin', 'admin'], { timeout: 60_000 });
    const result = JSON.parse(stdout) as {
      session_id: string;
      server_capabilities: string[];
      unknown_rpc: { tag: string; type: string; severity: string; message: string };
      close_session_ok: boolean;
    };
    expect(Number(result.session_id)).toBeGreaterThan(0);
    expect(result.server_capabilities).toEqual(expect.arrayContaining([...server.capabilities]));
    expect(result.unknown_rpc).toMatchObject({ tag: 'operation-not-supported', type: 'protocol', severity: 'error' });
    expect(result.unknown_rpc.message).toContain('frobnicate');
    expect(result.close_session_ok).toBe(true);
    expect(server.sessions.size).toBe(0);
  });
});

describe('yangcli (yuma123 2.13, libssh2)', () => {
  it('establishes a base:1.1 session, reads the capabilities and gets a structured rpc-error back', async () => {
    // Without ietf-netconf-monitoring/get-schema (added by the datastore layer)
    // yangcli loads no server modules, so only session-level commands are
    // meaningful here; they show the session, framing and rpc-error parsing work.
    const { stdout } = await run(
      'yangcli',
      [
        '--server=' + HOST,
        `--ncport=${server.port()}`,
        '--user=admin',
        '--password=admin',
        '--batch-mode',
        '--timeout=20',
        '--run-command=kill-session session-id=999',
      ],
      // yangcli keeps history and variables under $HOME/.yuma: give it a scratch home.
      { timeout: 60_000, env: { ...process.env, HOME: yangcliHome } },
    );
    expect(stdout).toContain('NETCONF session established for admin');
    expect(stdout).toContain('Protocol version set to: RFC 6241 (base:1.1)');
    expect(stdout).toContain('Default target set to: <candidate>');
    expect(stdout).toContain('Additional with-defaults behavior: report-all,report-all-tagged,trim');
    expect(stdout).toMatch(/error-tag invalid-value\s+error-severity error\s+error-message 'no session 999'/);
    await waitForNoSessions();
  });
});

async function waitForNoSessions(): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (server.sessions.size > 0) {
    if (Date.now() > deadline) throw new Error(`sessions still open: ${server.sessions.size}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('OpenSSH client (ssh -s netconf)', () => {
  it('logs in with a public key from the users file and gets every reply before its EOF closes the session', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bmpd-openssh-'));
    const key = generateEd25519KeyPair();
    const keyFile = join(dir, 'id_ed25519');
    await writeFile(keyFile, key.privateKey, { mode: 0o600 });
    await addUser({ stateDir: join(dir, 'state'), name: 'operator', authorizedKeys: [key.publicKey] });
    const own = await startServer('127.0.7.11', { stateDir: join(dir, 'state') });
    try {
      const input =
        `<hello xmlns="${BASE_NS}"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>]]>]]>` +
        `<rpc message-id="1" xmlns="${BASE_NS}"><frobnicate xmlns="urn:example:x"/></rpc>]]>]]>` +
        `<rpc message-id="2" xmlns="${BASE_NS}"><close-session/></rpc>]]>]]>`;
      const stdout = await new Promise<string>((resolve, reject) => {
        const child = execFile(
          'ssh',
          [
            '-F', '/dev/null',
            '-i', keyFile,
            '-p', String(own.server.port()),
            '-o', 'StrictHostKeyChecking=no',
            '-o', `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
            '-o', 'BatchMode=yes',
            '-o', 'IdentitiesOnly=yes',
            '-o', 'LogLevel=ERROR',
            '-s', 'operator@127.0.7.11',
            'netconf',
          ],
          { timeout: 30_000 },
          (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out)),
        );
        child.stdin!.end(input);
      });
      const messages = stdout.split(']]>]]>').filter((m) => m.trim() !== '');
      expect(messages).toHaveLength(3);
      expect(messages[0]).toContain('<session-id>');
      expect(messages[1]).toContain('message-id="1"');
      expect(messages[1]).toContain('<error-tag>operation-not-supported</error-tag>');
      expect(messages[2]).toBe(`<rpc-reply xmlns="${BASE_NS}" message-id="2"><ok/></rpc-reply>`);
    } finally {
      await own.cleanup();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
