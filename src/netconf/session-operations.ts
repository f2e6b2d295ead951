// RFC 6241 §7.8 close-session and §7.9 kill-session. They act on sessions
// only through the SessionControl of the rpc's own session.
import { child, invalid, text } from './operation-args.js';
import { NETCONF_BASE_NS } from './rpc-error.js';
import type { RpcDispatcher } from './rpc.js';

export function registerSessionOperations(dispatcher: RpcDispatcher): void {
  dispatcher.register(NETCONF_BASE_NS, 'close-session', async ({ control }) => {
    control.closeAfterReply();
    return { ok: true };
  });
  dispatcher.register(NETCONF_BASE_NS, 'kill-session', async ({ session, control, operation }) => {
    // The schema made session-id present and a uint32 1..max (rpc-schema.ts). These operations belong
    // to the server, which runs without a schema in transport tests, so the id is read from the XML.
    // Which sessions exist is not the schema's to say.
    const target = Number(text(child(operation.node, 'session-id')));
    // RFC 6241 §7.9: killing one's own session is an invalid-value error.
    if (target === session.id) throw invalid('session-id', 'a session cannot kill itself; use close-session');
    if (!(await control.kill(target))) throw invalid('session-id', `no session ${target}`);
    return { ok: true };
  });
}
