import { describe, expect, it } from 'vitest';
import { AdjRibIn } from '../../src/bgp/adj-rib-in.js';
import { AttributeSetPool, AttributeSetPools } from '../../src/bgp/attribute-set-pool.js';
import { decodeUpdate, type AddressFamily, type SessionCodecOptions, type UpdateMessage } from '../../src/bgp/codec/index.js';
import { buffers, type UpdateSpec } from '../../src/bgp/testing/test-buffers.js';

const POOL = { localAs: 65001, routerId: '192.0.2.254', fourOctetAs: true } as const;
const IBGP: SessionCodecOptions = { fourOctetAs: true, ebgp: false };
const EBGP: SessionCodecOptions = { fourOctetAs: true, ebgp: true };
const NO_NEXT_HOP = Buffer.alloc(0);

/** A small deterministic generator (xorshift32), so a failure replays. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

function octets(next: () => number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  for (let i = 0; i < length; i++) buf[i] = Math.floor(next() * 256);
  return buf;
}

/** What the pool must agree with: set identity by (family, next hop, attribute octets). */
function modelKey(family: AddressFamily, attributes: Buffer, nextHop: Buffer): string {
  return `${family}/${nextHop.toString('hex')}/${attributes.toString('hex')}`;
}

describe('AttributeSetPool', () => {
  it('agrees with a Map under 60,000 random interns and releases, through partition resizes, id reuse and arena sweeps', () => {
    const next = random(7);
    // 4 KiB chunks: the dropped sets' octets outweigh the live ones many times over, so sweeps run.
    const pool = new AttributeSetPool(POOL, { chunkShift: 12 });
    // 3,000 candidate sets, some differing only in family or next hop, some sharing a hash prefix.
    const candidates: [AddressFamily, Buffer, Buffer][] = [];
    for (let i = 0; i < 3000; i++) {
      const attributes = octets(next, 1 + Math.floor(next() * 120));
      const family: AddressFamily = next() < 0.7 ? 'ipv4-unicast' : 'ipv6-unicast';
      const nextHop = family === 'ipv4-unicast' ? NO_NEXT_HOP : octets(next, 16);
      candidates.push([family, attributes, nextHop]);
      if (i % 10 === 0) candidates.push(['ipv6-unicast', attributes, octets(next, 16)]);
    }
    const model = new Map<string, { id: number; refs: number }>();
    const held: number[] = [];
    for (let step = 0; step < 60_000; step++) {
      if (held.length > 0 && next() < 0.48) {
        const index = Math.floor(next() * held.length);
        const c = held[index]!;
        held[index] = held[held.length - 1]!;
        held.pop();
        const [family, attributes, nextHop] = candidates[c]!;
        const entry = model.get(modelKey(family, attributes, nextHop))!;
        pool.release(entry.id);
        if (--entry.refs === 0) model.delete(modelKey(family, attributes, nextHop));
      } else {
        const c = Math.floor(next() * candidates.length);
        const [family, attributes, nextHop] = candidates[c]!;
        const id = pool.intern(family, attributes, nextHop);
        const key = modelKey(family, attributes, nextHop);
        const entry = model.get(key);
        if (entry) {
          expect(id).toBe(entry.id);
          entry.refs++;
        } else {
          // A new set never takes the id of a live one.
          expect([...model.values()].some((e) => e.id === id)).toBe(false);
          model.set(key, { id, refs: 1 });
        }
        held.push(c);
      }
      if (step % 5000 === 4999) {
        expect(pool.size).toBe(model.size);
        // The sweep keeps the arena at about twice the live sets' octets (family, next hop length,
        // next hop, attributes); with the per-id arrays, the pool under 4×. Without the sweep: 4.5-5.6×.
        let liveOctets = 0;
        for (const [family, attributes, nextHop] of candidates) if (model.has(modelKey(family, attributes, nextHop))) liveOctets += 2 + nextHop.length + attributes.length;
        expect(pool.bytes).toBeLessThan(4 * liveOctets);
        for (const [family, attributes, nextHop] of candidates) {
          const entry = model.get(modelKey(family, attributes, nextHop));
          const id = pool.find(family, attributes, nextHop);
          expect(id).toBe(entry ? entry.id : -1);
          if (entry) {
            const view = pool.view(id)!;
            expect(view.pathAttributes.equals(attributes) && view.nextHop.equals(nextHop) && view.family === family).toBe(true);
            expect(view.refCount).toBe(entry.refs);
          }
        }
      }
    }
    for (const c of held) {
      const [family, attributes, nextHop] = candidates[c]!;
      pool.release(pool.find(family, attributes, nextHop));
    }
    expect(pool.size).toBe(0);
    expect(pool.find(...candidates[0]!)).toBe(-1);
  });

  // A neighbor's table going down gives back all its references in one call (AdjRibIn.clear()):
  // a few of the sets go (tombstones, grouped by partition) or most (the hash table rebuilt).
  it('releaseCounted() agrees with a Map when a tenth, a third, two thirds or all the references go at once, new sets interned between', () => {
    const next = random(23);
    const pool = new AttributeSetPool(POOL, { chunkShift: 12 });
    const model = new Map<number, { attributes: Buffer; refs: number }>();
    const internNew = (n: number) => {
      for (let i = 0; i < n; i++) {
        const attributes = octets(next, 8 + Math.floor(next() * 40));
        const refs = 1 + Math.floor(next() * 3);
        let id = -1;
        for (let r = 0; r < refs; r++) id = pool.intern('ipv4-unicast', attributes, NO_NEXT_HOP);
        // A new set never takes the id of a live one.
        expect(model.has(id)).toBe(false);
        model.set(id, { attributes, refs });
      }
    };
    internNew(6_000);
    for (const fraction of [0.1, 0.33, 0.67, 0.1, 1]) {
      const counts = new Uint32Array(pool.idLimit);
      for (const [id, entry] of model) {
        if (next() >= fraction) continue;
        // Most give back every reference (the set goes), some only part of them (it stays).
        const count = next() < 0.8 ? entry.refs : Math.floor(next() * entry.refs);
        counts[id] = count;
        entry.refs -= count;
        if (entry.refs === 0) model.delete(id);
      }
      pool.releaseCounted(counts);
      expect(pool.size).toBe(model.size);
      for (const [id, entry] of model) {
        expect(pool.find('ipv4-unicast', entry.attributes, NO_NEXT_HOP)).toBe(id);
        expect(pool.view(id)?.refCount).toBe(entry.refs);
      }
      // Taking more references than are held is refused before anything changes.
      const [someId, someEntry] = [...model][0] ?? [0, { refs: 0 }];
      const tooMany = new Uint32Array(pool.idLimit);
      tooMany[someId] = someEntry.refs + 1;
      expect(() => pool.releaseCounted(tooMany)).toThrow(RangeError);
      expect(pool.size).toBe(model.size);
      internNew(1_500);
      expect(pool.size).toBe(model.size);
    }
    for (const [id, entry] of model) for (let r = 0; r < entry.refs; r++) pool.release(id);
    expect(pool.size).toBe(0);
  });

  // Dropped sets leave tombstones in the hash table; an insert takes one on its way or a partition
  // full of them is rehashed at its own size. Were tombstones only ever cleared by doubling, a pool
  // whose sets keep changing would grow its hash table without end.
  it('a pool whose sets keep being replaced keeps its hash table the size of the sets it holds', () => {
    const next = random(31);
    const pool = new AttributeSetPool(POOL, { chunkShift: 12 });
    const live: number[] = [];
    for (let i = 0; i < 2000; i++) live.push(pool.intern('ipv4-unicast', octets(next, 24), NO_NEXT_HOP));
    let before = 0;
    for (let round = 0; round < 200; round++) {
      // A tenth of the sets replaced per round, a third of those given back in one call.
      const counts = new Uint32Array(pool.idLimit);
      for (let i = 0; i < 200; i++) {
        const index = Math.floor(next() * live.length);
        if (i % 3 === 0) counts[live[index]!]! += 1;
        else pool.release(live[index]!);
        live[index] = live[live.length - 1]!;
        live.pop();
      }
      pool.releaseCounted(counts);
      for (let i = 0; i < 200; i++) live.push(pool.intern('ipv4-unicast', octets(next, 24), NO_NEXT_HOP));
      if (round === 4) before = pool.bytes;
    }
    expect(pool.size).toBe(2000);
    // 40,000 sets came and went; the arena sweep and the rehash at the same size keep the total flat.
    expect(pool.bytes).toBeLessThanOrEqual(1.5 * before);
  });

  it('a snapshot keeps every set it saw while the sets are dropped, their ids reused and the arena swept', () => {
    const next = random(11);
    const pool = new AttributeSetPool(POOL, { chunkShift: 12 });
    const first = Array.from({ length: 500 }, () => octets(next, 40));
    const ids = first.map((attributes) => pool.intern('ipv4-unicast', attributes, NO_NEXT_HOP));
    const snapshot = pool.snapshot();
    for (const id of ids) pool.release(id);
    // Enough new octets to reuse every id and to sweep the arena more than once.
    for (let i = 0; i < 5000; i++) pool.intern('ipv4-unicast', octets(next, 60), NO_NEXT_HOP);
    expect(snapshot.ids).toBe(500);
    ids.forEach((id, i) => {
      const held = snapshot.octetsOf(id)!;
      expect(held.subarray(2).equals(first[i]!)).toBe(true);
      expect(pool.view(id)?.pathAttributes.equals(first[i]!)).toBe(false);
    });
  });
});

describe('AttributeSetPools.releaseLater', () => {
  // Sessions going down together (sixteen full tables) each give a table back: one a turn.
  it('gives the tables of sessions gone down back one an event-loop turn, in the order they went down', async () => {
    const pools = new AttributeSetPools();
    const cleared: string[] = [];
    for (const name of ['first', 'second', 'third']) pools.releaseLater({ clear: () => cleared.push(name) });
    expect(cleared).toEqual([]);
    const afterEachTurn: number[] = [];
    for (let turn = 0; turn < 4; turn++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      afterEachTurn.push(cleared.length);
    }
    expect(afterEachTurn).toEqual([1, 2, 3, 3]);
    expect(cleared).toEqual(['first', 'second', 'third']);
    // A table going down later starts the turns again.
    pools.releaseLater({ clear: () => cleared.push('fourth') });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(cleared.at(-1)).toBe('fourth');
  });
});

describe('decodeUpdate with the pool: attributes decoded once per distinct set', () => {
  const ATTRS = { origin: 'igp', asPath: [65010, 65020], nextHop: '192.0.2.1', localPref: 100, communities: ['65010:1'] } as const;
  const A: UpdateSpec = { attrs: ATTRS, nlri: ['198.51.100.0/24'] };

  function received(pool: AttributeSetPool, rib: AdjRibIn, spec: UpdateSpec, options: SessionCodecOptions): UpdateMessage {
    const update = decodeUpdate(buffers.update(spec), options, pool);
    rib.apply(update);
    return update;
  }

  function comparable(update: UpdateMessage): unknown {
    return { verdict: update.verdict, attributes: update.attributes, nlri: update.nlri, withdrawn: update.withdrawnRoutes, endOfRib: update.endOfRib };
  }

  it('an UPDATE carrying a set already stored from an ok UPDATE skips decoding it, and decodes the same on demand', () => {
    const pool = new AttributeSetPool(POOL);
    const rib = new AdjRibIn({ ...POOL, attributeSets: pool });
    expect(pool.decodedCleanly('ipv4-unicast', decodeUpdate(buffers.update(A), IBGP).pathAttributesRaw, NO_NEXT_HOP, IBGP)).toBe(false);
    received(pool, rib, A, IBGP);
    const spec = { ...A, nlri: ['203.0.113.0/24', '192.0.2.128/25'] };
    const known = decodeUpdate(buffers.update(spec), IBGP, pool);
    // The lazily decoded message equals the one decoded in full, field by field.
    expect(comparable(known)).toEqual(comparable(decodeUpdate(buffers.update(spec), IBGP)));
    rib.apply(known);
    expect(rib.routeCount()).toBe(3);
    expect(pool.size).toBe(1);
  });

  it('a set clean from an internal peer is decoded again from an external one: LOCAL_PREF discarded (RFC 7606 §7.5), confederation AS_PATH treat-as-withdraw (§7.2)', () => {
    const pool = new AttributeSetPool(POOL);
    const internal = new AdjRibIn({ ...POOL, attributeSets: pool });
    const external = new AdjRibIn({ ...POOL, attributeSets: pool });
    received(pool, internal, A, IBGP);
    const fromExternal = received(pool, external, A, EBGP);
    expect(fromExternal.verdict.action).toBe('attribute-discard');
    expect(comparable(fromExternal)).toEqual(comparable(decodeUpdate(buffers.update(A), EBGP)));
    // AS_CONFED_SEQUENCE (type 3, RFC 5065) then AS_SEQUENCE.
    const confed: UpdateSpec = { nlri: ['203.0.113.0/24'], attrs: { ...ATTRS, localPref: undefined, asPath: [{ type: 3, asns: [65100] }, { type: 2, asns: [65010] }] } };
    received(pool, internal, confed, IBGP);
    expect(received(pool, external, confed, EBGP).verdict.action).toBe('treat-as-withdraw');
    expect([internal.routeCount(), external.routeCount()]).toEqual([2, 1]);
  });

  it('never marks a set stored from an attribute-discard UPDATE: the same octets from another peer get the same verdict', () => {
    const pool = new AttributeSetPool(POOL);
    const first = new AdjRibIn({ ...POOL, attributeSets: pool });
    const second = new AdjRibIn({ ...POOL, attributeSets: pool });
    // ATOMIC_AGGREGATE with a value: discarded (RFC 7606 §7.6), the rest stored.
    const spec: UpdateSpec = { ...A, attrs: { ...ATTRS, localPref: undefined, unknown: [{ typeCode: 6, flags: 0x40, value: Buffer.from([0]) }] } };
    expect(received(pool, first, spec, EBGP).verdict.action).toBe('attribute-discard');
    expect(received(pool, second, spec, EBGP).verdict.action).toBe('attribute-discard');
  });

  it('same octets, same verdict: 3,000 mutations of stored UPDATEs decode with the pool exactly as without it', () => {
    const next = random(23);
    const pool = new AttributeSetPool(POOL);
    const rib = new AdjRibIn({ ...POOL, families: ['ipv4-unicast', 'ipv6-unicast'], attributeSets: pool });
    const originals = [
      buffers.update(A),
      buffers.update({ ...A, attrs: { ...ATTRS, localPref: undefined, med: 5, largeCommunities: [{ globalAdministrator: 65010, localData1: 1, localData2: 2 }] } }),
      buffers.update({ attrs: { origin: 'igp', asPath: [65010], localPref: 100 }, mpNextHop: '2001:db8::1', nlri: ['2001:db8:1::/48', '2001:db8:2::/48'] }),
      // MP_UNREACH_NLRI and MP_REACH_NLRI both: a miss hands both, decoded, to the full decode.
      buffers.update({ attrs: { origin: 'igp', asPath: [65020], localPref: 100 }, mpNextHop: '2001:db8::2', nlri: ['2001:db8:3::/48'], withdrawn: ['2001:db8:9::/48'] }),
    ];
    for (const raw of originals) rib.apply(decodeUpdate(raw, IBGP, pool));
    let known = 0;
    for (let i = 0; i < 3000; i++) {
      const raw = Buffer.from(originals[i % originals.length]!);
      // Flip one to three octets after the header and the length fields.
      for (let flips = 1 + Math.floor(next() * 3); flips > 0; flips--) raw[23 + Math.floor(next() * (raw.length - 23))] = Math.floor(next() * 256);
      const withPool = decodeUpdate(raw, IBGP, pool);
      const without = decodeUpdate(raw, IBGP);
      expect(comparable(withPool)).toEqual(comparable(without));
      if (withPool.verdict.action === 'ok' && pool.decodedCleanly('ipv4-unicast', withPool.pathAttributesRaw, NO_NEXT_HOP, IBGP)) known++;
    }
    // Mutations in the NLRI keep the set: some of the 3,000 must have taken the known-set path.
    expect(known).toBeGreaterThan(10);
  });
});
