/**
 * The SSH host key: created on first start in stateDir/ssh_host_key (mode
 * 0600, OpenSSH format) and reused afterwards, so clients that pinned it keep
 * trusting the agent across restarts. Ed25519: every client in use (paramiko
 * for ncclient/Ansible, libssh2 for yangcli, OpenSSH) accepts it.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
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
    privateKey = generateEd25519KeyPair('bmpd host key').privateKey;
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

/**
 * A fresh Ed25519 key pair in OpenSSH formats (openssh-key-v1 private key,
 * `ssh-ed25519 AAAA... comment` public key), from Node's crypto.
 *
 * Not ssh2.utils.generateKeyPairSync: ssh2 1.17 drops a leading zero byte of
 * the public key (about 1 key in 256), and then cannot parse its own output
 * ("Malformed OpenSSH private key").
 */
export function generateEd25519KeyPair(comment = ''): { privateKey: string; publicKey: string } {
  const { seed, pub } = ed25519RawKeyPair();
  const keyType = sshString(Buffer.from('ssh-ed25519'));
  const publicBlob = Buffer.concat([keyType, sshString(pub)]);
  const check = randomBytes(4);
  let secret = Buffer.concat([
    check,
    check,
    keyType,
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(Buffer.from(comment, 'utf8')),
  ]);
  // Cipher "none" has block size 8; padding bytes are 1, 2, 3, ...
  const padding = (8 - (secret.length % 8)) % 8;
  secret = Buffer.concat([secret, Buffer.from(Array.from({ length: padding }, (_, i) => i + 1))]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString(Buffer.from('none')),
    sshString(Buffer.from('none')),
    sshString(Buffer.alloc(0)),
    uint32(1),
    sshString(publicBlob),
    sshString(secret),
  ]);
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return {
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`,
    publicKey: `ssh-ed25519 ${publicBlob.toString('base64')}${comment ? ` ${comment}` : ''}`,
  };
}

/** DER of an Ed25519 PKCS#8 PrivateKeyInfo (RFC 8410 §7) up to its 32-byte seed, and of an SPKI up to its 32-byte key. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * A fresh Ed25519 seed and public key, from Node's crypto.
 *
 * The key generation job encodes both as DER itself, so no KeyObject is ever exported: Node 20's
 * JWK export of an Ed25519 KeyObject (`export({ format: 'jwk' })`) holds the key's mutex while it
 * allocates the result, and a garbage collection in that allocation may destroy the key
 * generation job that made the key, whose destructor takes the same mutex. The thread then waits
 * on itself for ever (seen as a test process stuck in a futex with that stack, about once in a
 * few thousand keys).
 */
export function ed25519RawKeyPair(): { seed: Buffer; pub: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519', {
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
    publicKeyEncoding: { type: 'spki', format: 'der' },
  });
  return {
    seed: derTail(privateKey, PKCS8_ED25519_PREFIX, 'private'),
    pub: derTail(publicKey, SPKI_ED25519_PREFIX, 'public'),
  };
}

function derTail(der: Buffer, prefix: Buffer, what: string): Buffer {
  if (der.length !== prefix.length + 32 || !der.subarray(0, prefix.length).equals(prefix)) {
    throw new Error(`unexpected DER encoding of an Ed25519 ${what} key (${der.length} bytes)`);
  }
  return Buffer.from(der.subarray(prefix.length));
}

function uint32(value: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeUInt32BE(value);
  return buf;
}

function sshString(data: Buffer): Buffer {
  return Buffer.concat([uint32(data.length), data]);
}
