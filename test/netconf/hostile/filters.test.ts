// Issue 10 item 2: no filter blocks other sessions beyond a bound. On the
// unchanged agent an O(n²) xpath over 10,000 neighbors ran 244 s and four
// nested count(//*) over an empty agent over 60 s, every other session
// waiting. Now each <get>/<get-config>/<get-data> is evaluated in a worker thread that is
// ended at the time limit (2 s here, --netconf-eval-timeout), the request gets
// operation-failed naming the limit, and a fresh worker serves what follows.
// With N workers (--netconf-eval-workers, 3 here) N-1 requests at their limit
// at once still leave one worker for everyone else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpcXml } from '../nc-client.js';
import { errorTag, startHostileAgent, tenThousandNeighbors, underAttack, xpathFilter, type HostileAgent } from './harness.js';

const MiB = 2 ** 20;
let agent: HostileAgent;


beforeAll(async () => { agent = await startHostileAgent(['--netconf-eval-timeout', '2', '--netconf-eval-workers', '3'], tenThousandNeighbors()); }, 120_000);
afterAll(async () => agent?.stop());

const send = (message: string) => agent.send(message);

describe('time-limited filters', () => {
  it('an O(n²) xpath over 10,000 neighbors ends with operation-failed at the 2 s limit', async () => {
    const reply = await underAttack(agent, { replyBoundMs: 6_000, rssBoundBytes: 300 * MiB }, () =>
      send(rpcXml('q', `<get-config><source><running/></source>${xpathFilter(
        '/bmpd:bgp/bmpd:neighbor[count(../bmpd:neighbor[bmpd:remote-as = current()/bmpd:remote-as]) &gt; 100]')}</get-config>`)));
    expect(errorTag(reply)).toBe('operation-failed');
    expect(reply).toContain('message-id="q"');
    expect(reply).toContain('evaluation time limit of 2 s');
  }, 120_000);

  it('four nested count(//*) on <get> end at the limit too', async () => {
    const reply = await underAttack(agent, { replyBoundMs: 6_000, rssBoundBytes: 300 * MiB }, () =>
      send(rpcXml('c', `<get>${xpathFilter('/*[count(//*[count(//*[count(//*[count(//*) &gt;= 0]) &gt;= 0]) &gt;= 0]) &gt;= 0]')}</get>`)));
    expect(errorTag(reply)).toBe('operation-failed');
    expect(reply).toContain('evaluation time limit');
  }, 120_000);

  it('the same O(n²) xpath in a <get-data> of operational (RFC 8526) ends at the limit too', async () => {
    const reply = await underAttack(agent, { replyBoundMs: 6_000, rssBoundBytes: 300 * MiB }, () =>
      send(rpcXml('d', '<get-data xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-nmda" xmlns:ds="urn:ietf:params:xml:ns:yang:ietf-datastores">' +
        '<datastore>ds:operational</datastore><xpath-filter xmlns:bmpd="urn:bmpd:yang:bmpd">' +
        '/bmpd:bgp/bmpd:neighbor[count(../bmpd:neighbor[bmpd:remote-as = current()/bmpd:remote-as]) &gt; 100]</xpath-filter><with-origin/></get-data>')));
    expect(errorTag(reply)).toBe('operation-failed');
    expect(reply).toContain('message-id="d"');
    expect(reply).toContain('evaluation time limit of 2 s');
  }, 120_000);

  it('two hostile sessions at once (of 3 workers): each is cut off, and the probe is still served', async () => {
    const hostile = `<get-config><source><running/></source>${xpathFilter('count(//*[count(//*) &gt; 0]) &gt; 0')}</get-config>`;
    const replies = await underAttack(agent, { replyBoundMs: 10_000, rssBoundBytes: 300 * MiB }, () =>
      Promise.all([send(rpcXml('a', hostile)), send(rpcXml('b', hostile))]));
    for (const reply of replies) expect(errorTag(reply)).toBe('operation-failed');
  }, 120_000);

  it('after a worker was ended, filters work again and see the datastore', async () => {
    const reply = await send(rpcXml('n', `<get-config><source><running/></source>${xpathFilter("/bmpd:bgp/bmpd:neighbor[bmpd:address='127.1.0.7']")}</get-config>`));
    expect(reply).toContain('<address>127.1.0.7</address>');
    expect(reply).toContain('<remote-as>64519</remote-as>');
    expect(reply.match(/<neighbor>/g)).toHaveLength(1);
  }, 60_000);

});
