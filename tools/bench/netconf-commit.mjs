#!/usr/bin/env node
// NETCONF transactions, bmpd side by side with Debian's netconfd (yuma123), SPEC §7: from an empty
// datastore, one edit-config (candidate) + commit per new neighbor until N neighbors exist, every
// transaction timed by the same ncclient client with the same XML. The goal is a per-commit cost
// that does not grow with the datastore: the growth factor (last 100 / first 100) stays near 1.
// netconfd serves bmpd's own YANG module, so both servers validate the same schema.
// Needs `npx tsc -b` first; the netconfd half needs root (private sshd, a local login user) and
// runs alone on the machine (netconfd's socket path is fixed), otherwise it is skipped.
// Duration is dominated by netconfd, whose commit grows with the datastore: ~3 min at 1,000, ~22 min at 2,000.
//   node tools/bench/netconf-commit.mjs [--neighbors N] [--only bmpd|netconfd]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const { values } = parseArgs({
  options: { neighbors: { type: 'string', default: '2000' }, only: { type: 'string' } },
  strict: false,
});
const neighbors = Number(values.neighbors);
const bmpdModule = path.join(root, 'yang/bmpd@2026-11-26.yang');

// Debian's netconf-subsystem 2.13 always connects here (it ignores --ncxserver-sockname).
const NCX_SOCKET = '/tmp/ncxserver.sock';
const NC_USER = 'labnc';
const NC_PASSWORD = 'labnc-pass';

/** Peak resident set (VmHWM) of a live process, in KiB. */
function peakRssKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((resolve) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); resolve(); }, 5000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => { const { port } = server.address(); server.close(() => resolve(port)); });
  });
}

async function waitFor(what, probe, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not ready in ${timeoutMs / 1000} s`);
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/** Runs netconf_commit.py against a server; its progress goes to our stderr. */
function runClient(port, user, password, label) {
  console.error(`${label}: ${neighbors} transactions on 127.0.0.1:${port}`);
  const r = spawnSync('/usr/bin/python3', [path.join(here, 'netconf_commit.py'), '--port', String(port), '--user', user,
    '--password', password, '--neighbors', String(neighbors), '--progress', String(Math.max(100, neighbors / 10))],
  { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`netconf_commit.py against ${label} failed (exit ${r.status})`);
  const result = JSON.parse(r.stdout.trim().split('\n').pop());
  // A commit that silently did nothing would make a server look fast.
  if (result.neighbors_after !== result.neighbors_before + neighbors) {
    throw new Error(`${label}: ${result.neighbors_after} neighbors in running after ${neighbors} commits (had ${result.neighbors_before})`);
  }
  return result;
}

async function benchBmpd() {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'bmpd-bench-commit-'));
  const agent = spawn(process.execPath, [path.join(root, 'dist/src/main.js'), '--state-dir', stateDir, '--netconf-port', '0', '--log-level', 'info'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('agent not ready in 30 s')), 30_000);
      createInterface({ input: agent.stdout }).on('line', (line) => {
        try {
          const entry = JSON.parse(line);
          if (entry.msg === 'bmpd ready') { clearTimeout(timer); resolve(entry.port); }
        } catch { /* not a log line */ }
      });
      agent.once('exit', (code) => reject(new Error(`agent exited ${code}`)));
    });
    const result = runClient(port, 'admin', 'admin', 'bmpd');
    return { ...result, rssKiB: peakRssKiB(agent.pid) };
  } finally {
    await stop(agent);
    rmSync(stateDir, { recursive: true, force: true });
  }
}

function ncxSocketServed() {
  const ss = spawnSync('ss', ['-Hxl'], { encoding: 'utf8' });
  return ss.stdout.split('\n').some((line) => line.includes(NCX_SOCKET));
}

/**
 * netconfd behind a private sshd on loopback, the lab recipe: ssh -> Subsystem netconf
 * (/usr/sbin/netconf-subsystem) -> /tmp/ncxserver.sock -> netconfd.
 */
async function benchNetconfd() {
  if (process.getuid?.() !== 0) return { skipped: 'needs root (private sshd, login user)' };
  if (ncxSocketServed()) return { skipped: `another netconfd serves ${NCX_SOCKET}` };
  const run = mkdtempSync(path.join(tmpdir(), 'bmpd-bench-netconfd-'));
  const userCreated = spawnSync('id', [NC_USER]).status !== 0;
  const privsepCreated = !existsSync('/run/sshd');
  const children = [];
  try {
    if (userCreated) {
      // sshd authenticates against the system: the session needs a real local user.
      if (spawnSync('useradd', ['-m', '-s', '/bin/sh', NC_USER]).status !== 0) throw new Error(`useradd ${NC_USER} failed`);
      spawnSync('chpasswd', [], { input: `${NC_USER}:${NC_PASSWORD}\n` });
      console.error(`netconfd: created local user ${NC_USER} for this run (removed at the end)`);
    }
    // A stale socket from a killed run makes netconfd fail with 'ncxserver failed'.
    rmSync(NCX_SOCKET, { force: true });
    const port = await freePort();
    for (const type of ['ed25519', 'rsa']) {
      spawnSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', path.join(run, `ssh_host_${type}_key`)], { stdio: 'ignore' });
    }
    writeFileSync(path.join(run, 'sshd_config'), [
      `Port ${port}`, 'ListenAddress 127.0.0.1',
      `HostKey ${run}/ssh_host_ed25519_key`, `HostKey ${run}/ssh_host_rsa_key`, `PidFile ${run}/sshd.pid`,
      'PasswordAuthentication yes', 'KbdInteractiveAuthentication no', 'UsePAM yes', 'PermitRootLogin no',
      `AllowUsers ${NC_USER}`, 'Subsystem netconf /usr/sbin/netconf-subsystem', '',
    ].join('\n'));
    // netconfd writes its transaction id under <yuma-home>/data and saves every commit to --startup:
    // both stay in the run directory, so nothing leaks into ~/.yuma or the next run.
    mkdirSync(path.join(run, 'yuma/data'), { recursive: true });
    writeFileSync(path.join(run, 'startup-cfg.xml'), '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"/>\n');
    const netconfd = spawn('netconfd', [
      `--module=${bmpdModule}`, `--modpath=/usr/share/yuma/modules:${path.join(root, 'yang/ietf')}:${path.join(root, 'yang')}`,
      // --port must equal the sshd port: netconfd refuses sessions that arrive on another one.
      `--port=${port}`, '--target=candidate', '--with-startup=false', '--access-control=off', `--superuser=${NC_USER}`,
      `--yuma-home=${path.join(run, 'yuma')}`, `--startup=${path.join(run, 'startup-cfg.xml')}`,
      `--log=${path.join(run, 'netconfd.log')}`, '--log-level=warn',
    ], { stdio: ['ignore', 'ignore', 'ignore'] });
    children.push(netconfd);
    await waitFor('netconfd', () => {
      if (netconfd.exitCode !== null) throw new Error(`netconfd exited ${netconfd.exitCode}: ${readFileSync(path.join(run, 'netconfd.log'), 'utf8')}`);
      return existsSync(NCX_SOCKET);
    });
    mkdirSync('/run/sshd', { recursive: true }); // OpenSSH privilege separation directory
    // -D: sshd stays in the foreground, so its pid is the child's and we stop it ourselves.
    const sshd = spawn('/usr/sbin/sshd', ['-D', '-f', path.join(run, 'sshd_config'), '-E', path.join(run, 'sshd.log')], { stdio: 'ignore' });
    children.push(sshd);
    await waitFor('sshd', () => {
      if (sshd.exitCode !== null) throw new Error(`sshd exited ${sshd.exitCode}: ${readFileSync(path.join(run, 'sshd.log'), 'utf8')}`);
      return accepts(port);
    });
    const result = runClient(port, NC_USER, NC_PASSWORD, 'netconfd');
    return { ...result, rssKiB: peakRssKiB(netconfd.pid) };
  } finally {
    for (const child of children.reverse()) await stop(child);
    if (!ncxSocketServed()) rmSync(NCX_SOCKET, { force: true });
    if (userCreated) spawnSync('userdel', ['-r', NC_USER], { stdio: 'ignore' });
    if (privsepCreated && existsSync('/run/sshd') && readdirSync('/run/sshd').length === 0) rmdirSync('/run/sshd');
    rmSync(run, { recursive: true, force: true });
  }
}

function median(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Windows of 100 transactions: first, around 25 %, 50 %, 75 %, last. */
function windows(n) {
  const width = Math.min(100, n);
  const around = (f) => Math.min(n - width, Math.max(0, Math.round(n * f) - width / 2));
  return [0, around(0.25), around(0.5), around(0.75), n - width].map((from) => ({ from, to: from + width }));
}

const transactionMs = (r) => r.edit_ms.map((edit, i) => edit + r.commit_ms[i]);
const fmt = (x) => (x === undefined ? '-' : x.toFixed(2));

const results = {};
if (values.only !== 'netconfd') results.bmpd = await benchBmpd();
if (values.only !== 'bmpd') results.netconfd = await benchNetconfd();

const bmpd = results.bmpd && !results.bmpd.skipped ? results.bmpd : undefined;
const netconfd = results.netconfd && !results.netconfd.skipped ? results.netconfd : undefined;
console.log(`NETCONF edit-config (candidate) + commit of one neighbor, 0 -> ${neighbors} neighbors, ncclient over SSH`);
const netconfdVersion = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'netconfd'], { encoding: 'utf8' }).stdout || 'unknown';
console.log(`netconfd: yuma123 ${netconfdVersion} serving yang/bmpd@2026-11-26.yang (no SIL), behind its own sshd`);
if (results.netconfd?.skipped) console.log(`netconfd skipped: ${results.netconfd.skipped}`);
const rows = [['neighbors', 'bmpd median ms', 'netconfd median ms', 'ratio', 'bmpd commit-only', 'netconfd commit-only']];
const growth = {};
for (const [name, r] of [['bmpd', bmpd], ['netconfd', netconfd]]) {
  if (!r) continue;
  r.txn = transactionMs(r);
  r.medians = windows(neighbors).map(({ from, to }) => median(r.txn.slice(from, to)));
  r.commitMedians = windows(neighbors).map(({ from, to }) => median(r.commit_ms.slice(from, to)));
  growth[name] = r.medians.at(-1) / r.medians[0];
}
windows(neighbors).forEach(({ from, to }, i) => {
  const b = bmpd?.medians[i];
  const n = netconfd?.medians[i];
  rows.push([`${from}-${to}`, fmt(b), fmt(n), b !== undefined && n !== undefined ? (b / n).toFixed(2) : '-',
    fmt(bmpd?.commitMedians[i]), fmt(netconfd?.commitMedians[i])]);
});
rows.push(['all', fmt(bmpd && median(bmpd.txn)), fmt(netconfd && median(netconfd.txn)),
  bmpd && netconfd ? (median(bmpd.txn) / median(netconfd.txn)).toFixed(2) : '-', '', '']);
rows.push(['growth last/first', fmt(growth.bmpd), fmt(growth.netconfd),
  growth.bmpd !== undefined && growth.netconfd !== undefined ? (growth.bmpd / growth.netconfd).toFixed(2) : '-', '', '']);
const total = (r) => (r ? (r.txn.reduce((s, x) => s + x, 0) / 1000).toFixed(1) : undefined);
rows.push(['total s', total(bmpd) ?? '-', total(netconfd) ?? '-',
  bmpd && netconfd ? (Number(total(bmpd)) / Number(total(netconfd))).toFixed(2) : '-', '', '']);
rows.push(['peak RSS MiB', bmpd ? (bmpd.rssKiB / 1024).toFixed(0) : '-', netconfd ? (netconfd.rssKiB / 1024).toFixed(0) : '-',
  bmpd && netconfd ? (bmpd.rssKiB / netconfd.rssKiB).toFixed(2) : '-', '', '']);
const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => String(row[c]).length)));
for (const row of rows) console.log(row.map((cell, c) => String(cell).padStart(c === 0 ? 0 : widths[c]).padEnd(c === 0 ? widths[c] : 0)).join('  ').trimEnd());
console.log('ratio = bmpd / netconfd (below 1: bmpd faster or smaller). Medians over 100 transactions; a transaction');
console.log('is edit-config + commit; commit-only is the <commit> alone. RSS: VmHWM of the bmpd agent process and of netconfd.');
