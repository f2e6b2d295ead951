// yuma123's yangcli as a NETCONF client of the agent: it connects, loads the
// server's schemas and reads the configuration the agent loaded from startup.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startAgent, type RunningAgent } from '../support/agent.js';

const run = promisify(execFile);
let agent: RunningAgent;
let stateDir: string;
let home: string;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'bmpd-yangcli-'));
  home = mkdtempSync(join(tmpdir(), 'bmpd-yangcli-home-'));
  copyFileSync(join(ROOT, 'yang', 'examples', 'seed-config-loopback.xml'), join(stateDir, 'startup.xml'));
  agent = await startAgent({ stateDir });
});
afterAll(async () => {
  await agent?.stop();
  for (const d of [stateDir, home]) if (d) rmSync(d, { recursive: true, force: true });
});

async function yangcli(command: string): Promise<string> {
  const { stdout } = await run('yangcli', [
    '--server=127.0.0.1', `--ncport=${agent.port}`, '--user=admin', '--password=admin',
    '--batch-mode', '--display-mode=xml', `--run-command=${command}`,
  ], { cwd: home, env: { ...process.env, HOME: home }, timeout: 60_000 });
  return stdout;
}

describe('yangcli (yuma123)', () => {
  it('connects and reads the running configuration with sget-config', async () => {
    const out = await yangcli('sget-config /bgp/bmp/server source=running');
    expect(out).toContain('NETCONF session established for admin');
    expect(out).toMatch(/<address>127\.0\.1\.1<\/address>\s*<port-number>8000<\/port-number>/);
    expect(out).toContain('<description>SERVER2</description>');
  });

  it('reads config and state with xget', async () => {
    const out = await yangcli('xget /netconf-state/datastores');
    expect(out).toContain('<name>running</name>');
    expect(out).toContain('<name>startup</name>');
  });
});
