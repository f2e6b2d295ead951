#!/usr/bin/env node
// bmpd-cli: the seed document's IOS XE commands, typed at a terminal or fed in batch, carried out
// over NETCONF/SSH against a bmpd agent. Options are ssh's where ssh has one (SPEC §6).
import { readFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import ssh2 from 'ssh2';
import { BMPD_NAMESPACE } from '../agent/oper-state.js';
import { KnownHosts, fingerprint, hostPattern, keyType } from './known-hosts.js';
import { NetconfClient } from './netconf-client.js';
import { CliSession } from './session.js';
import { LineEditor } from './terminal.js';
import { XmlElement } from './xml.js';

const USAGE = `usage: bmpd-cli [options] [-c 'command; command']
  --host HOST              agent address (default 127.0.0.1)
  --port PORT              NETCONF/SSH port (default 830; 'npm start' listens on 8830)
  --user USER              user name (default: your login name)
  --password PW            password (visible to other local users in the process list)
  --password-stdin         read the password from the first line of standard input
  --key FILE               private key (OpenSSH or PEM) instead of a password
  --known-hosts FILE       known host keys (default ~/.config/bmpd/known_hosts)
  --accept-new-host-key    record an unknown host key without asking (ssh's accept-new);
                           a changed key is always refused
  -c 'CMD; CMD'            run these commands and exit (batch)
  -h, --help               this text
Without -c, commands come from standard input when it is not a terminal (batch), else the
session is interactive. Batch runs stop at the first error, with exit status 1.`;

function fail(message: string, code = 2): never {
  process.stderr.write(`bmpd-cli: ${message}\n`);
  process.exit(code);
}

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A question on the terminal (host key); the answer is typed visibly. */
async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    rl.close();
  }
}

/** The password, typed without echo, as ssh asks for it. */
async function askHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  stdin.setRawMode(true);
  // 'data' rather than for-await: leaving a for-await loop destroys the stream the session needs next.
  return new Promise<string>((resolve) => {
    let typed = '';
    const done = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      resolve(typed);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\x03') {
          process.stderr.write('\n');
          process.exit(130);
        }
        if (ch === '\x7f' || ch === '\b') typed = typed.slice(0, -1);
        else if (ch >= ' ') typed += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '830' },
        user: { type: 'string' },
        password: { type: 'string' },
        'password-stdin': { type: 'boolean', default: false },
        key: { type: 'string' },
        'known-hosts': { type: 'string', default: join(homedir(), '.config', 'bmpd', 'known_hosts') },
        'accept-new-host-key': { type: 'boolean', default: false },
        c: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    fail(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const host = values.host!;
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--port must be 1..65535, not '${values.port}'`);
  const user = values.user ?? userInfo().username;
  const credentials = [values.password !== undefined, values['password-stdin'], values.key !== undefined].filter(Boolean).length;
  if (credentials > 1) fail('give one of --password, --password-stdin and --key');

  let stdinText: string | null = null;
  let password = values.password;
  if (values['password-stdin']) {
    stdinText = await readAllStdin();
    const newline = stdinText.indexOf('\n');
    password = (newline < 0 ? stdinText : stdinText.slice(0, newline)).replace(/\r$/, '');
    stdinText = newline < 0 ? '' : stdinText.slice(newline + 1);
  }
  const interactive = values.c === undefined && stdinText === null && process.stdin.isTTY === true;
  let privateKey: Buffer | undefined;
  let passphrase: string | undefined;
  if (values.key !== undefined) {
    try {
      privateKey = await readFile(values.key);
    } catch (err) {
      fail(`cannot read --key ${values.key}: ${(err as Error).message}`);
    }
    const parsed = ssh2.utils.parseKey(privateKey);
    if (parsed instanceof Error) {
      if (!/passphrase/i.test(parsed.message)) fail(`--key ${values.key}: ${parsed.message}`);
      if (process.stdin.isTTY !== true) fail(`--key ${values.key} is encrypted and there is no terminal to ask for its passphrase`);
      passphrase = await askHidden(`Enter passphrase for key '${values.key}': `);
    }
  }
  const prompting = password === undefined && privateKey === undefined;
  if (prompting && process.stdin.isTTY !== true) fail('no password: give --password, --password-stdin or --key (no terminal to ask on)');

  const knownHosts = new KnownHosts(values['known-hosts']!);
  const verifyHostKey = async (blob: Buffer): Promise<boolean> => {
    const status = await knownHosts.check(host, port, blob);
    if (status === 'known') return true;
    const name = hostPattern(host, port);
    if (status === 'changed') {
      process.stderr.write(`bmpd-cli: the host key of ${name} has CHANGED (now ${keyType(blob)} ${fingerprint(blob)}).\n`
        + `Someone could be eavesdropping, or the agent's key was replaced. If you know why, remove its line from ${knownHosts.file}.\n`);
      return false;
    }
    if (!values['accept-new-host-key']) {
      if (!interactive) {
        process.stderr.write(`bmpd-cli: the host key of ${name} is not known (${keyType(blob)} ${fingerprint(blob)}); `
          + `check it and run again with --accept-new-host-key, or connect once interactively.\n`);
        return false;
      }
      const answer = await ask(`The authenticity of host '${name}' can't be established.\n`
        + `${keyType(blob)} key fingerprint is ${fingerprint(blob)}.\nAre you sure you want to continue connecting (yes/no)? `);
      if (answer.trim().toLowerCase() !== 'yes') return false;
    }
    await knownHosts.add(host, port, blob);
    process.stderr.write(`Warning: Permanently added '${name}' (${keyType(blob)}) to the list of known hosts.\n`);
    return true;
  };

  let client: NetconfClient;
  try {
    client = await NetconfClient.connect({
      host, port, username: user, verifyHostKey,
      ...(password !== undefined ? { password } : {}),
      ...(privateKey !== undefined ? { privateKey } : {}),
      ...(passphrase !== undefined ? { passphrase } : {}),
      ...(prompting ? {
        askPassword: async (attempt: number) => {
          if (attempt > 1) process.stderr.write('Permission denied, please try again.\n');
          return askHidden(`${user}@${host}'s password: `);
        },
      } : {}),
      // A person answers the host-key question and types the password within the handshake.
      ...(prompting || interactive ? { timeoutMs: 300_000 } : {}),
    });
  } catch (err) {
    // ssh2 marks a refused login with level 'client-authentication'; ssh says it in these words.
    if ((err as { level?: string }).level === 'client-authentication') fail(`${user}@${host}: Permission denied (wrong user, password or key)`, 1);
    fail(`cannot connect to ${host} port ${port}: ${(err as Error).message}`, 1);
  }

  // The prompt's name is the agent's (its BMP sysName), cut at the first dot as IOS hostnames are.
  let hostname = 'bmpd';
  try {
    const reply = await XmlElement.parse(await client.get(`<agent xmlns="${BMPD_NAMESPACE}"/>`));
    hostname = reply.at('data', 'agent')?.leaf('sys-name')?.split('.')[0] || hostname;
  } catch {
    /* an agent without /agent, or NACM hiding it: the default name will do */
  }

  if (interactive) {
    let editor: LineEditor | null = null;
    const session = new CliSession(client, hostname, { out: (t) => editor!.write(`${t}\n`), err: (t) => editor!.write(`${t}\n`) });
    editor = new LineEditor(session, process.stdin, process.stdout);
    client.onClose((err) => {
      editor!.notice(`% ${err.message}`);
      editor!.end(1);
    });
    const code = await editor.run();
    await client.close();
    process.exit(code);
  }

  const session = new CliSession(client, hostname, {
    out: (t) => process.stdout.write(`${t}\n`),
    err: (t) => process.stderr.write(`${t}\n`),
  });
  const text = values.c !== undefined ? values.c.split(';').map((c) => c.trim()).join('\n') : stdinText ?? (await readAllStdin());
  let code = 0;
  for (const line of text.split(/\r?\n/)) {
    // '!' starts a comment line, as in an IOS configuration file.
    if (line.trim().startsWith('!')) continue;
    const outcome = await session.execute(line, null);
    if (outcome === 'error') {
      code = 1;
      break;
    }
    if (outcome === 'quit') break;
  }
  if (code === 0 && !session.done && session.finish() === 'error') code = 1;
  await client.close();
  process.exit(code);
}

void main();
