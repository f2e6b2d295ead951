import { describe, expect, it } from 'vitest';
import { neighborNotification } from '../../src/agent/notifications.js';
import { encodeNotification } from '../../src/bgp/codec/index.js';
import { downReasonText, type DownReason } from '../../src/bgp/events.js';

const reasonOf = (xml: string): string | undefined => /<reason>([^<]*)<\/reason>/.exec(xml)?.[1];

describe('bgp-neighbor-state-change', () => {
  const cease = encodeNotification({ code: 6, subcode: 4, data: Buffer.alloc(0) });
  const reasons: DownReason[] = [
    { kind: 'local-notification', pdu: cease },
    { kind: 'remote-notification', pdu: cease },
    { kind: 'local-no-notification', fsmEvent: 10 },
    { kind: 'remote-closed' },
    { kind: 'deconfigured' },
  ];

  it.each(reasons)('words a $kind down reason as the neighbor\'s last-down-reason does', (down) => {
    const xml = neighborNotification('127.0.3.1', null, down).xml;
    expect(reasonOf(xml)).toBe(downReasonText(down));
    const withCodes = down.kind === 'local-notification' || down.kind === 'remote-notification';
    expect(xml.includes('<notification-code>6</notification-code><notification-subcode>4</notification-subcode>')).toBe(withCodes);
  });

  it('says an established session is established, with no NOTIFICATION codes', () => {
    const xml = neighborNotification('127.0.3.1', null, null).xml;
    expect(reasonOf(xml)).toBe('session established');
    expect(xml).not.toContain('notification-code');
  });
});
