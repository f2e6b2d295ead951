#!/usr/bin/env node
// bmpd-adduser: adds, updates or removes a NETCONF user in the state
// directory's users.json (scrypt-salted password hash, SSH public keys, NACM
// groups, the recovery mark). A running agent reads the file again on SIGHUP.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { addUser, removeUser } from './netconf/users.js';

const USAGE = `usage: bmpd-adduser --name NAME [--state-dir DIR] [--password-stdin] [--key FILE]... [--group G]...
                    [--no-keys] [--no-groups] [--recovery on|off]
       bmpd-adduser --name NAME [--state-dir DIR] --remove
  --state-dir DIR    the agent's state directory (default ./state)
  --password-stdin   read the password from the first line of standard input
  --key FILE         an OpenSSH public key file (ssh-ed25519/ssh-rsa/ecdsa line); repeatable;
                     replaces the user's keys
  --group G          NACM group (RFC 8341 external group); repeatable; replaces the user's groups
  --no-keys          remove the user's keys (it keeps its password)
  --no-groups        remove the user's groups
  --recovery on|off  NACM never restricts a recovery user's sessions (RFC 8341 section 3.4.1)
  --remove           remove the user; the agent ends its sessions on SIGHUP
Options not given leave an existing user's password, keys, groups and recovery mark as they are.`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        name: { type: 'string' },
        'state-dir': { type: 'string', default: 'state' },
        'password-stdin': { type: 'boolean', default: false },
        key: { type: 'string', multiple: true },
        group: { type: 'string', multiple: true },
        'no-keys': { type: 'boolean', default: false },
        'no-groups': { type: 'boolean', default: false },
        recovery: { type: 'string' },
        remove: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`bmpd-adduser: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) { process.stdout.write(`${USAGE}\n`); return 0; }
  const usage = (message: string) => { process.stderr.write(`bmpd-adduser: ${message}\n${USAGE}\n`); return 2; };
  if (!values.name) return usage('--name is required');
  const stateDir = resolve(values['state-dir']!);
  const changes = values['password-stdin'] || values.key !== undefined || values.group !== undefined || values['no-keys'] || values['no-groups']
    || values.recovery !== undefined;
  if (values.remove) {
    if (changes) return usage('--remove takes no other option than --state-dir');
    if (!(await removeUser(stateDir, values.name))) {
      process.stderr.write(`bmpd-adduser: there is no user ${values.name} in ${stateDir}/users.json\n`);
      return 1;
    }
    process.stdout.write(`bmpd-adduser: user ${values.name} removed from ${stateDir}/users.json; send the agent SIGHUP to end its sessions\n`);
    return 0;
  }
  if (!changes) return usage('nothing to change: give --password-stdin, --key, --group, --no-keys, --no-groups or --recovery');
  if (values.key !== undefined && values['no-keys']) return usage('--key and --no-keys contradict each other');
  if (values.group !== undefined && values['no-groups']) return usage('--group and --no-groups contradict each other');
  if (values.recovery !== undefined && values.recovery !== 'on' && values.recovery !== 'off') return usage('--recovery takes on or off');
  const password = values['password-stdin'] ? readFileSync(0, 'utf8').split('\n')[0] : undefined;
  if (password !== undefined && password.length < 8) {
    process.stderr.write('bmpd-adduser: the password must have at least 8 characters\n');
    return 2;
  }
  const keys = values['no-keys'] ? [] : values.key?.map((file) => readFileSync(file, 'utf8').trim().split('\n')[0]!.trim());
  const groups = values['no-groups'] ? [] : values.group;
  const outcome = await addUser({
    stateDir,
    name: values.name,
    ...(password !== undefined ? { password } : {}),
    ...(keys !== undefined ? { authorizedKeys: keys } : {}),
    ...(groups !== undefined ? { groups } : {}),
    ...(values.recovery !== undefined ? { recovery: values.recovery === 'on' } : {}),
  });
  process.stdout.write(`bmpd-adduser: user ${values.name} ${outcome} in ${stateDir}/users.json; send the agent SIGHUP (or restart it) to use it\n`);
  return 0;
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  process.stderr.write(`bmpd-adduser: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
