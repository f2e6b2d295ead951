import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { DataTree, Libyang, YangContext } from 'libyang-wasm';

import { demoContext, editServers, server, serversDocument } from './helpers.js';

/*
 * Everything returned from C is freed explicitly; these loops would grow the malloc'd total by hundreds
 * of kilobytes if any path leaked a node, a string or a stored error.
 */
describe('libyang-wasm memory', () => {
  let ly: Libyang;
  let ctx: YangContext;
  const CYCLES = 10_000;
  const WARMUP = 100;
  const BOUND = 64 * 1024;
  // 10,000 cycles take 5-15 s on an idle machine; leave room on a loaded one.
  const TIMEOUT = 180_000;
  const DOCUMENT = serversDocument(20);

  beforeAll(async () => {
    ({ ly, ctx } = await demoContext());
  });
  afterAll(() => ctx.destroy());

  /** allocatedBytes() after the warm-up and after all cycles. */
  function measure(cycle: (i: number) => void): { warm: number; end: number } {
    let warm = 0;
    for (let i = 0; i < CYCLES; i++) {
      cycle(i);
      if (i === WARMUP - 1) warm = ly.allocatedBytes();
    }
    return { warm, end: ly.allocatedBytes() };
  }

  it('parse, validate, print and free', () => {
    const { warm, end } = measure(() => {
      const tree = ctx.parseData(DOCUMENT, { configOnly: true });
      tree.print({ withDefaults: 'report-all-tagged' });
      tree.print({ format: 'json' });
      tree.free();
    });
    expect(Math.abs(end - warm)).toBeLessThan(BOUND);
  }, TIMEOUT);

  it('parse errors', () => {
    const bad = DOCUMENT.replace('<backup>1</backup>', '<backup>999</backup>');
    let failures = 0;
    const { warm, end } = measure(() => {
      try {
        ctx.parseData(bad, { configOnly: true }).free();
      } catch {
        failures++;
      }
    });
    expect(failures).toBe(CYCLES);
    expect(Math.abs(end - warm)).toBeLessThan(BOUND);
  }, TIMEOUT);

  it('edit cycles', () => {
    const base = ctx.parseData(DOCUMENT, { configOnly: true });
    try {
      let errors = 0;
      const { warm, end } = measure((i) => {
        const target = base.dup();
        const edit = ctx.parseData(
          editServers(
            server(3, `<address>198.51.100.${i % 200}</address>`) +
              `<server nc:operation="delete"><id>20</id></server>` +
              `<server nc:operation="create"><id>1</id><address>x</address></server>`,
          ),
          { validate: false },
        );
        errors += target.edit(edit, { defaultOperation: 'merge', errorOption: 'continue-on-error' }).length;
        target.validate({ configOnly: true });
        edit.free();
        target.free();
      });
      expect(errors).toBe(CYCLES); // the create of the existing entry 1, every time
      expect(Math.abs(end - warm)).toBeLessThan(BOUND);
    } finally {
      base.free();
    }
  }, TIMEOUT);

  it('diff cycles', () => {
    const from = ctx.parseData(DOCUMENT, { configOnly: true });
    const to = ctx.parseData(serversDocument(20, (i) => `198.51.100.${i}`), { configOnly: true });
    const trees: DataTree[] = [from, to];
    try {
      let changes = 0;
      const { warm, end } = measure(() => {
        const diff = from.diff(to);
        changes += diff.changes().length;
        diff.print();
        diff.free();
      });
      expect(changes).toBeGreaterThan(CYCLES * 20);
      expect(Math.abs(end - warm)).toBeLessThan(BOUND);
    } finally {
      for (const tree of trees) tree.free();
    }
  }, TIMEOUT);
});
