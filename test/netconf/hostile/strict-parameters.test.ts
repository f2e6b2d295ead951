// Issue 10 item 6: unknown or misplaced parameters inside base operations are
// refused (RFC 6241 Appendix A unknown-element, invalid-value), judged by the
// schema (libyang's netconf-rpc parse). On the unchanged agent <get-config>,
// <lock> and <commit> accepted them silently. Client quirks still pass.
import { beforeAll, describe, expect, it } from 'vitest';
import { NETCONF_BASE_NS, RpcError } from '../../../src/netconf/rpc-error.js';
import { assertOperationParameters, operationEnvelope } from '../../../src/netconf/rpc-schema.js';
import { readRpc, type ParsedOperation } from '../../../src/netconf/rpc.js';
import { parseXmlMessage } from '../../../src/netconf/xml.js';
import { loadYangModel, type YangModel } from '../../../src/yang/model.js';

let model: YangModel;
beforeAll(async () => { model = await loadYangModel(); });

function operation(inner: string, rpcAttributes = `xmlns="${NETCONF_BASE_NS}"`): ParsedOperation {
  const read = readRpc(parseXmlMessage(`<rpc ${rpcAttributes} message-id="1">${inner}</rpc>`));
  if (read.kind !== 'rpc') throw new Error('not an rpc');
  return read.rpc.operation;
}

function refusal(inner: string): RpcError {
  try {
    assertOperationParameters(model.context, operation(inner));
  } catch (err) {
    if (err instanceof RpcError) return err;
    throw err;
  }
  throw new Error(`accepted: ${inner}`);
}

describe('strict base-operation parameters', () => {
  it.each([
    ['<get-config><source><running/></source><bogus/></get-config>', 'bogus'],
    ['<lock><target><candidate/></target><force/></lock>', 'force'],
    ['<commit><now/></commit>', 'now'],
    ['<get-config><target><running/></target></get-config>', 'target'],
    ['<get-config><source><scratch/></source></get-config>', 'scratch'],
  ])('%s: unknown-element naming %s', (inner, bad) => {
    const error = refusal(inner);
    expect(error.tag).toBe('unknown-element');
    expect(error.info?.badElement).toBe(bad);
  });

  it.each([
    ['<commit><confirmed/><confirm-timeout>4294967296</confirm-timeout></commit>', 'confirm-timeout'],
    ['<edit-config><target><candidate/></target><default-operation>merge-all</default-operation><config/></edit-config>', 'default-operation'],
  ])('%s: invalid-value naming %s', (inner, bad) => {
    const error = refusal(inner);
    expect(error.tag).toBe('invalid-value');
    expect(error.info?.badElement).toBe(bad);
  });

  it.each([
    ['<get-config><source><running/></source><filter type="xpath" select="/x"/></get-config>'],
    ['<get><filter type="subtree"><bgp xmlns="urn:bmpd:yang:bmpd"><neighbor/></bgp></filter>' +
      '<with-defaults xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults">report-all</with-defaults></get>'],
    ['<edit-config><target><candidate/></target><test-option>test-then-set</test-option><config><bgp xmlns="urn:bmpd:yang:bmpd"><as-number>1</as-number></bgp></config></edit-config>'],
    ['<commit><confirmed/><confirm-timeout>4294967295</confirm-timeout><persist>p</persist></commit>'],
    ['<copy-config><target><startup/></target><source><config><bgp xmlns="urn:bmpd:yang:bmpd"/></config></source></copy-config>'],
  ])('accepts %s', (inner) => {
    expect(() => assertOperationParameters(model.context, operation(inner))).not.toThrow();
  });

  it('reads un-namespaced operations and parameters as NETCONF\'s (Ansible <get/>, ncclient <config>)', () => {
    const ansible = operation('<get xmlns=""/>');
    expect(operationEnvelope(ansible)).toBe(`<rpc xmlns="${NETCONF_BASE_NS}" message-id="1"><get xmlns="${NETCONF_BASE_NS}"></get></rpc>`);
    expect(() => assertOperationParameters(model.context, ansible)).not.toThrow();
    const ncclient = operation(`<edit-config><target><candidate/></target><config xmlns=""><bgp xmlns="urn:bmpd:yang:bmpd"/></config></edit-config>`);
    expect(() => assertOperationParameters(model.context, ncclient)).not.toThrow();
  });
});
