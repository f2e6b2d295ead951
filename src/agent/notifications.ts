// The bmpd module's notifications (bmp-server-state-change,
// bgp-neighbor-state-change) built from engine and speaker events.
import type { BmpServerConfig } from '../bmp/config.js';
import { downReasonText, notificationCodes, type DownReason } from '../bgp/events.js';
import { isIPv6 } from 'node:net';
import type { DataNodeRef, NotificationEvent } from '../netconf/notifications.js';
import { textElement as e } from '../netconf/xml.js';
import { neighborPath } from './config-snapshot.js';
import { BMPD_NAMESPACE } from './oper-state.js';

const SERVER_SCHEMA = '/bmpd:bgp/bmpd:bmp/bmpd:server';
const NEIGHBOR_SCHEMA = '/bmpd:bgp/bmpd:neighbor';
const VRF_NEIGHBOR_SCHEMA = '/bmpd:bgp/bmpd:vrf/bmpd:address-family/bmpd:neighbor';

export function serverNotification(id: number, address: string | null, port: number | null, status: 'up' | 'down',
  reason: string, servers: readonly BmpServerConfig[]): NotificationEvent {
  const server = servers.find((s) => s.id === id);
  const addr = address ?? server?.address ?? null;
  const p = port ?? server?.port ?? null;
  const previous = status === 'up' ? 'connecting' : 'up';
  const xml = `<bmp-server-state-change xmlns="${BMPD_NAMESPACE}">${e('server', id)}${addr ? e('address', addr) : ''}${p ? e('port-number', p) : ''}` +
    `${e('previous-status', previous)}${e('status', status)}${e('reason', reason)}</bmp-server-state-change>`;
  // The server's list entry: a reader who may not read it learns nothing of it (RFC 8341 §3.4.6).
  const refersTo: DataNodeRef[] = [{ path: `/bmpd:bgp/bmp/server[id='${id}']`, schemaPath: SERVER_SCHEMA }];
  return { namespace: BMPD_NAMESPACE, name: 'bmp-server-state-change', xml, refersTo };
}

/**
 * A neighbor entered Established (`down` null) or left it (`down` says why). `afi` is the VRF address
 * family whose list holds a VRF neighbor, when running still has it.
 */
export function neighborNotification(address: string, vrf: string | null, down: DownReason | null, afi?: 'ipv4' | 'ipv6'): NotificationEvent {
  const reason = down ? downReasonText(down) : 'session established';
  const codes = down?.kind === 'local-notification' || down?.kind === 'remote-notification' ? notificationCodes(down.pdu) : null;
  const [from, to] = down ? ['established', 'idle'] : ['openconfirm', 'established'];
  const xml = `<bgp-neighbor-state-change xmlns="${BMPD_NAMESPACE}">${e('address', address)}${vrf ? e('vrf', vrf) : ''}` +
    `${e('previous-state', from)}${e('state', to)}${e('reason', reason)}` +
    `${codes ? e('notification-code', codes.code) + e('notification-subcode', codes.subcode) : ''}</bgp-neighbor-state-change>`;
  // The neighbor's list entry (RFC 8341 §3.4.6). A VRF neighbor no longer in running is taken to have
  // sat under the address family of its address ('address-family ipv4 vrf' holds IPv4 neighbors).
  const refersTo: DataNodeRef[] = [vrf === null
    ? { path: neighborPath({ kind: 'global', address }), schemaPath: NEIGHBOR_SCHEMA }
    : { path: neighborPath({ kind: 'vrf', vrf, afi: afi ?? (isIPv6(address) ? 'ipv6' : 'ipv4'), address }), schemaPath: VRF_NEIGHBOR_SCHEMA }];
  return { namespace: BMPD_NAMESPACE, name: 'bgp-neighbor-state-change', xml, refersTo };
}
