// Issue 10 item 2, the heavy but honest case: <get> with //* over 10,000
// neighbors and their state (2.4 MB of reply) is computed in a worker thread;
// the main thread only builds the state, and another session keeps being
// served meanwhile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpcXml } from '../nc-client.js';
import { NEIGHBORS, errorTag, startHostileAgent, tenThousandNeighbors, underAttack, xpathFilter, type HostileAgent } from './harness.js';

const MiB = 2 ** 20;
let agent: HostileAgent;

beforeAll(async () => { agent = await startHostileAgent([], tenThousandNeighbors()); }, 120_000);
afterAll(async () => agent?.stop());

describe('a large <get>', () => {
  it('//* over 10,000 neighbors and their state is answered, the probe served meanwhile', async () => {
    const reply = await underAttack(agent, { replyBoundMs: 30_000, rssBoundBytes: 400 * MiB }, async () => {
      const session = await agent.session();
      try {
        return await session.rpc(rpcXml('all', `<get>${xpathFilter('//*')}</get>`), 60_000);
      } finally {
        session.end();
      }
    });
    expect(errorTag(reply)).toBeUndefined();
    expect(reply.match(/<address>127\.1\./g)?.length).toBeGreaterThanOrEqual(NEIGHBORS);
    expect(reply).toContain('<session-state>');
  }, 120_000);
});
