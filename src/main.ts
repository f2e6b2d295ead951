#!/usr/bin/env node
// bmpd: the agent process. Parses its options, loads the YANG model, opens
// the datastores from the state directory, brings the BGP speaker and BMP
// engine up from startup, and serves NETCONF over SSH until SIGTERM or
// SIGINT; then it shuts down cleanly (Termination to BMP servers, Cease to
// neighbors, sessions closed, startup untouched). SIGHUP re-reads the users
// file (after bmpd-adduser): new logins use it, open sessions stay.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { CorruptStartupError } from './datastore/startup-file.js';
import { Agent } from './agent/agent.js';
import { loadYangModel } from './yang/model.js';

const USAGE = `usage: bmpd [options]
  --state-dir DIR         startup datastore, SSH host key, users file (default ./state)
  --netconf-address ADDR  NETCONF/SSH listen address (default 127.0.0.1)
  --netconf-port PORT     NETCONF/SSH port (default 830)
  --log-level LEVEL       fatal|error|warn|info|debug|trace (default info)
  -h, --help              this text`;

function fail(message: string): never {
  process.stderr.write(`bmpd: ${message}\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        'state-dir': { type: 'string', default: 'state' },
        'netconf-address': { type: 'string', default: '127.0.0.1' },
        'netconf-port': { type: 'string', default: '830' },
        'log-level': { type: 'string', default: 'info' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = Number(values['netconf-port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--netconf-port must be 0..65535, not '${values['netconf-port']}'`);
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];
  const level = values['log-level']!;
  if (!levels.includes(level)) fail(`--log-level must be one of ${levels.join(', ')}`);
  const stateDir = resolve(values['state-dir']!);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });

  const logger = pino({ level, base: { pid: process.pid } });
  const model = await loadYangModel();
  let agent: Agent;
  try {
    agent = await Agent.start({ model, stateDir, netconfAddress: values['netconf-address']!, netconfPort: port, logger });
  } catch (err) {
    if (err instanceof CorruptStartupError) {
      logger.fatal({ file: err.file }, err.message);
      process.exit(1);
    }
    logger.fatal({ err }, `bmpd cannot start: ${(err as Error).message}`);
    process.exit(1);
  }
  const server = agent.service.server;
  logger.info({ stateDir, address: server.address(), port: server.port() }, 'bmpd ready');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'bmpd stopping');
    agent.stop().then(
      () => { logger.info('bmpd stopped'); process.exit(0); },
      (err: unknown) => { logger.error({ err }, 'bmpd stop failed'); process.exit(1); },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // A users file that does not parse keeps the users in force, and says why.
  process.on('SIGHUP', () => {
    if (stopping) return;
    server.reloadUsers().catch((err: unknown) => logger.error({ err }, `users file not reloaded, the previous users stay: ${(err as Error).message}`));
  });
}

void main();
