// The RPCs of the bmpd module: reset-bmp-server ('clear ip bgp bmp server
// N'), reset-bgp-neighbor ('clear ip bgp X' / 'clear ip bgp X soft in'),
// clear-bmp-counters (zero the counters the show commands print, sessions
// untouched) and debug-bmp ('debug ip bgp bmp event|neighbor|server').
import { neighborKey } from '../bgp/config.js';
import { DEBUG_TOPICS, type DebugTopic } from '../bmp/config.js';
import type { DataPlane } from '../dataplane/data-plane.js';
import { child, invalid, missing, text } from '../netconf/operation-args.js';
import { escapeText } from '../netconf/xml.js';
import { BMPD_NAMESPACE } from './oper-state.js';
import type { RpcDispatcher } from '../netconf/rpc.js';
import type { XmlNode } from '../netconf/xml.js';

/** The RPCs act on the data plane through its channel (src/dataplane/channel.ts). */
export type RpcTarget = Pick<DataPlane, 'request'>;

function topics(node: XmlNode, name: string): DebugTopic[] {
  return (node.$$ ?? []).filter((c) => c.$ns.local === name && c.$ns.uri === BMPD_NAMESPACE).map((c) => {
    const t = (c._ ?? '').trim();
    if (!(DEBUG_TOPICS as readonly string[]).includes(t)) throw invalid(name, `unknown debug topic '${t}'; use event, neighbor or server`);
    return t as DebugTopic;
  });
}

export function registerBmpdRpcs(dispatcher: RpcDispatcher, target: RpcTarget): void {
  dispatcher.register(BMPD_NAMESPACE, 'reset-bmp-server', async ({ operation }) => {
    const value = text(child(operation.node, 'server', BMPD_NAMESPACE));
    if (value === undefined) throw missing('server', 'reset-bmp-server needs a server');
    const id = Number(value);
    // The model: a configured server that is not activated is left alone (ok, nothing happens).
    if (!Number.isInteger(id) || await target.request({ op: 'reset-server', server: id }) === 'not-configured') throw invalid('server', `no BMP server ${value} is configured`);
    return { ok: true };
  });

  dispatcher.register(BMPD_NAMESPACE, 'reset-bgp-neighbor', async ({ operation }) => {
    const address = text(child(operation.node, 'address', BMPD_NAMESPACE));
    if (address === undefined) throw missing('address', 'reset-bgp-neighbor needs an address');
    const vrf = text(child(operation.node, 'vrf', BMPD_NAMESPACE)) ?? null;
    const mode = text(child(operation.node, 'mode', BMPD_NAMESPACE)) ?? 'hard';
    if (mode !== 'hard' && mode !== 'soft-in') throw invalid('mode', `mode must be hard or soft-in, not '${mode}'`);
    const key = neighborKey(vrf, address);
    if (!await target.request({ op: 'reset-neighbor', neighbor: key, soft: mode === 'soft-in' })) {
      throw invalid('address', `no neighbor ${address}${vrf ? ` in VRF ${vrf}` : ''} is configured${mode === 'soft-in' ? ' and up with route-refresh' : ''}`);
    }
    return { ok: true };
  });

  dispatcher.register(BMPD_NAMESPACE, 'clear-bmp-counters', async ({ operation }) => {
    const value = text(child(operation.node, 'server', BMPD_NAMESPACE));
    const id = value === undefined ? undefined : Number(value);
    if (id !== undefined && (!Number.isInteger(id) || !await target.request({ op: 'clear-counters', server: id }))) {
      throw invalid('server', `no BMP server ${value} is configured`);
    }
    if (id === undefined) await target.request({ op: 'clear-counters' });
    return { ok: true };
  });

  dispatcher.register(BMPD_NAMESPACE, 'debug-bmp', async ({ operation }) => {
    const on = await target.request({ op: 'set-debug', enable: topics(operation.node, 'enable'), disable: topics(operation.node, 'disable') });
    return { xml: on.map((t) => `<enabled xmlns="${BMPD_NAMESPACE}">${escapeText(t)}</enabled>`).join('') };
  });
}
