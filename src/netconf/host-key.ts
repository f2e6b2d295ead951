/**
 * The SSH host key: created on first start in stateDir/ssh_host_key (mode
 * 0600, OpenSSH format) and reused afterwards, so clients that pinned it keep
 * trusting the agent across restarts. Ed25519: every client in use (paramiko
 * for ncclient/Ansible, libssh2 for yangcli, OpenSSH) accepts it.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ssh2 from 'ssh2';

export const HOST_KEY_FILE = 'ssh_host_key';

export interface HostKey {
  /** Private key text as ssh2's Server wants it. */
  privateKey: string;
  /** OpenSSH public key line. */
  publicKey: string;
  /** `SHA256:...` as ssh-keygen -l prints it. */
  fingerprint: string;
  path: string;
  created: boolean;
}

export class HostKeyError extends Error {
  override readonly name = 'HostKeyError';
}

export async function loadOrCreateHostKey(stateDir: string, warn?: (message: string) => void): Promise<HostKey> {
  const path = join(stateDir, HOST_KEY_FILE);
  let privateKey: string;
  let created = false;
  try {
    privateKey = await readFile(path, 'utf8');
    const mode = (await stat(path)).mode & 0o777;
    if ((mode & 0o077) !== 0) warn?.(`${path} is readable by others (mode ${mode.toString(8)}); should be 0600`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'bmpd host key' });
    privateKey = pair.private;
    // 'wx': never overwrite a key another process created in the meantime.
    await writeFile(path, privateKey, { mode: 0o600, flag: 'wx' });
    await chmod(path, 0o600);
    created = true;
  }
  const parsed = ssh2.utils.parseKey(privateKey);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key === undefined || key instanceof Error || !key.isPrivateKey()) {
    throw new HostKeyError(
      `${path} is not a private key ssh2 can use (${key instanceof Error ? key.message : 'no private key'}); ` +
        'remove it to have a new one generated',
    );
  }
  const blob = key.getPublicSSH();
  return {
    privateKey,
    publicKey: `${key.type} ${blob.toString('base64')}`,
    fingerprint: `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`,
    path,
    created,
  };
}
