// The RPCs of the bmpd module: reset-bmp-server ('clear ip bgp bmp server
// N'), reset-bgp-neighbor ('clear ip bgp X' / 'clear ip bgp X soft in'),
// clear-bmp-counters (zero the counters the show commands print, sessions
// untouched) and debug-bmp ('debug ip bgp bmp event|neighbor|server').
import { neighborKey } from '../bgp/config.js';
import type { DebugTopic } from '../bmp/config.js';
import type { DataPlane } from '../dataplane/data-plane.js';
import { invalid } from '../netconf/operation-args.js';
import { escapeText } from '../netconf/xml.js';
import { BMPD_NAMESPACE } from './oper-state.js';
import type { RpcDispatcher } from '../netconf/rpc.js';

/** The RPCs act on the data plane through its channel (src/dataplane/channel.ts). */
export type RpcTarget = Pick<DataPlane, 'request'>;

// Inputs come judged by the model (netconf/rpc-schema.ts): types, enumerations, mandatory leaves, and the
// leafrefs of server and vrf against running. What is left here is what only the engine and the speaker
// know: whether a server or a neighbor is live there.
export function registerBmpdRpcs(dispatcher: RpcDispatcher, target: RpcTarget): void {
  dispatcher.register(BMPD_NAMESPACE, 'reset-bmp-server', async ({ input }) => {
    const id = input['server'] as number;
    // The model: a configured server that is not activated is left alone (ok, nothing happens).
    // Running has it (the leafref), but the engine may not have applied it yet.
    if (await target.request({ op: 'reset-server', server: id }) === 'not-configured') throw invalid('server', `no BMP server ${id} is configured`);
    return { ok: true };
  });

  dispatcher.register(BMPD_NAMESPACE, 'reset-bgp-neighbor', async ({ input }) => {
    const address = input['address'] as string;
    const vrf = (input['vrf'] as string | undefined) ?? null;
    const mode = input['mode'] as 'hard' | 'soft-in'; // default hard
    const key = neighborKey(vrf, address);
    if (!await target.request({ op: 'reset-neighbor', neighbor: key, soft: mode === 'soft-in' })) {
      throw invalid('address', `no neighbor ${address}${vrf ? ` in VRF ${vrf}` : ''} is configured${mode === 'soft-in' ? ' and up with route-refresh' : ''}`);
    }
    return { ok: true };
  });

  dispatcher.register(BMPD_NAMESPACE, 'clear-bmp-counters', async ({ input }) => {
    const id = input['server'] as number | undefined;
    if (id !== undefined && !await target.request({ op: 'clear-counters', server: id })) throw invalid('server', `no BMP server ${id} is configured`);
    if (id === undefined) await target.request({ op: 'clear-counters' });
    return { ok: true };
  });

  dispatcher.register(BMPD_NAMESPACE, 'debug-bmp', async ({ input }) => {
    const topics = (name: string) => (input[name] as DebugTopic[] | undefined) ?? [];
    const on = await target.request({ op: 'set-debug', enable: topics('enable'), disable: topics('disable') });
    // RFC 7950 §7.14.4: a reply without output parameters is <ok/>.
    if (on.length === 0) return { ok: true };
    return { xml: on.map((t) => `<enabled xmlns="${BMPD_NAMESPACE}">${escapeText(t)}</enabled>`).join('') };
  });
}
