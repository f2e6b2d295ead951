// Host keys as OpenSSH records them: bmpd-cli's known_hosts is readable by ssh-keygen -F.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KnownHosts, fingerprint, hostPattern, keyType } from '../../src/cli/known-hosts.js';
import { generateEd25519KeyPair } from '../../src/netconf/host-key.js';

const dir = mkdtempSync(join(tmpdir(), 'bmpd-cli-known-hosts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function blobOf(publicKey: string): Buffer {
  return Buffer.from(publicKey.split(' ')[1]!, 'base64');
}

describe('known hosts', () => {
  const key = blobOf(generateEd25519KeyPair().publicKey);
  const other = blobOf(generateEd25519KeyPair().publicKey);

  it('knows a key once added, tells a changed key from an unknown host, per host and port', async () => {
    const hosts = new KnownHosts(join(dir, 'sub', 'known_hosts'));
    expect(await hosts.check('127.0.0.1', 8830, key)).toBe('unknown');
    await hosts.add('127.0.0.1', 8830, key);
    expect(await hosts.check('127.0.0.1', 8830, key)).toBe('known');
    expect(await hosts.check('127.0.0.1', 8830, other)).toBe('changed');
    expect(await hosts.check('127.0.0.1', 830, key)).toBe('unknown');
    expect(readFileSync(hosts.file, 'utf8')).toBe(`[127.0.0.1]:8830 ssh-ed25519 ${key.toString('base64')}\n`);
  });

  it('writes lines and fingerprints that OpenSSH reads the same way', async () => {
    const hosts = new KnownHosts(join(dir, 'openssh'));
    await hosts.add('127.0.0.1', 8830, key);
    const found = execFileSync('ssh-keygen', ['-l', '-F', '[127.0.0.1]:8830', '-f', hosts.file], { encoding: 'utf8' });
    expect(found).toContain(fingerprint(key));
    expect(keyType(key)).toBe('ssh-ed25519');
    expect(hostPattern('10.0.0.1', 22)).toBe('10.0.0.1');
  });
});
