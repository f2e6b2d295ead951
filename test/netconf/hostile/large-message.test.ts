// Issue 10 item 3, the parse of a large message: sax reads about 2–5 MB/s on
// the 2-core machine, so a 14 MB edit-config whose flaw sits in its last bytes
// kept the main thread for seconds, and every other session waited. It is now
// parsed in slices with other sessions' turns between them (xml.ts
// parseXmlMessageSliced): the probe is answered throughout, the message gets
// malformed-message once sax reaches the flaw, and nothing changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpcXml } from '../nc-client.js';
import { BMPD_NS, errorTag, startHostileAgent, underAttack, type HostileAgent } from './harness.js';

const MiB = 2 ** 20;
let agent: HostileAgent;

beforeAll(async () => { agent = await startHostileAgent(); }, 60_000);
afterAll(async () => agent?.stop());

describe('a large message', () => {
  it('an edit-config of 100,000 neighbors, not well-formed at its end: malformed-message, the probe served meanwhile', async () => {
    const neighbors: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      neighbors.push(`<neighbor><address>127.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}</address><remote-as>${64512 + (i % 1000)}</remote-as>` +
        `<description>neighbor ${i}</description><shutdown/></neighbor>`);
    }
    // The last neighbor's end tag does not match: only a parse to the end finds it.
    const config = `<bgp xmlns="${BMPD_NS}"><as-number>65000</as-number>${neighbors.join('')}<neighbor><address>127.9.9.9</address></neighbour></bgp>`;
    const message = rpcXml('large', `<edit-config><target><candidate/></target><config>${config}</config></edit-config>`);
    expect(message.length).toBeGreaterThan(12_000_000);
    const reply = await underAttack(agent, { replyBoundMs: 60_000, rssBoundBytes: 400 * MiB }, async () => {
      const session = await agent.session();
      try {
        return await session.rpc(message, 90_000);
      } finally {
        session.end();
      }
    });
    expect(errorTag(reply)).toBe('malformed-message');
    expect(reply).toContain('message is not well-formed');
  }, 180_000);
});
