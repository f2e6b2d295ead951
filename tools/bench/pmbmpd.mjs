// pmacct's pmbmpd as the benchmarks' second opinion (issue 17: one run per benchmark is
// cross-checked by a collector that is not ours): a benchmark's collector copies each exporter
// connection's bytes to pmbmpd from an address of its own, and pmbmpd writes one JSON line per
// BMP message (one per prefix for Route Monitoring) into a file named after that address.
// bmp-export.mjs and scale.mjs both start it and read its records here.
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';

import { sleep } from './processes.mjs';

/** /proc/net/tcp's "address:port" for an IPv4 loopback listener (little-endian address, hex). */
function procNetTcp(address, port) {
  const hex = address.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).reverse().join('').toUpperCase();
  return `${hex}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * pmbmpd on address:port writing into dir. Returns its pid, `file(source)`: the JSON lines of the
 * copies sent from `source`, and `tee(source)`: a function opening one such copy (a socket).
 */
export async function startPmbmpd({ dir, address, port }) {
  const conf = path.join(dir, 'pmbmpd.conf');
  writeFileSync(conf, ['daemonize: false', `bmp_daemon_ip: ${address}`, `bmp_daemon_port: ${port}`, 'bmp_daemon_max_peers: 10',
    `bmp_daemon_msglog_file: ${dir}/pmbmpd-$bmp_router.json`, 'bmp_daemon_msglog_output: json', `logfile: ${dir}/pmbmpd.log`, ''].join('\n'));
  const child = spawn('pmbmpd', ['-f', conf], { stdio: 'ignore' });
  // Probing by connecting would count as an exporter: read the kernel's listening sockets.
  const want = ` ${procNetTcp(address, port)} `;
  const deadline = Date.now() + 15_000;
  while (!readFileSync('/proc/net/tcp', 'utf8').split('\n').some((l) => l.includes(want) && l.split(/\s+/)[4] === '0A')) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`pmbmpd not listening on ${address}:${port} within 15 s`);
    }
    await sleep(20);
  }
  return {
    pid: child.pid,
    file: (source) => path.join(dir, `pmbmpd-${source.replaceAll('.', '_')}.json`),
    tee: (source) => () => {
      const socket = net.connect({ host: address, port, localAddress: source });
      socket.on('error', () => undefined);
      return socket;
    },
  };
}

/**
 * pmbmpd's Route Monitoring records (parsed JSON) from one file, read once the file has stopped
 * growing for 3 s: pmbmpd writes behind the stream it is copied.
 */
export async function* routeMonitoringRecords(file) {
  let size = -1;
  for (let still = 0; still < 3; ) {
    await sleep(1000);
    const now = existsSync(file) ? statSync(file).size : 0;
    still = now === size && now > 0 ? still + 1 : 0;
    size = now;
  }
  for await (const line of readline.createInterface({ input: createReadStream(file) })) {
    if (line.includes('"route_monitor"')) yield JSON.parse(line);
  }
}
