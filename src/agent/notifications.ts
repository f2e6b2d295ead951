// The bmpd module's notifications (bmp-server-state-change,
// bgp-neighbor-state-change) built from engine and speaker events.
import type { BmpServerConfig } from '../bmp/config.js';
import type { DownReason } from '../bgp/events.js';
import type { NotificationEvent } from '../netconf/notifications.js';
import { textElement as e } from '../netconf/xml.js';
import { BMPD_NAMESPACE, notificationCodes } from './oper-state.js';

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
  let reason = 'session established';
  let codes: { code: number; subcode: number } | null = null;
  if (down) {
    switch (down.kind) {
      case 'local-notification': reason = 'NOTIFICATION sent'; codes = notificationCodes(down.pdu); break;
      case 'remote-notification': reason = 'NOTIFICATION received'; codes = notificationCodes(down.pdu); break;
      case 'local-no-notification': reason = `closed locally (FSM event ${down.fsmEvent})`; break;
      case 'remote-closed': reason = 'connection closed by the neighbor'; break;
      case 'deconfigured': reason = 'neighbor removed from the configuration'; break;
    }
  }
  const [from, to] = down ? ['established', 'idle'] : ['openconfirm', 'established'];
  const xml = `<bgp-neighbor-state-change xmlns="${BMPD_NAMESPACE}">${e('address', address)}${vrf ? e('vrf', vrf) : ''}` +
    `${e('previous-state', from)}${e('state', to)}${e('reason', reason)}` +
    `${codes ? e('notification-code', codes.code) + e('notification-subcode', codes.subcode) : ''}</bgp-neighbor-state-change>`;
  return { namespace: BMPD_NAMESPACE, name: 'bgp-neighbor-state-change', xml };
}
