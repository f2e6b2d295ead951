// pmacct's pmbmpd (Debian pmacct 1.7.7) as a BMP collector for integration tests, and a tshark
// capture written to a pcap and decoded afterwards (two-pass, so BMP messages that span TCP
// segments are reassembled). Loopback only; every process is stopped by its pid.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { killPid } from '../../bgp/integration/daemons.js';
import { fieldArgs, fieldRows, startTshark, type Tshark } from '../../net/capture.js';
import { eventually } from './harness.js';

const run = promisify(execFile);

export type PmbmpdRecord = Record<string, unknown> & { bmp_msg_type: string };

/** An exporter address as pmbmpd writes it into a file name ('.' and ':' become '_'). */
const fileSafe = (address: string): string => address.replace(/[.:]/g, '_');

/** One exporter session's routes as pmbmpd logged them (route_monitor lines, in order). */
export interface SessionRoutes {
  /** Prefixes announced and not withdrawn afterwards, as 'a.b.c.d/len' or IPv6 text. */
  readonly prefixes: Set<string>;
  /** route_monitor lines seen. */
  readonly lines: number;
}

export class Pmbmpd {
  private constructor(
    readonly dir: string,
    readonly host: string,
    readonly port: number,
    readonly child: ChildProcess,
  ) {}

  /**
   * pmbmpd listens with backlog 1 (lab pitfall): one exporter per instance here. `perSession`
   * writes each exporter session to its own file, named after the exporter's TCP port too
   * (sessionPorts(), sessionRecords(), sessionRoutes()).
   */
  static async start(dir: string, host: string, port: number, opts: { perSession?: boolean } = {}): Promise<Pmbmpd> {
    const conf = path.join(dir, 'pmbmpd.conf');
    const file = opts.perSession ? 'pmbmpd-$bmp_router-$bmp_router_port.json' : 'pmbmpd-$bmp_router.json';
    writeFileSync(
      conf,
      [
        'daemonize: false',
        `bmp_daemon_ip: ${host}`,
        `bmp_daemon_port: ${port}`,
        'bmp_daemon_max_peers: 10',
        `bmp_daemon_msglog_file: ${dir}/${file}`,
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
    if (this.host.includes(':')) {
      const out = execFileSync('ss', ['-Hltn', `sport = :${this.port}`], { encoding: 'utf8' });
      return out.includes(`[${this.host}]:${this.port}`);
    }
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
    const file = path.join(this.dir, `pmbmpd-${fileSafe(exporter)}.json`);
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

  /** The exporter's TCP ports of every session logged with `perSession`, in the order the files were made. */
  sessionPorts(exporter: string): number[] {
    const prefix = `pmbmpd-${fileSafe(exporter)}-`;
    return readdirSync(this.dir)
      .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
      .map((f) => ({ port: Number(f.slice(prefix.length, -'.json'.length)), seq: this.firstSeenMs(path.join(this.dir, f)) }))
      .sort((a, b) => a.seq - b.seq)
      .map((s) => s.port);
  }

  private firstSeenMs(file: string): number {
    // The log_init line's timestamp: when pmbmpd accepted the session.
    const fd = openSync(file, 'r');
    const buffer = Buffer.alloc(400);
    const head = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8');
    closeSync(fd);
    const m = /"timestamp": "([^"]+)"/.exec(head);
    return m ? Date.parse(`${m[1]!.replace(' ', 'T')}Z`) : Number.MAX_SAFE_INTEGER;
  }

  private sessionFile(exporter: string, port: number): string {
    return path.join(this.dir, `pmbmpd-${fileSafe(exporter)}-${port}.json`);
  }

  /** The BMP messages of one session other than Route Monitoring (pmbmpd writes one line per prefix of those). */
  sessionRecords(exporter: string, port: number): PmbmpdRecord[] {
    const file = this.sessionFile(exporter, port);
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{') && !l.includes('"route_monitor"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r): r is PmbmpdRecord => typeof r.bmp_msg_type === 'string');
  }

  /**
   * The prefixes one session holds at the end of its log (of one peer, if given): announced minus
   * withdrawn. Read line by line without JSON.parse (a 200,000-prefix table is ~80 MB of JSON).
   */
  sessionRoutes(exporter: string, port: number, peer?: string): SessionRoutes {
    const file = this.sessionFile(exporter, port);
    const prefixes = new Set<string>();
    let lines = 0;
    if (!existsSync(file)) return { prefixes, lines };
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.includes('"route_monitor"')) continue;
      if (peer !== undefined && !line.includes(`"peer_ip": "${peer}"`)) continue;
      lines++;
      const prefix = /"ip_prefix": "([^"]+)"/.exec(line)?.[1];
      if (prefix === undefined) continue;
      if (line.includes('"log_type": "withdraw"')) prefixes.delete(prefix);
      else prefixes.add(prefix);
    }
    return { prefixes, lines };
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
