// RFC 5277 event notifications (create-subscription on the NETCONF stream)
// carrying the RFC 6470 base events, through python3-ncclient against the agent.
import { describe, expect, it } from 'vitest';
import { agentForConformance } from './ncclient.js';

const { scenario } = agentForConformance();

describe('RFC 5277 notifications (ncclient against the agent)', () => {
  it('a subscribed session receives netconf-config-change after another session commits', async () => {
    const r = await scenario<{ notifications: string[]; writer_session: number }>('notification');
    // One netconf-config-change per commit, in order: server 9 (which created /bgp), then server 10.
    const changes = r.notifications.filter((n) => n.includes('netconf-config-change'));
    expect(changes).toHaveLength(2);
    const change = changes[1]!;
    expect(change).toContain(`<session-id>${r.writer_session}</session-id>`);
    expect(change).toContain("bmpd:server[bmpd:id='10']");
    // The writer's session-start came before its changes (RFC 6470).
    const start = r.notifications.findIndex((n) => n.includes('netconf-session-start') && n.includes(`<session-id>${r.writer_session}</session-id>`));
    expect(start).toBeGreaterThanOrEqual(0);
    expect(start).toBeLessThan(r.notifications.indexOf(changes[0]!));
  });
});
