// Issue 10 item 2 for the datastores: a large write's parse, edit and validation are made first in an
// evaluation worker under the write time limit (1 s here, --netconf-write-timeout), so a write that would
// hold libyang longer ends in operation-failed naming the limit, with every datastore byte-identical
// and another session served throughout.
//
// What makes validation expensive in bmpd's model: each neighbor without a remote-as of its own
// evaluates the must "remote-as or /bgp/peer-group[name = current()/peer-group]/remote-as" and the
// peer-group leafref, over every peer-group. libyang finds a list entry by its key through a hash, so
// this stays linear (4,000 neighbors × 4,000 peer-groups validate in about 0.3 s, as 1,000 × 1,000
// do); unique "rd" over thousands of VRFs is linear too. The worst legitimate-size write is then the
// largest one: here 60,000 such neighbors over 1,000 peer-groups (5 MB, over 2 s of libyang work on
// an idle machine).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpcXml } from '../nc-client.js';
import { BMPD_NS, errorTag, startHostileAgent, underAttack, type HostileAgent } from './harness.js';

const MiB = 2 ** 20;
const NEIGHBORS = 60_000;
const PEER_GROUPS = 1_000;
let agent: HostileAgent;

beforeAll(async () => { agent = await startHostileAgent(['--netconf-write-timeout', '1']); }, 120_000);
afterAll(async () => agent?.stop());

function inheritingNeighbors(): string {
  const parts: string[] = [];
  for (let g = 0; g < PEER_GROUPS; g++) parts.push(`<peer-group><name>G${g}</name><remote-as>${64512 + g}</remote-as></peer-group>`);
  for (let i = 0; i < NEIGHBORS; i++) {
    parts.push(`<neighbor><address>127.${2 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}</address><peer-group>G${i % PEER_GROUPS}</peer-group><shutdown/></neighbor>`);
  }
  return `<bgp xmlns="${BMPD_NS}">${parts.join('')}</bgp>`;
}

const send = (message: string) => agent.send(message);

describe('time-limited validation of large writes', () => {
  it.each([
    ['edit-config of candidate', (config: string) => `<edit-config><target><candidate/></target><config>${config}</config></edit-config>`],
    ['edit-config of running', (config: string) => `<edit-config><target><running/></target><config>${config}</config></edit-config>`],
    ['validate of inline config', (config: string) => `<validate><source><config>${config}</config></source></validate>`],
  ])('%s with 60,000 inheriting neighbors ends with operation-failed at the 1 s limit', async (_, rpc) => {
    const config = inheritingNeighbors();
    expect(config.length).toBeGreaterThan(MiB);
    const reply = await underAttack(agent, { replyBoundMs: 20_000, rssBoundBytes: 400 * MiB }, () => send(rpcXml('w', rpc(config))));
    expect(errorTag(reply)).toBe('operation-failed');
    expect(reply).toContain('message-id="w"');
    expect(reply).toContain('write time limit of 1 s (netconf-write-timeout)');
    expect(reply).toContain('nothing was changed');
    // The log says which write, how large, and the limit.
    expect(agent.agent.logs).toContainEqual(expect.objectContaining({
      msg: 'write over its time limit: refused, its worker is replaced', limitMs: 1000, bytes: config.length,
    }));
  }, 120_000);

  it('a large edit within the limit is made as before', async () => {
    const parts: string[] = [];
    // Over the large-edit size (1 MiB) in long descriptions: few entries (descriptions of the longest length allowed), well within 1 s of libyang work.
    for (let i = 0; i < 7_500; i++) {
      parts.push(`<neighbor><address>127.3.${i >> 8}.${i & 255}</address><remote-as>65001</remote-as><description>${'d'.repeat(80)}</description><shutdown/></neighbor>`);
    }
    const config = `<bgp xmlns="${BMPD_NS}">${parts.join('')}</bgp>`;
    expect(config.length).toBeGreaterThan(MiB);
    const reply = await send(rpcXml('ok', `<edit-config><target><candidate/></target><config>${config}</config></edit-config>`));
    expect(errorTag(reply)).toBeUndefined();
    const candidate = await send(rpcXml('c', `<get-config><source><candidate/></source><filter type="subtree"><bgp xmlns="${BMPD_NS}"><neighbor><address>127.3.15.39</address></neighbor></bgp></filter></get-config>`));
    expect(candidate).toContain('127.3.15.39');
    expect(await send(rpcXml('d', '<discard-changes/>'))).toContain('<ok/>');
  }, 120_000);
});
