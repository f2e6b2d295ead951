/**
 * Bytes → typed BGP messages. BgpMessageReader cuts a TCP byte stream into
 * messages; the decode* functions are pure.
 */
import type {
  BgpFrame,
  BgpMessage,
  KeepaliveMessage,
  NotificationMessage,
  OpenMessage,
  RouteRefreshMessage,
  SessionCodecOptions,
  UpdateMessage,
} from './messages.js';

export interface BgpMessageReaderOptions {
  /** 4096 unless RFC 8654 extended messages were negotiated. */
  readonly maxMessageLength?: number;
}

export class BgpMessageReader {
  constructor(_options: BgpMessageReaderOptions = {}) {
    throw new Error('not implemented');
  }

  /** Append a chunk; return every complete message. Throws BgpProtocolError on a header error. */
  push(_chunk: Buffer): BgpFrame[] {
    throw new Error('not implemented');
  }

  /** Octets held waiting for the rest of a message. */
  get bufferedLength(): number {
    throw new Error('not implemented');
  }
}

export function decodeMessage(_frame: BgpFrame, _options: SessionCodecOptions): BgpMessage {
  throw new Error('not implemented');
}
export function decodeOpen(_raw: Buffer): OpenMessage {
  throw new Error('not implemented');
}
export function decodeUpdate(_raw: Buffer, _options: SessionCodecOptions): UpdateMessage {
  throw new Error('not implemented');
}
export function decodeNotification(_raw: Buffer): NotificationMessage {
  throw new Error('not implemented');
}
export function decodeKeepalive(_raw: Buffer): KeepaliveMessage {
  throw new Error('not implemented');
}
export function decodeRouteRefresh(_raw: Buffer): RouteRefreshMessage {
  throw new Error('not implemented');
}
