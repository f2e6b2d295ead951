// Runs the built bmpd-cli (dist/src/cli/main.js, what the package.json bin points at) as a child
// process against a running agent, in batch mode: commands on standard input.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../support/agent.js';

export const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `args` come first (the caller's --port, --known-hosts ...); `input` is fed to standard input. */
export async function runCli(args: readonly string[], input: string, timeoutMs = 30_000): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** The seed's notation: strip each line's 'Device...#' prompt (the seed sometimes has a space before '(config'). */
export function typedLines(block: string): string[] {
  return block.trim().split('\n').map((l) => l.replace(/^Device ?(\([a-z-]+\))?[>#]\s?/, '').trim());
}

/** SPEC §8: the seed's N0.1.1.1 are someone else's; a running agent uses 127.0.N.1. */
export function mapSeedAddresses(text: string): string {
  return text.replace(/\b([1-8])0\.1\.1\.1\b/g, '127.0.$1.1');
}
