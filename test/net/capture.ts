/**
 * tshark on the loopback interface for integration tests: start it, wait until dumpcap is
 * really capturing, run the traffic, stop it and read the selected fields of every packet.
 * Live (startCapture: fields printed as packets arrive) or to a pcap decoded afterwards
 * (test/bmp/integration/pmbmpd.ts, two-pass so messages spanning segments are reassembled).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Tshark {
  readonly child: ChildProcess;
  /** Lets the last packets through, then SIGINT, SIGKILL after 3 s; resolves once it exited. */
  stop(): Promise<void>;
}

/** Starts tshark with `args`; resolves once dumpcap reports "Capturing on". */
export async function startTshark(args: readonly string[], onStdout?: (chunk: string) => void): Promise<Tshark> {
  const child: ChildProcess = spawn('tshark', args, { stdio: ['ignore', onStdout ? 'pipe' : 'ignore', 'pipe'] });
  if (onStdout) child.stdout!.on('data', (d: Buffer) => onStdout(d.toString()));
  let stderr = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tshark did not start capturing: ${stderr}`));
    }, 20_000);
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
  await sleep(300);
  return {
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        // Let the last packets reach tshark before stopping it.
        await sleep(500);
        child.kill('SIGINT');
      }
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** tshark's '-T fields' options: one line per packet, fields separated by '|', repeats by ';'. */
export function fieldArgs(fields: readonly string[]): string[] {
  return ['-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=a', '-E', 'aggregator=;', ...fields.flatMap((f) => ['-e', f])];
}

/** The rows fieldArgs' output holds: one array of field values per packet. */
export function fieldRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.split('|'));
}

export interface Capture {
  /** Stops tshark (SIGINT, SIGKILL after 3 s) and returns one row of field values per packet. */
  stop(): Promise<string[][]>;
}

export async function startCapture(opts: { filter: string; fields: string[]; decodeAs?: string[]; iface?: string }): Promise<Capture> {
  const args = ['-i', opts.iface ?? 'lo', '-f', opts.filter, '-l', '-n', ...(opts.decodeAs ?? []).flatMap((d) => ['-d', d]), ...fieldArgs(opts.fields)];
  let stdout = '';
  const tshark = await startTshark(args, (chunk) => (stdout += chunk));
  return {
    async stop() {
      await tshark.stop();
      return fieldRows(stdout);
    },
  };
}
