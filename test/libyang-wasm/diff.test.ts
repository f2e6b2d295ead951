import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { DataDiff, DataTree, YangContext } from 'libyang-wasm';

import { demoContext, freedAfterEach, server, servers, system } from './helpers.js';

describe('libyang-wasm diff', () => {
  let ctx: YangContext;

  beforeAll(async () => {
    ({ ctx } = await demoContext());
  });
  afterAll(() => ctx.destroy());

  const track = freedAfterEach();
  const parse = (text: string): DataTree => track(ctx.parseData(text, { configOnly: true }));
  const diff = (from: DataTree, to: DataTree): DataDiff => track(from.diff(to));

  const FROM =
    system('<hostname>r1</hostname><dns>a</dns>') +
    servers(server(1, '<address>x</address>') + server(2, '<address>y</address><route><prefix>p</prefix></route>'));

  it('is empty for equal trees', () => {
    const d = diff(parse(FROM), parse(FROM));
    expect(d.isEmpty).toBe(true);
    expect(d.changes()).toEqual([]);
    expect(d.print()).toBe('');
  });

  it('lists replace of a leaf with the previous value', () => {
    const d = diff(parse(FROM), parse(FROM.replace('<hostname>r1</hostname>', '<hostname>r2</hostname>')));
    expect(d.changes()).toEqual([
      {
        operation: 'none',
        path: '/lwt-demo:system',
        schemaPath: '/lwt-demo:system',
        nodeType: 'container',
        value: null,
        previousValue: null,
        inherited: false,
      },
      {
        operation: 'replace',
        path: '/lwt-demo:system/hostname',
        schemaPath: '/lwt-demo:system/lwt-demo:hostname',
        nodeType: 'leaf',
        value: 'r2',
        previousValue: 'r1',
        inherited: false,
      },
    ]);
    expect(d.print()).toContain('yang:operation="replace"');
    expect(d.print()).toContain('yang:orig-value="r1"');
  });

  it('lists a created list entry with every descendant inherited', () => {
    const d = diff(parse(FROM), parse(FROM.replace('</servers>', server(3, '<address>z</address><route><prefix>q</prefix><metric>4</metric></route>') + '</servers>')));
    expect(d.changes().map((c) => [c.operation, c.path, c.nodeType, c.value, c.inherited])).toEqual([
      ['none', '/lwt-demo:servers', 'container', null, false],
      ['create', "/lwt-demo:servers/server[id='3']", 'list', null, false],
      ['create', "/lwt-demo:servers/server[id='3']/id", 'leaf', '3', true],
      ['create', "/lwt-demo:servers/server[id='3']/address", 'leaf', 'z', true],
      // the default node added by validation is part of the created subtree
      ['create', "/lwt-demo:servers/server[id='3']/port", 'leaf', '5000', true],
      ['create', "/lwt-demo:servers/server[id='3']/route[prefix='q']", 'list', null, true],
      ['create', "/lwt-demo:servers/server[id='3']/route[prefix='q']/prefix", 'leaf', 'q', true],
      ['create', "/lwt-demo:servers/server[id='3']/route[prefix='q']/metric", 'leaf', '4', true],
    ]);
    expect(d.changes()[5]?.schemaPath).toBe('/lwt-demo:servers/lwt-demo:server/lwt-demo:route');
  });

  it('lists a deleted list entry and a deleted leaf-list value', () => {
    const to = system('<hostname>r1</hostname>') + servers(server(1, '<address>x</address>'));
    const d = diff(parse(FROM), parse(to));
    expect(d.changes().map((c) => [c.operation, c.path, c.nodeType, c.value, c.inherited])).toEqual([
      ['none', '/lwt-demo:system', 'container', null, false],
      ['delete', "/lwt-demo:system/dns[.='a']", 'leaf-list', 'a', false],
      ['none', '/lwt-demo:servers', 'container', null, false],
      ['delete', "/lwt-demo:servers/server[id='2']", 'list', null, false],
      ['delete', "/lwt-demo:servers/server[id='2']/id", 'leaf', '2', true],
      ['delete', "/lwt-demo:servers/server[id='2']/address", 'leaf', 'y', true],
      ['delete', "/lwt-demo:servers/server[id='2']/port", 'leaf', '5000', true],
      ['delete', "/lwt-demo:servers/server[id='2']/route[prefix='p']", 'list', null, true],
      ['delete', "/lwt-demo:servers/server[id='2']/route[prefix='p']/prefix", 'leaf', 'p', true],
    ]);
  });

  it('prints the diff as JSON too', () => {
    const d = diff(parse(FROM), parse(FROM.replace('<dns>a</dns>', '<dns>b</dns>')));
    const json = JSON.parse(d.print('json')) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['lwt-demo:system']);
    expect(JSON.stringify(json)).toContain('"yang:operation":"create"');
    expect(JSON.stringify(json)).toContain('"yang:operation":"delete"');
  });
});
