// Issue 10, hostile framing: a message sent as one-byte chunks (RFC 6242 §4.2 allows any chunk size)
// costs the decoder five steps per byte of the message. Unbounded, each read of the session's input
// decoded everything buffered in one go (a 2 MB SSH window of one-byte chunks: 150-380 ms of the main
// thread in-process); now the session decodes a bounded number of steps per turn, its input paused
// meanwhile (session.ts FRAMING_STEPS_PER_TURN), and other sessions are answered between.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpcXml } from '../nc-client.js';
import { BMPD_NS, startHostileAgent, underAttack, type HostileAgent } from './harness.js';

const MiB = 2 ** 20;
let agent: HostileAgent;

beforeAll(async () => { agent = await startHostileAgent(); }, 60_000);
afterAll(async () => agent?.stop());

/** RFC 6242 §4.2 framing of `message` as one chunk per byte. */
function oneByteChunks(message: string): Buffer {
  const bytes = Buffer.from(message);
  const wire = Buffer.alloc(bytes.length * 5 + 4);
  for (let i = 0; i < bytes.length; i++) wire.set([0x0a, 0x23, 0x31, 0x0a, bytes[i]!], i * 5);
  wire.write('\n##\n', bytes.length * 5, 'latin1');
  return wire;
}

describe('a message of one-byte chunks', () => {
  it('a 600 kB <get-config> as 3 MB of one-byte chunks: the right reply, the probe served throughout, nothing changed', async () => {
    // A subtree filter selecting as-number, padded with whitespace.
    const padding = `${' '.repeat(600_000)}<as-number/>`;
    const message = rpcXml('tiny-chunks', `<get-config><source><running/></source><filter type="subtree"><bgp xmlns="${BMPD_NS}">${padding}</bgp></filter></get-config>`);
    const wire = oneByteChunks(message);
    expect(wire.length).toBeGreaterThan(3_000_000);
    const reply = await underAttack(agent, { replyBoundMs: 60_000, rssBoundBytes: 200 * MiB }, async () => {
      const session = await agent.session();
      try {
        session.sendRaw(wire);
        return await session.nextMessage(60_000);
      } finally {
        session.end();
      }
    });
    expect(reply).toContain('message-id="tiny-chunks"');
    expect(reply).toContain('<as-number>65000</as-number>');
  }, 120_000);
});
