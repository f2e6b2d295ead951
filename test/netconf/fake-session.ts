// The SessionInfo a subscription or notification unit test hands the code under test: an established
// admin session whose notifications are pushed onto `sent`. What a test varies (its id, how much
// output it has queued, what drop() does) comes in `extra`, whose getters are kept as getters.
import type { SessionInfo } from '../../src/netconf/session-control.js';

export function fakeSession(sent: string[], extra: object = {}): SessionInfo {
  const session = {
    id: 9, username: 'admin', groups: [], sourceHost: '127.0.0.1', sourcePort: 4000, transport: 'netconf-ssh',
    loginTime: new Date(), counters: { inRpcs: 0, inBadRpcs: 0, outRpcErrors: 0, outNotifications: 0 },
    state: 'established', baseVersion: '1.1', clientCapabilities: [],
    sendNotification: (xml: string) => { sent.push(xml); return true; },
    setIdleTimeoutExempt: () => {},
    queuedOutputBytes: 0,
  };
  return Object.defineProperties(session, Object.getOwnPropertyDescriptors(extra)) as unknown as SessionInfo;
}
