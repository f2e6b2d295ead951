/**
 * NETCONF users: the operator-owned users file (stateDir/users.json) with
 * scrypt password hashes, SSH authorized keys and NACM groups.
 *
 *   { "users": [ { "name": "alice",
 *                  "passwordHash": "scrypt$16384$8$1$<salt b64>$<hash b64>",
 *                  "authorizedKeys": ["ssh-ed25519 AAAA... alice@host"],
 *                  "groups": ["admin"],
 *                  "recovery": false } ] }
 *
 * groups are NACM groups (RFC 8341 external groups); recovery marks a user
 * whose sessions NACM never restricts (RFC 8341 §3.4.1), the way back in when
 * the rules under /nacm lock everyone out.
 *
 * SPEC §4 security: without a users file the server only starts when it listens
 * on loopback, and then with an in-memory admin/admin user (never written to
 * disk, so it cannot follow the agent onto a public address later).
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';

export const USERS_FILE = 'users.json';

export interface UserRecord {
  name: string;
  /** `scrypt$N$r$p$salt$hash`, salt and hash base64. Absent: no password login. */
  passwordHash?: string;
  /** OpenSSH public key lines (`type base64 [comment]`). */
  authorizedKeys?: string[];
  groups?: string[];
  /** RFC 8341 §3.4.1 recovery session: NACM does not apply to this user. */
  recovery?: boolean;
}

export interface UsersFile {
  users: UserRecord[];
}

export class UsersFileError extends Error {
  override readonly name = 'UsersFileError';
}

const SCRYPT_DEFAULTS = { N: 16384, r: 8, p: 1, keyLength: 32, saltLength: 16 };

function scrypt(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(password, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Hash a password for the users file. */
export async function hashPassword(password: string): Promise<string> {
  const { N, r, p, keyLength, saltLength } = SCRYPT_DEFAULTS;
  const salt = randomBytes(saltLength);
  const hash = await scrypt(password, salt, keyLength, { N, r, p, maxmem: 256 * N * r });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

interface ScryptHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function parseScryptHash(encoded: string): ScryptHash | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const salt = Buffer.from(parts[4]!, 'base64');
  const hash = Buffer.from(parts[5]!, 'base64');
  const sane =
    Number.isInteger(N) && N >= 2 && N <= 1 << 20 && (N & (N - 1)) === 0 &&
    Number.isInteger(r) && r >= 1 && r <= 32 && Number.isInteger(p) && p >= 1 && p <= 16 &&
    salt.length >= 8 && hash.length >= 16 && hash.length <= 64;
  return sane ? { N, r, p, salt, hash } : undefined;
}

/** Timing-safe check of a password against a `scrypt$...` hash. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parseScryptHash(encoded);
  if (parsed === undefined) return false;
  const { N, r, p, salt, hash } = parsed;
  const candidate = await scrypt(password, salt, hash.length, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
  return timingSafeEqual(candidate, hash);
}

export interface AuthenticatedUser {
  name: string;
  groups: readonly string[];
  /** NACM never restricts this user's sessions (the loopback default admin, or marked in the users file). */
  recovery: boolean;
}

interface LoadedUser {
  record: UserRecord;
  keys: ParsedKey[];
}

export interface LoadUsersOptions {
  stateDir: string;
  /** The NETCONF listen address; decides whether a missing users file is acceptable. */
  listenAddress: string;
  /** Called once when the loopback-only default user is created. */
  warn?: (message: string) => void;
}

export class UserStore {
  private readonly users: Map<string, LoadedUser>;
  /** A hash to burn the same time for unknown user names as for known ones. */
  private static dummyHash: Promise<string> | undefined;

  private constructor(
    users: LoadedUser[],
    readonly source: 'file' | 'loopback-default',
  ) {
    this.users = new Map(users.map((u) => [u.record.name, u]));
  }

  static async load(options: LoadUsersOptions): Promise<UserStore> {
    const path = join(options.stateDir, USERS_FILE);
    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text === undefined) {
      if (!isLoopbackAddress(options.listenAddress)) {
        throw new UsersFileError(
          `no users file at ${path} and NETCONF would listen on ${options.listenAddress}, beyond loopback: ` +
            'refusing to start with a default password. Create users with bmpd-adduser first.',
        );
      }
      options.warn?.(
        `no users file at ${path}: NETCONF on loopback ${options.listenAddress} accepts the default user admin/admin ` +
          '(kept in memory only). Create a users file before exposing the agent.',
      );
      // SPEC §4: this bootstrapped admin is the recovery session.
      return new UserStore([{ record: { name: 'admin', passwordHash: await hashPassword('admin'), groups: ['admin'], recovery: true }, keys: [] }],
        'loopback-default');
    }
    return new UserStore(parseUsersFile(text, path), 'file');
  }

  /** For tests and embedding: a store from records already in memory. */
  static fromRecords(records: UserRecord[]): UserStore {
    return new UserStore(parseUsersFile(JSON.stringify({ users: records }), '(memory)'), 'file');
  }

  has(name: string): boolean {
    return this.users.has(name);
  }

  names(): string[] {
    return [...this.users.keys()];
  }

  async checkPassword(name: string, password: string): Promise<AuthenticatedUser | undefined> {
    const user = this.users.get(name);
    const hash = user?.record.passwordHash;
    if (user === undefined || hash === undefined) {
      UserStore.dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
      await verifyPassword(password, await UserStore.dummyHash);
      return undefined;
    }
    return (await verifyPassword(password, hash)) ? authenticated(user.record) : undefined;
  }

  /** The user's authorized key matching the offered public key blob (SSH wire format), if any. */
  authorizedKey(name: string, algorithm: string, publicKeyBlob: Buffer): ParsedKey | undefined {
    const user = this.users.get(name);
    if (user === undefined) return undefined;
    return user.keys.find((key) => sameKeyType(key.type, algorithm) && key.getPublicSSH().equals(publicKeyBlob));
  }

  user(name: string): AuthenticatedUser | undefined {
    const user = this.users.get(name);
    return user === undefined ? undefined : authenticated(user.record);
  }
}

// ssh2 reports RSA keys as 'ssh-rsa' even when the client signs with rsa-sha2-256/512.
function sameKeyType(stored: string, offered: string): boolean {
  const rsa = (t: string) => t === 'ssh-rsa' || t === 'rsa-sha2-256' || t === 'rsa-sha2-512';
  return stored === offered || (rsa(stored) && rsa(offered));
}

function authenticated(record: UserRecord): AuthenticatedUser {
  return { name: record.name, groups: [...(record.groups ?? [])], recovery: record.recovery === true };
}

function parseUsersFile(text: string, path: string): LoadedUser[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsersFileError(`${path}: not JSON (${(err as Error).message})`);
  }
  const users = (data as UsersFile | null)?.users;
  if (!Array.isArray(users)) throw new UsersFileError(`${path}: expected {"users": [...]}`);
  const seen = new Set<string>();
  return users.map((record: UserRecord, index) => {
    const where = `${path}: users[${index}]`;
    if (typeof record?.name !== 'string' || record.name === '') throw new UsersFileError(`${where}: name missing`);
    if (seen.has(record.name)) throw new UsersFileError(`${where}: user ${record.name} listed twice`);
    seen.add(record.name);
    if (record.passwordHash !== undefined && parseScryptHash(record.passwordHash) === undefined) {
      throw new UsersFileError(`${where}: passwordHash is not scrypt$N$r$p$salt$hash`);
    }
    const keys = (record.authorizedKeys ?? []).map((line, k) => {
      const parsed = ssh2.utils.parseKey(line);
      const key = Array.isArray(parsed) ? parsed[0] : parsed;
      if (key === undefined || key instanceof Error) {
        throw new UsersFileError(`${where}.authorizedKeys[${k}]: ${key instanceof Error ? key.message : 'no key'}`);
      }
      return key;
    });
    if (record.groups !== undefined && !(Array.isArray(record.groups) && record.groups.every((g) => typeof g === 'string'))) {
      throw new UsersFileError(`${where}: groups must be a list of strings`);
    }
    if (record.recovery !== undefined && typeof record.recovery !== 'boolean') throw new UsersFileError(`${where}: recovery must be true or false`);
    return { record, keys };
  });
}

export function isLoopbackAddress(address: string): boolean {
  if (address === 'localhost') return true;
  const family = isIP(address);
  if (family === 4) return address.startsWith('127.');
  if (family === 6) {
    const lower = address.toLowerCase();
    return lower === '::1' || lower === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(lower);
  }
  return false;
}

export interface AddUserOptions {
  stateDir: string;
  name: string;
  password?: string;
  /** Replaces the user's keys ([] removes them). */
  authorizedKeys?: string[];
  /** Replaces the user's groups ([] removes them). */
  groups?: string[];
  recovery?: boolean;
}

async function readUsersFile(path: string): Promise<UsersFile> {
  try {
    const text = await readFile(path, 'utf8');
    parseUsersFile(text, path);
    return JSON.parse(text) as UsersFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return { users: [] };
  }
}

/** Written atomically with mode 0600, and only when it loads. */
async function writeUsersFile(stateDir: string, file: UsersFile): Promise<void> {
  const path = join(stateDir, USERS_FILE);
  parseUsersFile(JSON.stringify(file), path); // refuse to write a file we could not load
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}

/**
 * bmpd-adduser: add a user to stateDir/users.json, or update an existing one
 * (a given password, key list, group list or recovery mark replaces the old
 * one). A user left with neither password nor key is refused: it could not log in.
 */
export async function addUser(options: AddUserOptions): Promise<'added' | 'updated'> {
  const path = join(options.stateDir, USERS_FILE);
  const file = await readUsersFile(path);
  const existing = file.users.find((u) => u.name === options.name);
  const record: UserRecord = existing ?? { name: options.name };
  if (options.password !== undefined) record.passwordHash = await hashPassword(options.password);
  if (options.authorizedKeys !== undefined) record.authorizedKeys = options.authorizedKeys;
  if (options.groups !== undefined) record.groups = options.groups;
  if (options.recovery !== undefined) record.recovery = options.recovery;
  if (record.passwordHash === undefined && (record.authorizedKeys ?? []).length === 0) {
    throw new UsersFileError(`user ${options.name} would have neither a password nor a key and could not log in`);
  }
  if (existing === undefined) file.users.push(record);
  await writeUsersFile(options.stateDir, file);
  return existing === undefined ? 'added' : 'updated';
}

/** bmpd-adduser --remove: the user goes from the users file (false: there was none of that name). */
export async function removeUser(stateDir: string, name: string): Promise<boolean> {
  const file = await readUsersFile(join(stateDir, USERS_FILE));
  const kept = file.users.filter((u) => u.name !== name);
  if (kept.length === file.users.length) return false;
  await writeUsersFile(stateDir, { ...file, users: kept });
  return true;
}
