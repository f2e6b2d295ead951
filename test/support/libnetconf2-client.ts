// The libnetconf2 test client (nc-client.c): compiled by the tests with the system C compiler
// against Debian's libnetconf2-dev, then run as a child process that prints one JSON object per
// line. A missing compiler, header or library fails the build with the compiler's own message:
// tools/test-all.sh installs build-essential, pkg-config, libnetconf2-dev and libssh-dev.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SOURCE = fileURLToPath(new URL('./nc-client.c', import.meta.url));

export interface RpcErrorLine { tag?: string; type?: string; severity?: string; 'app-tag'?: string; path?: string; message?: string }
export type ClientLine =
  | { type: 'reply'; ok: true }
  | { type: 'reply'; data: string }
  | { type: 'reply'; errors: RpcErrorLine[] }
  | { type: 'notification'; time: string; received: number; xml: string }
  | { type: 'end'; reason: string };

/** Compiles nc-client.c into a fresh temporary directory; resolves with the executable's path. */
export async function buildLibnetconf2Client(): Promise<string> {
  const flags = (await run('pkg-config', ['--cflags', '--libs', 'libnetconf2', 'libyang'])).stdout.trim().split(/\s+/).filter(Boolean);
  const binary = join(mkdtempSync(join(tmpdir(), 'bmpd-nc-client-')), 'nc-client');
  await run('cc', ['-Wall', '-Werror', '-O1', '-o', binary, SOURCE, ...flags]);
  return binary;
}

export interface ClientLogin { port: number; host?: string; user?: string; password?: string; key?: { publicKey: string; privateKey: string } }

function loginArgs(login: ClientLogin): string[] {
  const auth = login.key ? `key:${login.key.publicKey}:${login.key.privateKey}` : `password:${login.password ?? 'admin'}`;
  return [login.host ?? '127.0.0.1', String(login.port), login.user ?? 'admin', auth];
}

function parseLines(out: string): ClientLine[] {
  return out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as ClientLine);
}

/** Runs one command to completion (get-data, edit-data, modify-/delete-/kill-sub, or a subscription with --count/--seconds). */
export async function libnetconf2(binary: string, login: ClientLogin, command: string, args: string[], timeoutMs = 60_000):
  Promise<{ code: number | null; lines: ClientLine[]; stderr: string }> {
  const child = spawn(binary, [...loginArgs(login), command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  clearTimeout(timer);
  return { code, lines: parseLines(out), stderr };
}

/** A running subscriber: its lines as they arrive, stdin commands on its session, stopped by pid. */
export interface Subscriber {
  readonly lines: ClientLine[];
  /** Resolves with the first line (already seen or still to come) that matches. */
  waitFor(match: (line: ClientLine) => boolean, timeoutMs?: number): Promise<ClientLine>;
  /** A stdin command on the subscriber's own session: `modify-sub ID [FILTER]`, `delete-sub ID`, `kill-sub ID`, `quit`. */
  send(command: string): void;
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
  stderr(): string;
}

export function subscribe(binary: string, login: ClientLogin, command: string, args: string[]): Subscriber {
  const child: ChildProcessWithoutNullStreams = spawn(binary, [...loginArgs(login), command, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: ClientLine[] = [];
  const waiters: { match: (l: ClientLine) => boolean; resolve: (l: ClientLine) => void }[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  createInterface({ input: child.stdout }).on('line', (text) => {
    if (!text.startsWith('{')) return;
    const line = JSON.parse(text) as ClientLine;
    lines.push(line);
    for (const w of [...waiters]) {
      if (w.match(line)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(line); }
    }
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  return {
    lines,
    exited,
    stderr: () => stderr,
    waitFor(match, timeoutMs = 10_000) {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching line in ${timeoutMs} ms; lines: ${JSON.stringify(lines)}; stderr: ${stderr}`)), timeoutMs);
        waiters.push({ match, resolve: (l) => { clearTimeout(timer); resolve(l); } });
      });
    },
    send(command) { child.stdin.write(`${command}\n`); },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid!, 'SIGTERM');
        await exited;
      }
    },
  };
}
