// The README's first commands are what a fresh Debian 12 root shell runs: that shell has no
// sudo ("sudo: command not found"), so no command may start with it; tools/test-all.sh asks for
// root itself, through sudo only when it is not root already.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/agent.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';

describe("README's set-up commands", () => {
  it('run the tests with tools/test-all.sh, without sudo', () => {
    const commands = firstBlock.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter((l) => l !== '');
    expect(commands).toContain('tools/test-all.sh');
    for (const c of commands) expect(c).not.toMatch(/^sudo\b/);
  });

  it('tools/test-all.sh uses sudo only when it is not root', () => {
    const script = readFileSync(join(ROOT, 'tools', 'test-all.sh'), 'utf8');
    const sudoLines = script.split('\n').filter((l) => /\bsudo\b/.test(l) && !l.trim().startsWith('#'));
    expect(sudoLines).toHaveLength(1);
    expect(sudoLines[0]).toMatch(/if \[ "\$\(id -u\)" -eq 0 \]; then "\$@"; else sudo "\$@"; fi/);
  });
});
