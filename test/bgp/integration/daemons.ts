// Starts the third-party BGP daemons the integration tests talk to (Debian's gobgpd, FRR bgpd,
// exabgp), each in its own temporary directory, and stops them by pid. Loopback only.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Daemon {
  readonly name: string;
  readonly pid: number;
  readonly dir: string;
  /** SIGTERM, SIGKILL after 3 s; resolves when the process is gone. */
  stop(): Promise<void>;
  log(): string;
}

/** A TCP port on `host` that nothing listens on now (the kernel's pick, released at once). */
export async function freePort(host: string): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, host, resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `bmpd-${prefix}-`));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function killPid(pid: number, graceMs = 3000): Promise<void> {
  if (!alive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  if (alive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    while (alive(pid)) await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` every `intervalMs` until it returns something truthy, failing with `what` after timeoutMs. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

function spawnDaemon(name: string, dir: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): Daemon {
  const logFile = path.join(dir, `${name}.log`);
  writeFileSync(logFile, '');
  const child: ChildProcess = spawn(command, args, {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: false,
  });
  const chunks: string[] = [];
  child.stdout?.on('data', (d: Buffer) => chunks.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => chunks.push(d.toString()));
  if (child.pid === undefined) throw new Error(`${command} did not start`);
  const pid = child.pid;
  return {
    name,
    pid,
    dir,
    stop: () => killPid(pid),
    log: () => chunks.join(''),
  };
}

// ---------------------------------------------------------------------------- gobgpd

export interface GobgpdOptions {
  readonly dir: string;
  readonly toml: string;
  /** gRPC API, host:port (unique per test file). */
  readonly api: string;
  /** 'debug' also logs each connection attempt and why it failed. Default 'info'. */
  readonly logLevel?: 'info' | 'debug';
}

/** One BGP neighbor in gobgpd's TOML. */
export interface GobgpdNeighbor {
  readonly address: string;
  readonly peerAs: number;
  readonly localAddress: string;
  /** The neighbor's port when it is not 179 (a lab peer on a high port). */
  readonly remotePort?: number;
  readonly families?: readonly ('ipv4-unicast' | 'ipv6-unicast')[];
}

/** gobgpd's configuration for the tests: its identity and neighbors, connect-retry 1 s. */
export function gobgpdToml(global: { as: number; routerId: string; port: number; localAddresses: readonly string[] }, neighbors: readonly GobgpdNeighbor[]): string {
  const head = `[global.config]
  as = ${global.as}
  router-id = "${global.routerId}"
  port = ${global.port}
  local-address-list = [${global.localAddresses.map((a) => `"${a}"`).join(', ')}]
`;
  return head + neighbors.map((n) => `
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${n.address}"
    peer-as = ${n.peerAs}
  [neighbors.transport.config]
    local-address = "${n.localAddress}"${n.remotePort !== undefined ? `
    remote-port = ${n.remotePort}` : ''}
  [neighbors.timers.config]
    connect-retry = 1
${(n.families ?? ['ipv4-unicast']).map((f) => `  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "${f}"
`).join('')}`).join('');
}

export async function startGobgpd(options: GobgpdOptions): Promise<Daemon> {
  const conf = path.join(options.dir, 'gobgpd.toml');
  writeFileSync(conf, options.toml);
  const daemon = spawnDaemon('gobgpd', options.dir, 'gobgpd', ['-f', conf, '-p', '-l', options.logLevel ?? 'info', '--api-hosts', options.api, '--pprof-disable']);
  try {
    await waitFor('gobgpd API', async () => (await gobgp(options.api, ['global']).then(() => true, () => false)) || null, 20_000);
  } catch (err) {
    await daemon.stop();
    throw new Error(`${(err as Error).message}\n${daemon.log()}`);
  }
  return daemon;
}

export async function gobgp(api: string, args: readonly string[]): Promise<string> {
  const [host, port] = splitHostPort(api);
  const { stdout } = await run('gobgp', ['-u', host, '-p', port, ...args], { timeout: 20_000 });
  return stdout;
}

function splitHostPort(api: string): [string, string] {
  const i = api.lastIndexOf(':');
  return [api.slice(0, i), api.slice(i + 1)];
}

// ---------------------------------------------------------------------------- FRR bgpd

export interface FrrOptions {
  readonly dir: string;
  readonly conf: string;
  /** Addresses bgpd listens on (-l, repeatable) and its BGP port (-p). */
  readonly listen: readonly string[];
  readonly port: number;
}

export interface FrrDaemon extends Daemon {
  vtysh(commands: readonly string[]): Promise<string>;
}

/**
 * FRR bgpd standalone: -Z (no zebra), -S (stay root), its own vty socket directory so it never
 * meets a system FRR; it daemonizes (-d) and writes its pid to -i.
 */
export async function startFrrBgpd(options: FrrOptions): Promise<FrrDaemon> {
  const conf = path.join(options.dir, 'bgpd.conf');
  const pidFile = path.join(options.dir, 'bgpd.pid');
  const vty = path.join(options.dir, 'run');
  rmSync(vty, { recursive: true, force: true });
  await run('mkdir', ['-p', vty]);
  writeFileSync(conf, options.conf);
  const listen = options.listen.flatMap((a) => ['-l', a]);
  await run('/usr/lib/frr/bgpd', [
    '-d', '-Z', '-S', ...listen, '-p', String(options.port), '-f', conf, '-i', pidFile,
    '--vty_socket', vty, '-z', path.join(vty, 'zserv.api'), '--log', `file:${path.join(options.dir, 'bgpd.log')}`,
  ]);
  const pid = await waitFor('FRR bgpd pid file', () => {
    try {
      const text = readFileSync(pidFile, 'utf8').trim();
      return text ? Number(text) : null;
    } catch {
      return null;
    }
  }, 10_000);
  const vtysh = async (commands: readonly string[]): Promise<string> => {
    const { stdout } = await run('vtysh', ['--vty_socket', vty, '-d', 'bgpd', ...commands.flatMap((c) => ['-c', c])], { timeout: 20_000 });
    return stdout;
  };
  try {
    await waitFor('FRR vty', async () => (await vtysh(['show version']).then(() => true, () => false)) || null, 10_000);
  } catch (err) {
    await killPid(pid);
    throw err;
  }
  return {
    name: 'frr-bgpd',
    pid,
    dir: options.dir,
    stop: () => killPid(pid),
    log: () => {
      try {
        return readFileSync(path.join(options.dir, 'bgpd.log'), 'utf8');
      } catch {
        return '';
      }
    },
    vtysh,
  };
}

// ---------------------------------------------------------------------------- exabgp

export interface ExabgpOptions {
  readonly dir: string;
  readonly conf: string;
  /** A network namespace to run it in (`ip netns exec` execs in place: the pid is exabgp's own). */
  readonly netns?: string;
}

/** ExaBGP 4.2 in the foreground; exabgp_daemon_user=root or it drops to user exabgp. */
export function startExabgp(options: ExabgpOptions): Daemon {
  const conf = path.join(options.dir, 'exabgp.conf');
  writeFileSync(conf, options.conf);
  const [command, args] = options.netns === undefined ? ['exabgp', [conf]] : ['ip', ['netns', 'exec', options.netns, 'exabgp', conf]];
  return spawnDaemon('exabgp', options.dir, command, args, {
    exabgp_daemon_user: 'root',
    exabgp_daemon_daemonize: 'false',
    exabgp_api_ack: 'false',
    exabgp_log_destination: 'stdout',
    exabgp_log_level: 'INFO',
    exabgp_daemon_pid: path.join(options.dir, 'exabgp.pid'),
    exabgp_api_pipename: `exabgp-${path.basename(options.dir)}`,
  });
}

/**
 * An ExaBGP 4 neighbor block towards bmpd at `neighbor`: from `localAddress` (router-id
 * `routerId`, default the same), hold time 30 s, one `family`, 4-octet ASNs, route-refresh on or
 * off, and `routes` (static lines, '# ...' comments allowed). `connect`: bmpd's port when not 179.
 */
export function exabgpNeighbor(o: {
  neighbor: string;
  localAddress: string;
  routerId?: string;
  localAs: number;
  peerAs: number;
  connect?: number;
  family: 'ipv4 unicast' | 'ipv6 unicast';
  routeRefresh: boolean;
  routes: readonly string[];
}): string {
  return `
neighbor ${o.neighbor} {
  router-id ${o.routerId ?? o.localAddress};
  local-address ${o.localAddress};
  local-as ${o.localAs};
  peer-as ${o.peerAs};
${o.connect === undefined ? '' : `  connect ${o.connect};\n`}  hold-time 30;
  family { ${o.family}; }
  capability { asn4 enable; route-refresh ${o.routeRefresh ? 'enable' : 'disable'}; }
  static {
${o.routes.map((r) => `    ${r}`).join('\n')}
  }
}
`;
}
