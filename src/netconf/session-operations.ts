// RFC 6241 §7.8 close-session and §7.9 kill-session. They act on sessions
// only through the SessionControl of the rpc's own session.
import { invalid, missing, text } from './operation-args.js';
import { NETCONF_BASE_NS } from './rpc-error.js';
import type { RpcDispatcher } from './rpc.js';

export function registerSessionOperations(dispatcher: RpcDispatcher): void {
  dispatcher.register(NETCONF_BASE_NS, 'close-session', async ({ control }) => {
    control.closeAfterReply();
    return { ok: true };
  });
  dispatcher.register(NETCONF_BASE_NS, 'kill-session', async ({ session, control, operation }) => {
    const idNode = (operation.node.$$ ?? []).find((c) => c.$ns.local === 'session-id' && c.$ns.uri === NETCONF_BASE_NS);
    if (idNode === undefined) throw missing('session-id', 'kill-session needs a session-id');
    const value = text(idNode)!;
    const target = /^[1-9][0-9]{0,9}$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(target) || target > 0xffffffff) throw invalid('session-id', `'${value}' is not a session-id`);
    // RFC 6241 §7.9: killing one's own session is an invalid-value error.
    if (target === session.id) throw invalid('session-id', 'a session cannot kill itself; use close-session');
    if (!(await control.kill(target))) throw invalid('session-id', `no session ${target}`);
    return { ok: true };
  });
}
