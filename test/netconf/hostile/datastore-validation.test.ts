// Issue 10 item 2 for a datastore's whole validation: <validate> of candidate, and a <commit> of a
// candidate left not known valid by an edit-config with test-option=set, are validated in an evaluation
// worker under the write time limit (1 s here, --netconf-write-timeout), so a costly validation ends in
// operation-failed naming the limit, with every datastore byte-identical and another session served
// throughout. And the workers are shared fairly: writes and validations hold at most one of them, and
// the agent has three by default, so a long write and an expensive filter at once still leave one to
// everyone else's reads.
//
// The costly validation is the large-edit suite's (large-edit-validation.test.ts), larger: 100,000
// neighbors inheriting remote-as from 1,000 peer-groups, whose must and leafref are about 1.2 s of
// libyang work on an idle machine. With 60,000 (0.7–0.8 s in-process) a <validate>, which prints no
// result, sometimes finished within the 1 s limit on a quiet machine and got <ok/>.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpcXml } from '../nc-client.js';
import { BMPD_NS, errorTag, ok, startHostileAgent, underAttack, xpathFilter, type HostileAgent } from './harness.js';

const MiB = 2 ** 20;
const NEIGHBORS = 100_000;
const PEER_GROUPS = 1_000;
let agent: HostileAgent;

const COMMIT = rpcXml('commit', '<commit/>');
const VALIDATE = rpcXml('validate', '<validate><source><candidate/></source></validate>');
/** Nested count(//*) over candidate's 100,000 neighbors: runs until the evaluation limit (3 s here). */
const FILTER = rpcXml('filter', `<get-config><source><candidate/></source>${xpathFilter('count(//*[count(//*) &gt; 0]) &gt; 0')}</get-config>`);

/**
 * The peer-groups, then the neighbors in edits under the large-edit size (1 MiB): a large one would have
 * its parse and edit made in a worker first, under the same 1 s limit, which they exceed too.
 */
function inheritingNeighborEdits(): string[] {
  const groups: string[] = [];
  for (let g = 0; g < PEER_GROUPS; g++) groups.push(`<peer-group><name>G${g}</name><remote-as>${64512 + g}</remote-as></peer-group>`);
  const edits = [groups.join('')];
  for (let first = 0; first < NEIGHBORS; first += 10_000) {
    const neighbors: string[] = [];
    for (let i = first; i < first + 10_000; i++) {
      neighbors.push(`<neighbor><address>127.${2 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}</address><peer-group>G${i % PEER_GROUPS}</peer-group><shutdown/></neighbor>`);
    }
    edits.push(neighbors.join(''));
  }
  return edits.map((inner) => `<bgp xmlns="${BMPD_NS}">${inner}</bgp>`);
}

beforeAll(async () => {
  // The default number of evaluation workers: the fairness case relies on it.
  agent = await startHostileAgent(['--netconf-write-timeout', '1', '--netconf-eval-timeout', '3']);
  // test-option=set: candidate is edited without validation, and stays not known valid.
  const session = await agent.session();
  for (const config of inheritingNeighborEdits()) {
    expect(config.length).toBeLessThan(MiB);
    ok(await session.rpc(rpcXml('set', `<edit-config><target><candidate/></target><test-option>set</test-option><config>${config}</config></edit-config>`), 60_000));
  }
  session.end();
}, 120_000);
afterAll(async () => agent?.stop());

const send = (message: string) => agent.send(message);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function expectValidationOverLimit(reply: string): void {
  expect(errorTag(reply)).toBe('operation-failed');
  expect(reply).toContain('the validation of the candidate datastore exceeded the write time limit of 1 s (netconf-write-timeout)');
  expect(reply).toContain('nothing was changed');
}

describe('time-limited validation of a datastore', () => {
  it.each([
    ['commit of a candidate edited with test-option=set', COMMIT],
    ['validate of candidate', VALIDATE],
  ])('%s with 100,000 inheriting neighbors ends with operation-failed at the 1 s limit', async (_, rpc) => {
    const logged = agent.agent.logs.length;
    const reply = await underAttack(agent, { replyBoundMs: 20_000, rssBoundBytes: 600 * MiB }, () => send(rpc));
    expectValidationOverLimit(reply);
    expect(agent.agent.logs.slice(logged)).toContainEqual(expect.objectContaining({
      msg: 'validation of a datastore over the write time limit: refused, its worker is replaced', limitMs: 1000, datastore: 'candidate',
    }));
  }, 120_000);

  it('a commit, an expensive filter and a validate at once: each is cut off, and another session\'s reads are served throughout', async () => {
    const [writer, reader, validator] = await Promise.all([agent.session(), agent.session(), agent.session()]);
    try {
      const replies = await underAttack(agent, { replyBoundMs: 40_000, rssBoundBytes: 600 * MiB }, async () => {
        // The commit's validation takes a worker first, then the filter another: with two workers
        // nothing would be left to the probe. The validate waits for the commit's worker (one write at
        // a time), or it would take the third.
        const commit = writer.rpc(COMMIT, 60_000);
        await sleep(300);
        const filter = reader.rpc(FILTER, 60_000);
        await sleep(300);
        return Promise.all([commit, filter, validator.rpc(VALIDATE, 60_000)]);
      });
      expectValidationOverLimit(replies[0]);
      expect(errorTag(replies[1])).toBe('operation-failed');
      expect(replies[1]).toContain('evaluation time limit of 3 s (netconf-eval-timeout)');
      expectValidationOverLimit(replies[2]);
    } finally {
      for (const session of [writer, reader, validator]) session.end();
    }
  }, 120_000);

  it('candidate made valid again commits, validated in the worker, and running gets its defaults', async () => {
    ok(await send(rpcXml('d', '<discard-changes/>')));
    ok(await send(rpcXml('s', `<edit-config><target><candidate/></target><test-option>set</test-option><config><bgp xmlns="${BMPD_NS}"><neighbor><address>127.0.40.9</address><remote-as>65009</remote-as><shutdown/></neighbor></bgp></config></edit-config>`)));
    ok(await send(VALIDATE));
    ok(await send(COMMIT));
    const running = await send(rpcXml('r', `<get-config><source><running/></source><with-defaults xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults">report-all</with-defaults></get-config>`));
    expect(running).toContain('<address>127.0.40.9</address>');
    expect(running).toMatch(/<port>179<\/port>/);
  }, 60_000);
});
