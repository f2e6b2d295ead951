// RFC 6241 §7.8 close-session and §7.9 kill-session (src/netconf/session-operations.ts)
// need nothing of the server but the rpc's own SessionControl: here a recording one,
// behind a dispatcher that judges parameters with the agent's schema (rpc-schema.ts).
// Over real sessions and their channels: test/netconf/session.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { NETCONF_BASE_NS } from '../../src/netconf/rpc-error.js';
import { OperationSchema } from '../../src/netconf/rpc-schema.js';
import { RpcDispatcher, readRpc } from '../../src/netconf/rpc.js';
import type { SessionControl, SessionInfo } from '../../src/netconf/session-control.js';
import { registerSessionOperations } from '../../src/netconf/session-operations.js';
import { parseXmlMessage } from '../../src/netconf/xml.js';
import { loadYangModel } from '../../src/yang/model.js';

const OWN_ID = 4;
let schema: OperationSchema;
beforeAll(async () => {
  const { context } = await loadYangModel();
  const running = context.emptyTree();
  schema = new OperationSchema(context, () => running);
});

/** Dispatches `operation` on session OWN_ID, with live sessions `others`; what the reply said and what was asked of SessionControl. */
async function run(operation: string, others: readonly number[] = []): Promise<{ reply: string; calls: string[] }> {
  const dispatcher = new RpcDispatcher();
  dispatcher.schema = schema;
  registerSessionOperations(dispatcher);
  const calls: string[] = [];
  const control: SessionControl = {
    closeAfterReply: () => { calls.push('closeAfterReply'); },
    kill: async (id) => { calls.push(`kill ${id}`); return others.includes(id); },
  };
  const read = readRpc(parseXmlMessage(`<rpc xmlns="${NETCONF_BASE_NS}" message-id="1">${operation}</rpc>`));
  if (read.kind !== 'rpc') throw new Error('not an rpc');
  const session = { id: OWN_ID } as SessionInfo;
  const { body } = await dispatcher.dispatch({ session, control, operation: read.rpc.operation, rpc: read.rpc });
  return { reply: body, calls };
}

const killSession = (id: string) => `<kill-session><session-id>${id}</session-id></kill-session>`;

describe('close-session and kill-session through SessionControl', () => {
  it('close-session answers ok and asks to close after the reply', async () => {
    expect(await run('<close-session/>')).toEqual({ reply: '<ok/>', calls: ['closeAfterReply'] });
  });

  it('kill-session ends the named session', async () => {
    expect(await run(killSession('9'), [9])).toEqual({ reply: '<ok/>', calls: ['kill 9'] });
  });

  it('kill-session of a session that does not exist is invalid-value', async () => {
    const { reply, calls } = await run(killSession('9'), [10]);
    expect(calls).toEqual(['kill 9']);
    expect(reply).toContain('<error-tag>invalid-value</error-tag>');
    expect(reply).toContain('no session 9');
  });

  it('kill-session of its own session is invalid-value and kills nothing (RFC 6241 §7.9)', async () => {
    const { reply, calls } = await run(killSession(String(OWN_ID)), [OWN_ID]);
    expect(calls).toEqual([]);
    expect(reply).toContain('<error-tag>invalid-value</error-tag>');
    expect(reply).toContain('<bad-element>session-id</bad-element>');
  });

  it.each(['0', 'abc', '4294967296', '-1', ''])('kill-session of session-id %j is invalid-value (the schema\'s uint32 1..max) and kills nothing', async (id) => {
    const { reply, calls } = await run(killSession(id), [0]);
    expect(calls).toEqual([]);
    expect(reply).toContain('<error-tag>invalid-value</error-tag>');
  });

  it('kill-session without a session-id is missing-element', async () => {
    const { reply, calls } = await run('<kill-session/>');
    expect(calls).toEqual([]);
    expect(reply).toContain('<error-tag>missing-element</error-tag>');
    expect(reply).toContain('<bad-element>session-id</bad-element>');
  });
});
