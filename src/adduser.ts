#!/usr/bin/env node
// bmpd-adduser: adds or updates a NETCONF user in the state directory's
// users.json (scrypt-salted password hash and/or SSH public keys). The
// running agent reads the file at start.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { addUser } from './netconf/users.js';

const USAGE = `usage: bmpd-adduser --name NAME [--state-dir DIR] [--password-stdin] [--key FILE]... [--group G]...
  --state-dir DIR    the agent's state directory (default ./state)
  --password-stdin   read the password from the first line of standard input
  --key FILE         an OpenSSH public key file (ssh-ed25519/ssh-rsa/ecdsa line); repeatable
  --group G          NACM group; repeatable`;

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
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`bmpd-adduser: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) { process.stdout.write(`${USAGE}\n`); return 0; }
  if (!values.name) { process.stderr.write(`bmpd-adduser: --name is required\n${USAGE}\n`); return 2; }
  if (!values['password-stdin'] && !values.key) {
    process.stderr.write('bmpd-adduser: give --password-stdin and/or --key, or the user cannot log in\n');
    return 2;
  }
  const password = values['password-stdin'] ? readFileSync(0, 'utf8').split('\n')[0] : undefined;
  if (password !== undefined && password.length < 8) {
    process.stderr.write('bmpd-adduser: the password must have at least 8 characters\n');
    return 2;
  }
  const keys = (values.key ?? []).map((file) => readFileSync(file, 'utf8').trim().split('\n')[0]!.trim());
  const stateDir = resolve(values['state-dir']!);
  await addUser({
    stateDir,
    name: values.name,
    ...(password !== undefined ? { password } : {}),
    ...(keys.length > 0 ? { authorizedKeys: keys } : {}),
    ...(values.group ? { groups: values.group } : {}),
  });
  process.stdout.write(`bmpd-adduser: user ${values.name} saved in ${stateDir}/users.json; send the agent SIGHUP (or restart it) to use it\n`);
  return 0;
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  process.stderr.write(`bmpd-adduser: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
