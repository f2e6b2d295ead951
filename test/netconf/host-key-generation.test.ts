// generateEd25519KeyPair (src/netconf/host-key.ts) never waits on itself. Node 20's JWK export
// of a fresh Ed25519 KeyObject could deadlock its own thread (a garbage collection inside the
// export destroys the key generation job, whose destructor takes the mutex the export holds):
// a test process was stuck in a futex for the rest of a CI run. A thread in that state cannot
// be interrupted, so the keys are made in a process of their own, killed past a deadline.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT, staleDistFile } from '../support/agent.js';

/** The JWK way stalled within 20,000 keys in each of five runs on the 2-core machine (2026-12); 20,000 take about 6 s. */
const KEYS = 20_000;
const DEADLINE_MS = 90_000;

describe('Ed25519 key generation in a loop', () => {
  it(`makes ${KEYS} key pairs in a process of its own before the deadline, each a parsable OpenSSH pair`, async () => {
    const stale = staleDistFile(ROOT);
    if (stale) throw new Error(`dist/ is older than ${stale}: run \`npm run build\` first (npm test does)`);
    const script = `import { generateEd25519KeyPair } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist/src/netconf/host-key.js')).href)};
      let ok = 0;
      for (let i = 0; i < ${KEYS}; i++) {
        const { privateKey, publicKey } = generateEd25519KeyPair('k' + i);
        if (privateKey.startsWith('-----BEGIN OPENSSH PRIVATE KEY-----') && publicKey.startsWith('ssh-ed25519 AAAA')) ok++;
      }
      console.log(JSON.stringify({ ok }));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    let stalled = false;
    const deadline = setTimeout(() => {
      stalled = true;
      child.kill('SIGKILL');
    }, DEADLINE_MS);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(deadline);
    expect(stalled, `no result within ${DEADLINE_MS} ms: the key generation stalled`).toBe(false);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ ok: KEYS });
  }, DEADLINE_MS + 10_000);
});
