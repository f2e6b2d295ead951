// The bmpd module's notifications (bmp-server-state-change,
// bgp-neighbor-state-change) built from engine and speaker events.
import type { BmpServerConfig } from '../bmp/config.js';
import { downReasonText, notificationCodes, type DownReason } from '../bgp/events.js';
import type { NotificationEvent } from '../netconf/notifications.js';
import { textElement as e } from '../netconf/xml.js';
import { BMPD_NAMESPACE } from './oper-state.js';

export function serverNotification(id: number, address: string | null, port: number | null, status: 'up' | 'down',
  reason: string, servers: readonly BmpServerConfig[]): NotificationEvent {
  const server = servers.find((s) => s.id === id);
  const addr = address ?? server?.address ?? null;
  const p = port ?? server?.port ?? null;
  const previous = status === 'up' ? 'connecting' : 'up';
  const xml = `<bmp-server-state-change xmlns="${BMPD_NAMESPACE}">${e('server', id)}${addr ? e('address', addr) : ''}${p ? e('port-number', p) : ''}` +
    `${e('previous-status', previous)}${e('status', status)}${e('reason', reason)}</bmp-server-state-change>`;
  return { namespace: BMPD_NAMESPACE, name: 'bmp-server-state-change', xml };
}

/** A neighbor entered Established (`down` null) or left it (`down` says why). */
export function neighborNotification(address: string, vrf: string | null, down: DownReason | null): NotificationEvent {
  const reason = down ? downReasonText(down) : 'session established';
  const codes = down?.kind === 'local-notification' || down?.kind === 'remote-notification' ? notificationCodes(down.pdu) : null;
  const [from, to] = down ? ['established', 'idle'] : ['openconfirm', 'established'];
  const xml = `<bgp-neighbor-state-change xmlns="${BMPD_NAMESPACE}">${e('address', address)}${vrf ? e('vrf', vrf) : ''}` +
    `${e('previous-state', from)}${e('state', to)}${e('reason', reason)}` +
    `${codes ? e('notification-code', codes.code) + e('notification-subcode', codes.subcode) : ''}</bgp-neighbor-state-change>`;
  return { namespace: BMPD_NAMESPACE, name: 'bgp-neighbor-state-change', xml };
}
