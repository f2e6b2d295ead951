// Issue 10 item 3: sessions take turns request by request. On the unchanged
// agent 200 cheap filters pipelined on one session made another wait 21.5 s:
// one session's queued requests all ran before anyone else's. Here each is a
// linear filter over 10,000 neighbors (tens of ms).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpcXml } from '../nc-client.js';
import { BMPD_NS, startHostileAgent, tenThousandNeighbors, underAttack, type HostileAgent } from './harness.js';

const MiB = 2 ** 20;
let agent: HostileAgent;

beforeAll(async () => { agent = await startHostileAgent([], tenThousandNeighbors()); }, 120_000);
afterAll(async () => agent?.stop());

describe('turn-taking', () => {
  it('200 pipelined filters on one session: all answered in order, the other session served within 1 s throughout', async () => {
    const replies = await underAttack(agent, { replyBoundMs: 60_000, rssBoundBytes: 200 * MiB }, async () => {
      const session = await agent.session();
      try {
        for (let i = 0; i < 200; i++) {
          session.send(rpcXml(`f${i}`, `<get-config><source><running/></source><filter type="xpath" xmlns:b="${BMPD_NS}" select="/b:bgp/b:neighbor[b:remote-as=65002]"/></get-config>`));
        }
        const out: string[] = [];
        for (let i = 0; i < 200; i++) out.push(await session.nextMessage(60_000));
        return out;
      } finally {
        session.end();
      }
    });
    expect(replies.map((r) => /message-id="([^"]*)"/.exec(r)?.[1])).toEqual(Array.from({ length: 200 }, (_, i) => `f${i}`));
    // remote-as 65002 is neighbor i with i % 1000 = 490: ten of them.
    for (const reply of replies) expect(reply.match(/<remote-as>65002<\/remote-as>/g)).toHaveLength(10);
  }, 120_000);
});
