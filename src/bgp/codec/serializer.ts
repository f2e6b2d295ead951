/** Typed BGP messages → bytes (whole messages including the 19-octet header). */
import type { NotificationFields, OpenFields, RouteRefreshFields, SessionCodecOptions, UpdateFields } from './messages.js';

export function encodeOpen(_open: OpenFields): Buffer {
  throw new Error('not implemented');
}
export function encodeUpdate(_update: UpdateFields, _options: Pick<SessionCodecOptions, 'fourOctetAs'>): Buffer {
  throw new Error('not implemented');
}
export function encodeNotification(_notification: NotificationFields): Buffer {
  throw new Error('not implemented');
}
export function encodeKeepalive(): Buffer {
  throw new Error('not implemented');
}
export function encodeRouteRefresh(_refresh: RouteRefreshFields): Buffer {
  throw new Error('not implemented');
}
