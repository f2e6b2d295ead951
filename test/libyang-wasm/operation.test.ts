import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { YangError, type OperationTree, type YangContext } from 'libyang-wasm';

import { DEMO_NS, NETCONF_NS, demoContext, freedAfterEach } from './helpers.js';

describe('libyang-wasm operations (RPC, action, reply, notification)', () => {
  let ctx: YangContext;

  beforeAll(async () => {
    ({ ctx } = await demoContext());
  });
  afterAll(() => ctx.destroy());

  const track = freedAfterEach();
  const parseOp = (...args: Parameters<YangContext['parseOperation']>): OperationTree =>
    track(ctx.parseOperation(...args));

  it('parses a NETCONF <rpc><edit-config> with its envelope', () => {
    const op = parseOp(
      `<rpc message-id="101" xmlns="${NETCONF_NS}"><edit-config><target><running/></target>` +
        `<default-operation>none</default-operation>` +
        `<config><system xmlns="${DEMO_NS}"><mtu>1400</mtu></system></config></edit-config></rpc>`,
      'netconf-rpc',
    );
    expect(op.kind).toBe('netconf-rpc');
    expect(op.name).toBe('ietf-netconf:edit-config');
    expect(op.print({ shrink: true })).toContain('<target><running/></target><default-operation>none</default-operation>');
    const json = JSON.parse(op.print({ format: 'json' })) as Record<string, Record<string, unknown>>;
    expect(json['ietf-netconf:edit-config']?.['target']).toEqual({ running: [null] });
    expect(op.printEnvelope()).toBe(`<rpc xmlns="${NETCONF_NS}" message-id="101"/>\n`);
  });

  it('rejects an unknown NETCONF operation', () => {
    expect(() => parseOp(`<rpc message-id="1" xmlns="${NETCONF_NS}"><frobnicate/></rpc>`, 'netconf-rpc')).toThrow(
      YangError,
    );
  });

  it("validates an RPC's input: mandatory nodes, one case per choice, and the defaults it adds", () => {
    const rpc = (inner: string) => parseOp(`<rpc message-id="1" xmlns="${NETCONF_NS}">${inner}</rpc>`, 'netconf-rpc');
    // Parsing alone accepts all three; validation (lyd_validate_op) refuses the first two.
    const missing = rpc('<kill-session/>');
    expect(() => missing.validate()).toThrow(/Mandatory node "session-id" instance does not exist/);
    const twoCases = rpc('<get-config><source><running/><candidate/></source></get-config>');
    expect(() => twoCases.validate()).toThrow(/Data for both cases/);
    const edit = rpc(`<edit-config><target><running/></target><config><system xmlns="${DEMO_NS}"/></config></edit-config>`);
    edit.validate();
    const json = JSON.parse(edit.print({ format: 'json', withDefaults: 'report-all' })) as Record<string, Record<string, unknown>>;
    expect(json['ietf-netconf:edit-config']?.['default-operation']).toBe('merge');
  });

  it('parses a YANG 1.1 action with its parents, and its reply', () => {
    const action = parseOp(
      `<servers xmlns="${DEMO_NS}"><server><id>1</id><reset><delay>5</delay></reset></server></servers>`,
      'rpc',
    );
    expect(action.name).toBe('lwt-demo:reset');
    expect(action.print()).toContain('<delay>5</delay>');
    expect(action.print()).toContain('<id>1</id>');

    const reply = parseOp(`<done xmlns="${DEMO_NS}">true</done>`, 'reply', { request: action });
    expect(reply.name).toBe('lwt-demo:reset');
    expect(reply.print({ format: 'json' })).toContain('"done": true');
    // the request is not changed by parsing its reply
    expect(action.print()).not.toContain('<done>');
  });

  it('parses a YANG RPC in JSON and a NETCONF rpc-reply to it', () => {
    const rpc = parseOp('{"lwt-demo:restart": {"reason": "upgrade"}}', 'rpc');
    expect(rpc.name).toBe('lwt-demo:restart');
    expect(rpc.print({ format: 'json' })).toContain('"reason": "upgrade"');
    const reply = parseOp(
      `<rpc-reply message-id="7" xmlns="${NETCONF_NS}"><accepted xmlns="${DEMO_NS}">true</accepted></rpc-reply>`,
      'netconf-reply',
      { request: rpc },
    );
    expect(reply.print()).toContain('<accepted>true</accepted>');
    expect(reply.printEnvelope()).toContain('message-id="7"');
    expect(() => parseOp('<accepted/>', 'reply')).toThrow(/needs the request/);
  });

  it('parses notifications, plain and in a NETCONF envelope', () => {
    const plain = parseOp(`<server-down xmlns="${DEMO_NS}"><id>4</id></server-down>`, 'notification');
    expect(plain.name).toBe('lwt-demo:server-down');
    const netconf = parseOp(
      `<notification xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"><eventTime>2026-01-01T00:00:00Z</eventTime>` +
        `<server-down xmlns="${DEMO_NS}"><id>4</id></server-down></notification>`,
      'netconf-notification',
    );
    expect(netconf.name).toBe('lwt-demo:server-down');
    expect(netconf.print({ shrink: true })).toContain('<id>4</id>');
    expect(netconf.printEnvelope()).toContain('<eventTime>2026-01-01T00:00:00Z</eventTime>');
  });
});
