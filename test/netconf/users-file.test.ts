// bmpd-adduser's file operations (src/netconf/users.ts): adding, replacing a
// user's keys, groups and recovery mark, removing, and what a store loaded from
// the file then says about each user.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateEd25519KeyPair } from '../../src/netconf/host-key.js';
import { USERS_FILE, UserStore, UsersFileError, addUser, removeUser } from '../../src/netconf/users.js';

const dirs: string[] = [];
afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

async function stateDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'bmpd-users-'));
  dirs.push(d);
  return d;
}

const load = (dir: string) => UserStore.load({ stateDir: dir, listenAddress: '127.0.0.1' });

describe('users file', () => {
  it('replaces a user\'s keys, groups and recovery mark only where told, and keeps its password', async () => {
    const dir = await stateDir();
    const [k1, k2] = [generateEd25519KeyPair(), generateEd25519KeyPair()];
    expect(await addUser({ stateDir: dir, name: 'ops', password: 'long-password', authorizedKeys: [k1.publicKey], groups: ['operators'] })).toBe('added');
    expect(await addUser({ stateDir: dir, name: 'ops', authorizedKeys: [k2.publicKey] })).toBe('updated');
    await addUser({ stateDir: dir, name: 'ops', groups: ['admin', 'audit'], recovery: true });
    const file = JSON.parse(await readFile(join(dir, USERS_FILE), 'utf8'));
    expect(file.users[0].authorizedKeys).toEqual([k2.publicKey]);
    const store = await load(dir);
    expect(store.user('ops')).toEqual({ name: 'ops', groups: ['admin', 'audit'], recovery: true });
    expect(await store.checkPassword('ops', 'long-password')).toBeDefined();
    await addUser({ stateDir: dir, name: 'ops', authorizedKeys: [], groups: [], recovery: false });
    expect((await load(dir)).user('ops')).toEqual({ name: 'ops', groups: [], recovery: false });
  });

  it('refuses a user that could not log in, and removes users by name', async () => {
    const dir = await stateDir();
    await expect(addUser({ stateDir: dir, name: 'nobody', groups: ['admin'] })).rejects.toBeInstanceOf(UsersFileError);
    await addUser({ stateDir: dir, name: 'a', password: 'long-password' });
    await addUser({ stateDir: dir, name: 'b', password: 'long-password' });
    await expect(addUser({ stateDir: dir, name: 'a', authorizedKeys: [] })).resolves.toBe('updated'); // still has its password
    expect(await removeUser(dir, 'a')).toBe(true);
    expect(await removeUser(dir, 'a')).toBe(false);
    expect((await load(dir)).names()).toEqual(['b']);
  });

  it('the loopback default admin, without a users file, is the recovery user', async () => {
    const store = await load(await stateDir());
    expect(store.source).toBe('loopback-default');
    expect(store.user('admin')).toEqual({ name: 'admin', groups: ['admin'], recovery: true });
  });

  it('a users file with a malformed recovery mark or groups does not load', async () => {
    const dir = await stateDir();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, USERS_FILE), JSON.stringify({ users: [{ name: 'x', recovery: 'yes' }] }));
    await expect(load(dir)).rejects.toThrow(/recovery must be true or false/);
    await writeFile(join(dir, USERS_FILE), JSON.stringify({ users: [{ name: 'x', groups: 'admin' }] }));
    await expect(load(dir)).rejects.toThrow(/groups must be a list of strings/);
  });
});
