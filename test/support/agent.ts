// Starts the real bmpd agent (the compiled dist/src/main.js, as `npm start`
// runs it) in a child process on a free loopback port, and stops it by pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'main.js');

export interface RunningAgent {
  readonly pid: number;
  readonly port: number;
  readonly stateDir: string;
  /** Every log line the agent printed, parsed. */
  readonly logs: Record<string, unknown>[];
  /** The same lines as printed (JSON.parse keeps one of two equal keys; these keep both). */
  readonly lines: string[];
  /** Resolves with the exit status when the process ends, asked to or not. */
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * The first source file under root/src whose compiled dist/src/….js is missing, or which changed
 * after the last build, relative to root; null when dist/ is current. `tsc -b` re-emits a changed
 * file but leaves the output of a file only touched alone, while it always rewrites
 * dist/tsconfig.tsbuildinfo: a source newer than both was not built.
 */
export function staleDistFile(root: string): string | null {
  const buildInfo = join(root, 'dist', 'tsconfig.tsbuildinfo');
  const builtAt = existsSync(buildInfo) ? statSync(buildInfo).mtimeMs : 0;
  const walk = (dir: string): string | null => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = join(dir, entry.name);
      if (entry.isDirectory()) {
        const stale = walk(file);
        if (stale) return stale;
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const output = join(root, 'dist', relative(root, file)).replace(/\.ts$/, '.js');
        if (!existsSync(output) || Math.max(builtAt, statSync(output).mtimeMs) < statSync(file).mtimeMs) return relative(root, file);
      }
    }
    return null;
  };
  return walk(join(root, 'src'));
}

export async function startAgent(opts: { stateDir?: string; args?: string[]; keepStateDir?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<RunningAgent> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`);
  // The agent runs the compiled code: a test against an old build would test old behaviour.
  const stale = staleDistFile(ROOT);
  if (stale) throw new Error(`dist/ is older than ${stale}: run \`npm run build\` first (npm test does)`);
  const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'bmpd-agent-'));
  const child: ChildProcess = spawn(process.execPath, [MAIN, '--state-dir', stateDir, '--netconf-port', '0', '--log-level', 'debug', ...(opts.args ?? [])],
    { stdio: ['ignore', 'pipe', 'pipe'], ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}) });
  const logs: Record<string, unknown>[] = [];
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => {
      // Not left running behind the failed test: it would hold its addresses for the next one.
      child.kill('SIGKILL');
      reject(new Error(`agent did not become ready in 20 s; stderr: ${stderr}`));
    }, 20_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try { entry = JSON.parse(line) as Record<string, unknown>; } catch { return; }
      logs.push(entry);
      lines.push(line);
      if (entry.msg === 'bmpd ready') { clearTimeout(timer); resolvePort(Number(entry.port)); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`agent exited with ${code} before ready; stderr: ${stderr}; logs: ${JSON.stringify(logs)}`)); });
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    pid: child.pid!,
    port,
    stateDir,
    logs,
    lines,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid!, signal);
        const timer = setTimeout(() => { if (child.exitCode === null) process.kill(child.pid!, 'SIGKILL'); }, 5000);
        const code = await exited;
        clearTimeout(timer);
        if (!opts.keepStateDir && !opts.stateDir) rmSync(stateDir, { recursive: true, force: true });
        return code;
      }
      return child.exitCode;
    },
  };
}

/** Runs a Python client script with Debian's interpreter (python3-ncclient lives there) and parses its JSON output. */
export async function runPython<T = Record<string, unknown>>(script: string, args: (string | number)[], timeoutMs = 60_000): Promise<T> {
  const child = spawn('/usr/bin/python3', [script, ...args.map(String)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${script} ${args.join(' ')} exited ${code}: ${err}`);
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}
