// Ansible's ansible.netcommon modules (netconf_rpc, netconf_config,
// netconf_get) against the agent: the playbook in test/ansible pushes the
// seed configuration; run twice, the first run changes, the second does not.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startAgent, type RunningAgent } from '../support/agent.js';

const PLAYBOOK_DIR = join(ROOT, 'test', 'ansible');
let agent: RunningAgent;
let home: string;

beforeAll(async () => {
  agent = await startAgent();
  home = mkdtempSync(join(tmpdir(), 'bmpd-ansible-'));
});
afterAll(async () => {
  await agent?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

async function playbook(): Promise<string> {
  const child = spawn('ansible-playbook', ['bmpd-seed.yml', '-e', `ansible_port=${agent.port}`], {
    cwd: PLAYBOOK_DIR,
    // Ansible keeps its persistent-connection sockets and temp files under HOME.
    env: { ...process.env, HOME: home, ANSIBLE_CONFIG: join(PLAYBOOK_DIR, 'ansible.cfg'), ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`ansible-playbook exited ${code}:\n${out}`);
  return out;
}

describe('Ansible netconf modules', () => {
  it('first run reports changed, the second run with the same input reports no change', async () => {
    const first = await playbook();
    expect(first).toMatch(/agent\s+: ok=5\s+changed=1\s+unreachable=0\s+failed=0/);
    expect(first).toContain('"capabilities_seen": true');
    expect(first).toContain('"running_has_server_2": true');
    // netconf_get of state: the engine's view of the configuration just pushed.
    expect(first).toContain('"state_servers_configured": "<servers-configured>2</servers-configured>"');
    expect(first).toMatch(/"state_server_1_status": "<status>(down|connecting)<\/status>"/);
    const second = await playbook();
    expect(second).toMatch(/agent\s+: ok=5\s+changed=0\s+unreachable=0\s+failed=0/);
    expect(second).toContain('"pushed_changed": false');
  }, 180_000);
});
