// The layer rules of .dependency-cruiser.cjs (run over src/ by `npm test`'s
// pretest) fail on deliberate violations: the same command, run over a small
// temporary tree laid out like src/ with one violation of each rule and the
// imports the rules allow.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const TREE: Record<string, string> = {
  // A cycle through type-only imports, like the one session.ts / rpc.ts / operation-args.ts had.
  'src/netconf/rpc.ts': "import type { Session } from './session.js';\nexport interface Rpc { session?: Session }\n",
  'src/netconf/session.ts': "import type { Rpc } from './rpc.js';\nexport interface Session { rpc?: Rpc }\n",
  'src/netconf/speaks-bgp.ts': "import { speaker } from '../bgp/speaker.js';\nexport const s = speaker;\n",
  'src/datastore/store.ts': 'export const store = 1;\n',
  'src/bgp/speaker.ts': 'export const speaker = 1;\n',
  'src/bgp/stores.ts': "import { store } from '../datastore/store.js';\nexport const s = store;\n",
  'src/bmp/station.ts': 'export const station = 1;\nexport type Topic = "event";\n',
  // The codec reaches the station only through a helper: still a violation.
  'src/bmp/codec/parser.ts': "import { helper } from './helper.js';\nexport const p = helper;\n",
  'src/bmp/codec/helper.ts': "import { station } from '../station.js';\nexport const helper = station;\n",
  'src/cli/runs-bgp.ts': "import { speaker } from '../bgp/speaker.js';\nimport { store } from '../datastore/store.js';\nexport const c = [speaker, store];\n",
  'src/bmp/config.ts': "export const DEBUG_TOPICS = ['event'];\n",
  // Allowed: the agent and main.ts join the planes; the CLI names a BMP type and uses the plane's configuration vocabulary.
  'src/cli/uses-vocabulary.ts': "import { DEBUG_TOPICS } from '../bmp/config.js';\nexport const topics = DEBUG_TOPICS;\n",
  'src/cli/names-topic.ts': "import type { Topic } from '../bmp/station.js';\nexport const t: Topic = 'event';\n",
  'src/agent/agent.ts': "import { speaker } from '../bgp/speaker.js';\nimport { store } from '../datastore/store.js';\nexport const a = [speaker, store];\n",
  'src/main.ts': "import { a } from './agent/agent.js';\nimport { speaker } from './bgp/speaker.js';\nexport const m = [a, speaker];\n",
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bmpd-layers-'));
  for (const [path, text] of Object.entries(TREE)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `depcruise src` with the project's rules, as npm runs it; its exit code and the violations it lists. */
function depcruise(cwd: string): Promise<{ code: number; violations: string[] }> {
  return new Promise((done, fail) => {
    execFile(join(root, 'node_modules/.bin/depcruise'), ['src', '--config', join(root, '.dependency-cruiser.cjs')], { cwd },
      (err, stdout) => {
        if (err && typeof err.code !== 'number') { fail(err); return; }
        const violations = stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('error '));
        done({ code: err ? (err.code as number) : 0, violations });
      });
  });
}

describe('layer rules (.dependency-cruiser.cjs)', () => {
  it('fail the check on a cycle, on each plane reaching into the other, on an impure codec and on a third module joining the planes', async () => {
    const { code, violations } = await depcruise(dir);
    expect(code).not.toBe(0);
    expect(violations).toEqual(expect.arrayContaining([
      expect.stringMatching(/^error no-circular: src\/netconf\/(rpc|session)\.ts →$/),
      'error netconf-plane-stays-out-of-the-agent-and-bgp-plane: src/netconf/speaks-bgp.ts → src/bgp/speaker.ts',
      'error bgp-plane-stays-out-of-the-agent-and-netconf-plane: src/bgp/stores.ts → src/datastore/store.ts',
      'error codecs-stay-pure: src/bmp/codec/parser.ts → src/bmp/station.ts',
      'error only-the-agent-enters-the-bgp-plane: src/cli/runs-bgp.ts → src/bgp/speaker.ts',
    ]));
    // What the rules allow is not reported: the agent and main.ts joining the planes, the CLI naming a type or the config vocabulary.
    expect(violations.filter((v) => /agent\.ts|main\.ts|names-topic|uses-vocabulary/.test(v))).toEqual([]);
  }, 60_000);
});
