#!/usr/bin/env node
// bmpd: the agent process. Parses its options, loads the YANG model, opens
// the datastores from the state directory, brings the BGP speaker and BMP
// engine up from startup (in their own worker thread, src/dataplane/), and
// serves NETCONF over SSH until SIGTERM or SIGINT; then it shuts down cleanly (Termination to BMP servers, Cease to
// neighbors, sessions closed, startup untouched). SIGHUP re-reads the users
// file (after bmpd-adduser): new logins use it, open sessions stay.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { CorruptStartupError } from './datastore/startup-file.js';
import { Agent, type AgentOptions } from './agent/agent.js';
import { DEFAULT_DATA_PLANE_NICE } from './dataplane/thread-priority.js';
import { DEFAULT_EVALUATION_TIMEOUT_MS, DEFAULT_EVALUATION_WORKERS, DEFAULT_WRITE_TIMEOUT_MS } from './netconf/evaluation-pool.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from './netconf/framing.js';
import {
  AuthThrottle, DEFAULT_PER_SOURCE_STARTUPS, DEFAULT_TOTAL_STARTUPS, StartupLimiter, parseStartupLimit, type StartupLimit,
} from './netconf/ssh-preauth.js';
import { DEFAULT_XML_LIMITS } from './netconf/xml.js';
import { loadYangModel } from './yang/model.js';

const USAGE = `usage: bmpd [options]
  --state-dir DIR         startup datastore, SSH host key, users file (default ./state)
  --netconf-address ADDR  NETCONF/SSH listen address (default 127.0.0.1)
  --netconf-port PORT     NETCONF/SSH port (default 830)
  --log-level LEVEL       fatal|error|warn|info|debug|trace (default info)
  --data-plane MODE       worker: BGP and BMP in their own thread (default); inline: on the NETCONF thread
  --data-plane-nice N     run the data plane's thread N nice levels below NETCONF's, 0..19, so NETCONF gets the CPU first (default 5)
Limits on what one NETCONF client may cost (README "Reliability"):
  --netconf-max-message-bytes N   largest message (default 33554432, 32 MiB)
  --netconf-max-depth N           deepest element nesting in a message (default 64)
  --netconf-max-attributes N      attributes on one element (default 64)
  --netconf-max-elements N        elements in one message (default 2000000)
  --netconf-eval-timeout S        time limit of one <get>/<get-config> evaluation, seconds (default 10)
  --netconf-eval-workers N        worker threads evaluating <get>/<get-config>, large writes and validations (default 3;
                                  writes and validations take one at a time, and the last idle one only after waiting --netconf-eval-timeout)
  --netconf-write-timeout S       time limit of a large write's parse, edit and validation (1 MiB and more), and of a
                                  datastore's whole validation (validate, a commit after test-option=set), made in a worker, seconds (default 60)
  --netconf-max-startups S:R:F    unauthenticated SSH connections in total, as OpenSSH MaxStartups (default 10:30:100)
  --netconf-per-source-startups S:R:F  the same from one source address (default 4:50:8)
  --netconf-login-failures N      failed logins of one user from one address in 60 s that block it for 60 s (default 5)
  --netconf-source-login-failures N  failed logins from one address in 60 s that block it for 60 s (default 20)
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
        'data-plane': { type: 'string', default: 'worker' },
        'data-plane-nice': { type: 'string', default: String(DEFAULT_DATA_PLANE_NICE) },
        'netconf-max-message-bytes': { type: 'string' },
        'netconf-max-depth': { type: 'string' },
        'netconf-max-attributes': { type: 'string' },
        'netconf-max-elements': { type: 'string' },
        'netconf-eval-timeout': { type: 'string' },
        'netconf-write-timeout': { type: 'string' },
        'netconf-eval-workers': { type: 'string' },
        'netconf-max-startups': { type: 'string' },
        'netconf-per-source-startups': { type: 'string' },
        'netconf-login-failures': { type: 'string' },
        'netconf-source-login-failures': { type: 'string' },
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
  const dataPlane = values['data-plane']!;
  if (dataPlane !== 'worker' && dataPlane !== 'inline') fail(`--data-plane must be worker or inline, not '${dataPlane}'`);
  // Relative to the agent's own nice value, and only downward in priority: upward needs CAP_SYS_NICE.
  const dataPlaneNice = Number(values['data-plane-nice']);
  if (!Number.isInteger(dataPlaneNice) || dataPlaneNice < 0 || dataPlaneNice > 19) fail(`--data-plane-nice must be 0..19, not '${values['data-plane-nice']}'`);
  const limits = netconfLimits(values);
  const stateDir = resolve(values['state-dir']!);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });

  // One write(2) per line, as the data plane's thread writes its own (src/dataplane/worker.ts):
  // lines from the two threads never split each other on the shared stdout.
  const logger = pino({ level, base: { pid: process.pid } }, pino.destination({ fd: 1, sync: true }));
  const model = await loadYangModel();
  let agent: Agent;
  try {
    agent = await Agent.start({ model, stateDir, netconfAddress: values['netconf-address']!, netconfPort: port, logger, netconf: limits, dataPlane, dataPlaneNice });
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

/** A positive integer option, or its default. */
function count(values: Record<string, unknown>, name: string, fallback: number): number {
  const text = values[name];
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a positive integer, not '${String(text)}'`);
  return n;
}

function startupLimit(values: Record<string, unknown>, name: string, fallback: StartupLimit): StartupLimit {
  const text = values[name];
  if (text === undefined) return fallback;
  try {
    return parseStartupLimit(String(text));
  } catch (err) {
    fail(`--${name}: ${(err as Error).message}`);
  }
}

function netconfLimits(values: Record<string, unknown>): NonNullable<AgentOptions['netconf']> {
  return {
    server: {
      maxMessageBytes: count(values, 'netconf-max-message-bytes', DEFAULT_MAX_MESSAGE_BYTES),
      xmlLimits: {
        maxDepth: count(values, 'netconf-max-depth', DEFAULT_XML_LIMITS.maxDepth),
        maxAttributesPerElement: count(values, 'netconf-max-attributes', DEFAULT_XML_LIMITS.maxAttributesPerElement),
        maxElements: count(values, 'netconf-max-elements', DEFAULT_XML_LIMITS.maxElements),
      },
      startups: new StartupLimiter({
        total: startupLimit(values, 'netconf-max-startups', DEFAULT_TOTAL_STARTUPS),
        perSource: startupLimit(values, 'netconf-per-source-startups', DEFAULT_PER_SOURCE_STARTUPS),
      }),
      authThrottle: new AuthThrottle({
        maxFailuresPerUser: count(values, 'netconf-login-failures', 5),
        maxFailuresPerSource: count(values, 'netconf-source-login-failures', 20),
      }),
    },
    evaluation: {
      timeoutMs: count(values, 'netconf-eval-timeout', DEFAULT_EVALUATION_TIMEOUT_MS / 1000) * 1000,
      workers: count(values, 'netconf-eval-workers', DEFAULT_EVALUATION_WORKERS),
      writeTimeoutMs: count(values, 'netconf-write-timeout', DEFAULT_WRITE_TIMEOUT_MS / 1000) * 1000,
    },
  };
}

void main();
