// Issue 10 item 3: sessions take turns request by request. On the unchanged
// agent 200 cheap filters pipelined on one session made another wait 21.5 s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpcXml } from '../nc-client.js';
import { BMPD_NS, startHostileAgent, underAttack, type HostileAgent } from './harness.js';

const MiB = 2 ** 20;
let agent: HostileAgent;

beforeAll(async () => { agent = await startHostileAgent(); }, 60_000);
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
    for (const reply of replies) expect(reply).toContain('<address>127.0.40.3</address>');
  }, 120_000);
});
