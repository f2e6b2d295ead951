// pmacct's pmbmpd (Debian pmacct 1.7.7) as a BMP collector for integration tests, and a tshark
// capture written to a pcap and decoded afterwards (two-pass, so BMP messages that span TCP
// segments are reassembled). Loopback only; every process is stopped by its pid.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { killPid } from '../../bgp/integration/daemons.js';
import { fieldArgs, fieldRows, startTshark, type Tshark } from '../../net/capture.js';
import { eventually } from './harness.js';

const run = promisify(execFile);

export type PmbmpdRecord = Record<string, unknown> & { bmp_msg_type: string };

export class Pmbmpd {
  private constructor(
    readonly dir: string,
    readonly host: string,
    readonly port: number,
    readonly child: ChildProcess,
  ) {}

  /** pmbmpd listens with backlog 1 (lab pitfall): one exporter per instance here. */
  static async start(dir: string, host: string, port: number): Promise<Pmbmpd> {
    const conf = path.join(dir, 'pmbmpd.conf');
    writeFileSync(
      conf,
      [
        'daemonize: false',
        `bmp_daemon_ip: ${host}`,
        `bmp_daemon_port: ${port}`,
        'bmp_daemon_max_peers: 10',
        `bmp_daemon_msglog_file: ${dir}/pmbmpd-$bmp_router.json`,
        'bmp_daemon_msglog_output: json',
        `logfile: ${dir}/pmbmpd.log`,
        '',
      ].join('\n'),
    );
    const child = spawn('pmbmpd', ['-f', conf], { stdio: 'ignore' });
    const p = new Pmbmpd(dir, host, port, child);
    await eventually(`pmbmpd listening on ${host}:${port}`, () => p.listening, 15_000).catch(async (e: unknown) => {
      await p.stop();
      throw e;
    });
    return p;
  }

  private get listening(): boolean {
    // A connect probe would count as an exporter; read the kernel's listening sockets instead.
    const hex = (a: string): string =>
      a
        .split('.')
        .map((o) => Number(o).toString(16).padStart(2, '0'))
        .reverse()
        .join('')
        .toUpperCase();
    const want = `${hex(this.host)}:${this.port.toString(16).toUpperCase().padStart(4, '0')}`;
    const table = readFileSync('/proc/net/tcp', 'utf8');
    return table.split('\n').some((l) => l.includes(` ${want} `) && l.split(/\s+/)[4] === '0A');
  }

  /** Every JSON line pmbmpd wrote for one exporter address (dots become '_' in the file name). */
  rawRecords(exporter: string): Record<string, unknown>[] {
    const file = path.join(this.dir, `pmbmpd-${exporter.replaceAll('.', '_')}.json`);
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim().startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** The BMP messages among them: pmbmpd also writes log_init / log_close lines around each session. */
  records(exporter: string): PmbmpdRecord[] {
    return this.rawRecords(exporter).filter((r): r is PmbmpdRecord => typeof r.bmp_msg_type === 'string');
  }

  log(): string {
    try {
      return readFileSync(path.join(this.dir, 'pmbmpd.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** It sometimes ignores SIGTERM (lab pitfall): killPid sends SIGKILL after 3 s. */
  async stop(): Promise<void> {
    if (this.child.pid !== undefined) await killPid(this.child.pid);
  }
}

export class PcapCapture {
  private constructor(
    readonly file: string,
    private readonly tshark: Tshark,
  ) {}

  static async start(file: string, filter: string): Promise<PcapCapture> {
    return new PcapCapture(file, await startTshark(['-i', 'lo', '-f', filter, '-w', file, '-q']));
  }

  stop(): Promise<void> {
    return this.tshark.stop();
  }

  /** Two-pass decode: one row of field values per packet that matches `displayFilter`. */
  async fields(decodeAs: string, fields: readonly string[], displayFilter = ''): Promise<string[][]> {
    const args = ['-r', this.file, '-2', '-n', '-d', decodeAs, ...fieldArgs(fields)];
    if (displayFilter) args.push('-Y', displayFilter);
    const { stdout } = await run('tshark', args, { maxBuffer: 64 * 1024 * 1024 });
    return fieldRows(stdout);
  }
}
