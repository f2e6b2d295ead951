// Child processes for the benchmark drivers: start a script that reports JSON lines, wait for its
// events, read its memory from /proc, and stop it by pid (SIGTERM, SIGKILL after a grace period);
// and gobgpd, the peer both BGP benchmarks start the same way.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const LOADGEN = fileURLToPath(new URL('../bgp-loadgen/loadgen.mjs', import.meta.url));

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A /proc/PID/status field in bytes (VmRSS, VmHWM, ...). */
export function procStatus(pid, field) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const line = text.split('\n').find((l) => l.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? 0) * 1024;
}

const CLOCK_TICKS_PER_S = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** user + system CPU of a live process and its threads, in ms (/proc/PID/stat fields 14 and 15). */
export function processCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return 0; // gone
  }
}

export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function killPid(pid, graceMs = 5000) {
  if (!pid || !alive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let waited = 0; waited < graceMs && alive(pid); waited += 50) await sleep(50);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

/**
 * Spawns a node script that prints JSON lines ({"event": ...}); returns the child and `next(name)`,
 * which resolves with the first event of that name (already seen or still to come).
 */
export function spawnJson(script, scriptArgs, { nodeFlags = [], timeoutMs }) {
  const child = spawn(process.execPath, [...nodeFlags, script, ...scriptArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
  const seen = [];
  const waiters = [];
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    let event;
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    seen.push(event);
    for (const w of [...waiters]) {
      if (w.name === event.event) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(event);
      }
    }
  });
  const next = (name) => {
    const found = seen.find((e) => e.event === name);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      waiters.push({ name, resolve });
      child.once('exit', (code) => reject(new Error(`${path.basename(script)} exited (${code}) before "${name}"`)));
      setTimeout(() => reject(new Error(`timeout waiting for ${name} from ${path.basename(script)}`)), timeoutMs).unref();
    });
  };
  return { child, next };
}

/**
 * tools/bgp-loadgen sending `prefixes` to `peer`, with JSON events ("established", "sent",
 * "refresh-sent", ...) through spawnJson's `next`. noRouteRefresh: the generator leaves the
 * route-refresh capability out (by default it advertises it and answers a ROUTE-REFRESH).
 */
export function spawnLoadgen({ peer, port, local, as, prefixes, perUpdate, attrSets = 4000, noRouteRefresh = false }, { timeoutMs }) {
  return spawnJson(LOADGEN, [
    '--peer', peer, '--port', String(port), '--local', local, '--as', String(as),
    '--prefixes', String(prefixes), '--per-update', String(perUpdate), '--attr-sets', String(attrSets), '--json',
    ...(noRouteRefresh ? ['--no-route-refresh'] : []),
  ], { timeoutMs });
}

/**
 * Debian's gobgpd as a benchmark peer: passive towards the load generator and any further `peers`
 * (each with `families`, default IPv4 unicast), reporting to `bmpServers` (pre-policy; a
 * `statisticsTimeout` in seconds asks for Statistics Reports). Returns once its gRPC API answers;
 * `cli` runs the gobgp CLI.
 */
export async function startGobgpd({ dir, asn, address, port, apiPort, generator, generatorAs, peers = [], families = ['ipv4-unicast'], bmpServers = [] }) {
  const neighbor = (peer, peerAs) => `[[neighbors]]
  [neighbors.config]
    neighbor-address = "${peer}"
    peer-as = ${peerAs}
  [neighbors.transport.config]
    local-address = "${address}"
    passive-mode = true
${families.map((f) => `  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "${f}"
`).join('')}`;
  const bmpServer = (s) => `[[bmp-servers]]
  [bmp-servers.config]
    address = "${s.address}"
    port = ${s.port}
    route-monitoring-policy = "pre-policy"
${s.statisticsTimeout ? `    statistics-timeout = ${s.statisticsTimeout}\n` : ''}`;
  writeFileSync(
    path.join(dir, 'gobgpd.toml'),
    `[global.config]
  as = ${asn}
  router-id = "${address}"
  port = ${port}
  local-address-list = ["${address}"]
${[{ address: generator, asn: generatorAs }, ...peers].map((p) => neighbor(p.address, p.asn)).join('')}${bmpServers.map(bmpServer).join('')}`,
  );
  const logFd = openSync(path.join(dir, 'gobgpd.log'), 'w');
  const child = spawn('gobgpd', ['-f', path.join(dir, 'gobgpd.toml'), '-p', '-l', 'warn', '--api-hosts', `${address}:${apiPort}`, '--pprof-disable'], {
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const cli = async (...a) => (await run('gobgp', ['-u', address, '-p', String(apiPort), ...a], { timeout: 30_000 })).stdout;
  for (let i = 0; i < 100; i++) {
    if (await cli('global').then(() => true, () => false)) break;
    await sleep(100);
  }
  await sleep(300);
  if (!alive(child.pid)) {
    throw new Error(`gobgpd exited: ${readFileSync(path.join(dir, 'gobgpd.log'), 'utf8').slice(-2000)}`);
  }
  return { pid: child.pid, cli };
}

/**
 * FRR bgpd standalone (-Z no zebra, -S stay root) as a benchmark peer: passive towards the load
 * generator; `extraConfig` goes inside `router bgp`, `modules` are loaded with -M (e.g. 'bmp').
 * Returns once its vty answers; `pid` is bgpd's (it daemonizes and writes it to a pid file).
 */
export async function startFrrBgpd({ dir, asn, address, port, generator, generatorAs, modules = [], extraConfig = '' }) {
  const vty = path.join(dir, 'run');
  await run('mkdir', ['-p', vty]);
  const conf = path.join(dir, 'bgpd.conf');
  writeFileSync(
    conf,
    `frr version 8.4.4
frr defaults traditional
hostname bench-frr
log file ${path.join(dir, 'bgpd.log')} warnings
!
router bgp ${asn}
 bgp router-id ${address}
 no bgp ebgp-requires-policy
 neighbor ${generator} remote-as ${generatorAs}
 neighbor ${generator} passive
 neighbor ${generator} disable-connected-check
${extraConfig}exit
!
`,
  );
  const pidFile = path.join(dir, 'bgpd.pid');
  await run('/usr/lib/frr/bgpd', [
    '-d', ...modules.flatMap((m) => ['-M', m]), '-Z', '-S', '-l', address, '-p', String(port), '-f', conf, '-i', pidFile,
    '--vty_socket', vty, '-z', path.join(vty, 'zserv.api'),
  ]);
  let pid = 0;
  for (let i = 0; i < 100 && !pid; i++) {
    try {
      pid = Number(readFileSync(pidFile, 'utf8').trim());
    } catch {
      await sleep(100);
    }
  }
  const vtysh = async (cmd) => (await run('vtysh', ['--vty_socket', vty, '-d', 'bgpd', '-c', cmd], { timeout: 60_000 })).stdout;
  for (let i = 0; i < 100; i++) {
    if (await vtysh('show version').then(() => true, () => false)) break;
    await sleep(100);
  }
  await sleep(300);
  return { pid, vtysh };
}

/** The command-line options of the bmpd benchmark children that loadgenSpeakerConfig reads. */
export const LOADGEN_SPEAKER_OPTIONS = {
  listen: { type: 'string' },
  port: { type: 'string', default: '0' },
  as: { type: 'string', default: '65001' },
  'router-id': { type: 'string', default: '192.0.2.1' },
  neighbor: { type: 'string' },
  'remote-as': { type: 'string' },
};

/**
 * The BGP speaker configuration of the bmpd benchmark children: one passive IPv4 neighbor, the
 * load generator, from their common command-line options.
 */
export function loadgenSpeakerConfig(args) {
  return {
    asNumber: Number(args.as),
    routerId: args['router-id'],
    listen: { addresses: [args.listen], port: Number(args.port) },
    neighbors: [
      {
        address: args.neighbor,
        remoteAs: Number(args['remote-as']),
        description: 'bench load generator',
        updateSource: null,
        password: null,
        passive: true,
        timers: { keepalive: 0, holdTime: 180 },
        shutdown: false,
        addressFamilies: ['ipv4-unicast'],
        vrf: null,
      },
    ],
  };
}

/**
 * Starts the real agent (dist/src/main.js of `root`) with a fresh state directory and NETCONF on an
 * ephemeral port (on `host` when given), and resolves once it logs 'bmpd ready' with that port.
 * Its log (at `logLevel`) goes to stateDir/agent.log, a file, not a pipe: reading a pipe in the
 * benchmark process would cost the measured cores, and a pipe nobody reads would stall the agent.
 * `prepare(stateDir)` runs before the start (e.g. users for NACM); `cpuProfile` runs it under
 * `node --cpu-prof` into stateDir/profile; `agentArgs` are more bmpd options. A start that fails
 * stops the agent and removes the dir.
 */
export async function startBenchAgent(root, { host, dirPrefix, logLevel = 'info', cpuProfile = false, prepare, timeoutMs = 60_000, agentArgs = [] }) {
  const stateDir = mkdtempSync(path.join(tmpdir(), dirPrefix));
  const logPath = path.join(stateDir, 'agent.log');
  const profileDir = cpuProfile ? path.join(stateDir, 'profile') : null;
  let agent = null;
  try {
    await prepare?.(stateDir);
    const logFd = openSync(logPath, 'w');
    agent = spawn(process.execPath, [
      ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
      path.join(root, 'dist/src/main.js'), '--state-dir', stateDir, '--netconf-port', '0', '--log-level', logLevel,
      ...(host ? ['--netconf-address', host] : []), ...agentArgs,
    ], { stdio: ['ignore', logFd, 'inherit'] });
    closeSync(logFd);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ready = readFileSync(logPath, 'utf8').split('\n').find((l) => l.includes('"msg":"bmpd ready"'));
      if (ready) return { agent, port: JSON.parse(ready).port, stateDir, logPath, profileDir };
      if (agent.exitCode !== null) throw new Error(`agent exited ${agent.exitCode}: ${readFileSync(logPath, 'utf8').slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`agent not ready in ${timeoutMs / 1000} s: ${readFileSync(logPath, 'utf8').slice(-2000)}`);
      await sleep(50);
    }
  } catch (err) {
    await killPid(agent?.pid);
    rmSync(stateDir, { recursive: true, force: true });
    throw err;
  }
}
