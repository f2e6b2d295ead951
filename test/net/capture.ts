/**
 * Live loopback capture with tshark for integration tests: start it, wait
 * until dumpcap is really capturing, run the traffic, stop it and read the
 * selected fields of every packet.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface Capture {
  /** Stops tshark (SIGINT, SIGKILL after 3 s) and returns one row of field values per packet. */
  stop(): Promise<string[][]>;
}

export async function startCapture(opts: { filter: string; fields: string[]; decodeAs?: string[]; iface?: string }): Promise<Capture> {
  const args = ['-i', opts.iface ?? 'lo', '-f', opts.filter, '-l', '-n', '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=a', '-E', 'aggregator=;'];
  for (const d of opts.decodeAs ?? []) args.push('-d', d);
  for (const f of opts.fields) args.push('-e', f);
  const child: ChildProcess = spawn('tshark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tshark did not start capturing: ${stderr}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('Capturing on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tshark exited (${code}): ${stderr}`));
    });
  });
  // dumpcap reports "Capturing on" as the capture opens; give the filter a moment to attach.
  await new Promise((r) => setTimeout(r, 300));
  return {
    async stop() {
      // Let the last packets reach tshark's output before stopping it.
      await new Promise((r) => setTimeout(r, 500));
      child.kill('SIGINT');
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(killer);
      return stdout
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => l.split('|'));
    },
  };
}
