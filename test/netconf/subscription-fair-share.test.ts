// The subscriptions' share of the evaluation workers (src/netconf/subscriptions/fair-share.ts): one
// user with many distinct filters holds at most one evaluation at a time, users are served in turn,
// the share never takes every worker, and equal reads are joined only when no change came since
// they began.
import { describe, expect, it } from 'vitest';
import { FairShare } from '../../src/netconf/subscriptions/fair-share.js';

/** Evaluations started and not yet finished, each finished by the test. */
class Workers {
  readonly running: { user: string; key: string; finish(xml: string): void }[] = [];
  readonly started: string[] = [];
  run(user: string, key: string): () => Promise<string> {
    return () => new Promise((resolve) => {
      this.started.push(key);
      this.running.push({ user, key, finish: resolve });
    });
  }
  async finish(key: string, xml = key): Promise<void> {
    const at = this.running.findIndex((r) => r.key === key);
    if (at < 0) throw new Error(`${key} is not running`);
    this.running.splice(at, 1)[0]!.finish(xml);
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
}

describe('FairShare', () => {
  it('one user\'s 32 distinct filters run one at a time; another user\'s read runs in the other slot at once', async () => {
    const workers = new Workers();
    const share = new FairShare(2, () => 0);
    const hostile = Array.from({ length: 32 }, (_, i) => share.read('mallory', `m${i}`, workers.run('mallory', `m${i}`)));
    expect(workers.running.map((r) => r.key)).toEqual(['m0']);
    const alice = share.read('alice', 'a', workers.run('alice', 'a'));
    expect(workers.running.map((r) => r.key)).toEqual(['m0', 'a']);
    await workers.finish('a');
    expect((await alice).xml).toBe('a');
    for (let i = 0; i < 32; i++) {
      expect(workers.running.map((r) => r.key)).toEqual([`m${i}`]);
      await workers.finish(`m${i}`);
    }
    expect((await Promise.all(hostile)).map((r) => r.xml)).toEqual(Array.from({ length: 32 }, (_, i) => `m${i}`));
    expect(share.pending).toBe(0);
  });

  it('with one slot, users take turns: a read of another user waits for at most the one of the busy user\'s that runs', async () => {
    const workers = new Workers();
    const share = new FairShare(1, () => 0);
    for (let i = 0; i < 5; i++) void share.read('mallory', `m${i}`, workers.run('mallory', `m${i}`));
    void share.read('alice', 'a', workers.run('alice', 'a'));
    void share.read('bob', 'b', workers.run('bob', 'b'));
    for (const key of ['m0', 'a', 'b', 'm1']) await workers.finish(key);
    // alice asks again while mallory's next waits: served before mallory, who was served last
    void share.read('alice', 'a2', workers.run('alice', 'a2'));
    for (const key of ['m2', 'a2', 'm3', 'm4']) await workers.finish(key);
    expect(workers.started).toEqual(['m0', 'a', 'b', 'm1', 'm2', 'a2', 'm3', 'm4']);
  });

  it('a slot count under 1 still serves one read at a time (one worker: the subscriptions share it)', async () => {
    const workers = new Workers();
    const share = new FairShare(0, () => 0);
    void share.read('alice', 'a', workers.run('alice', 'a'));
    void share.read('bob', 'b', workers.run('bob', 'b'));
    expect(workers.running.map((r) => r.key)).toEqual(['a']);
    await workers.finish('a');
    expect(workers.running.map((r) => r.key)).toEqual(['b']);
  });

  it('an equal read joins one that waits, or one that runs since the last change; not one older than a change', async () => {
    const workers = new Workers();
    let epoch = 0;
    const share = new FairShare(1, () => epoch);
    const first = share.read('alice', 'f', workers.run('alice', 'f'));
    const joined = share.read('alice', 'f', workers.run('alice', 'f'));
    expect(joined).toBe(first);
    epoch = 1; // a change after `first` began: an equal read must see it
    const fresh = share.read('alice', 'f', workers.run('alice', 'f'));
    expect(fresh).not.toBe(first);
    const waiting = share.read('alice', 'f', workers.run('alice', 'f'));
    expect(waiting).toBe(fresh);
    await workers.finish('f', 'before');
    expect(await first).toEqual({ xml: 'before', epoch: 0 });
    await workers.finish('f', 'after');
    expect(await fresh).toEqual({ xml: 'after', epoch: 1 });
    expect(workers.started).toEqual(['f', 'f']);
  });

  it('a read that fails rejects its waiters and frees its slot', async () => {
    const share = new FairShare(1, () => 0);
    const failed = share.read('alice', 'x', () => Promise.reject(new Error('over the time limit')));
    await expect(failed).rejects.toThrow('over the time limit');
    const next = await share.read('alice', 'y', () => Promise.resolve('y'));
    expect(next.xml).toBe('y');
  });
});
