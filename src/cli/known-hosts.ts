// Host-key checking as OpenSSH does it (known_hosts, "[host]:port" for ports other than 22), so an
// operator reads and edits bmpd-cli's file like ssh's. First use: accepted with
// --accept-new-host-key (StrictHostKeyChecking=accept-new), asked about on a terminal, refused in
// batch. A key that differs from the recorded one is always refused.
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export type HostKeyStatus = 'known' | 'unknown' | 'changed';

/** The name OpenSSH records: the bare host for port 22, else "[host]:port". */
export function hostPattern(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** RFC 4253 §6.6: the key blob starts with its algorithm name as an SSH string. */
export function keyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const length = blob.readUInt32BE(0);
  return length > 0 && 4 + length <= blob.length ? blob.subarray(4, 4 + length).toString('latin1') : 'unknown';
}

/** OpenSSH's fingerprint form: SHA256:<base64 without padding>. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export class KnownHosts {
  constructor(readonly file: string) {}

  async check(host: string, port: number, blob: Buffer): Promise<HostKeyStatus> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'unknown';
      throw err;
    }
    const name = hostPattern(host, port);
    const type = keyType(blob);
    const wanted = blob.toString('base64');
    let sawOtherKey = false;
    for (const line of text.split('\n')) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 3 || fields[0]!.startsWith('#')) continue;
      if (!fields[0]!.split(',').includes(name)) continue;
      if (fields[1] === type && fields[2] === wanted) return 'known';
      if (fields[1] === type) sawOtherKey = true;
    }
    return sawOtherKey ? 'changed' : 'unknown';
  }

  async add(host: string, port: number, blob: Buffer): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    await appendFile(this.file, `${hostPattern(host, port)} ${keyType(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 });
  }
}
