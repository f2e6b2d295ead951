// RFC 6241 §8.4 confirmed commit (:confirmed-commit:1.1) through
// python3-ncclient against the agent, in real time. Every branch of the logic,
// on a hand-advanced clock (timeouts beyond 2^31 ms included):
// test/netconf/confirmed-commit.test.ts.
import { describe, expect, it } from 'vitest';
import { agentForConformance, type RpcErr } from './ncclient.js';

const { scenario } = agentForConformance();

describe('RFC 6241 §8.4 confirmed commit (ncclient against the agent)', () => {
  it('a confirmed commit without confirmation rolls back after its timeout', async () => {
    const r = await scenario<Record<string, string>>('confirmed-timeout');
    expect(r.during).toContain('CONFIRM-ME');
    expect(r.after_timeout).not.toContain('CONFIRM-ME');
  });

  it('a confirmed commit that is confirmed stays past its original timeout', async () => {
    const r = await scenario<Record<string, string | boolean>>('confirmed-then-confirmed');
    expect(r.during).toContain('CONFIRMED');
    expect(r.confirm).toBe(true);
    expect(r.after_timeout).toContain('CONFIRMED');
  });

  it('a persistent confirmed commit outlives its session and is confirmed by persist-id from another', async () => {
    const r = await scenario<Record<string, string | boolean | RpcErr>>('confirmed-persist');
    expect(r.after_owner_left).toContain('PERSIST');
    expect((r.wrong_id as RpcErr).tag).toBe('invalid-value');
    expect(r.confirm).toBe(true);
    expect(r.after_confirm).toContain('PERSIST');
  });

  it('a non-persistent confirmed commit is rolled back when its session ends', async () => {
    const r = await scenario<Record<string, string>>('confirmed-session-end');
    // The change took effect first, so its absence afterwards is the rollback's doing.
    expect(r.during).toContain('SESSION-BOUND');
    expect(r.after_owner_left).not.toContain('SESSION-BOUND');
  });
});
