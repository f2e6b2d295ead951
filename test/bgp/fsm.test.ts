import { describe, expect, it } from 'vitest';
import {
  eventNumber,
  type FsmAction,
  type FsmConfig,
  type FsmEvent,
  type FsmState,
  initialState,
  negotiateTimers,
  OPEN_SENT_HOLD_SECONDS,
  transition,
} from '../../src/bgp/fsm.js';

const config: FsmConfig = { holdTime: 90, keepalive: 0, connectRetrySeconds: 120 };

function run(events: readonly FsmEvent[], start: FsmState = initialState()): { state: FsmState; actions: FsmAction[] } {
  let state = start;
  let actions: FsmAction[] = [];
  for (const event of events) {
    const result = transition(state, event, config);
    state = result.state;
    actions = [...result.actions];
  }
  return { state, actions };
}

const toOpenConfirm: FsmEvent[] = [
  { type: 'ManualStart', passive: false },
  { type: 'Tcp_CR_Acked' },
  { type: 'BGPOpen', holdTime: 180 },
];
const toEstablished: FsmEvent[] = [...toOpenConfirm, { type: 'KeepAliveMsg' }];

describe('BGP FSM (RFC 4271 §8)', () => {
  it('ManualStart in Idle starts the ConnectRetryTimer and connects', () => {
    const { state, actions } = run([{ type: 'ManualStart', passive: false }]);
    expect(state.name).toBe('Connect');
    expect(actions).toEqual([{ kind: 'start-timer', timer: 'connect-retry', seconds: 120 }, { kind: 'connect' }]);
  });

  it('a passive start waits in Active without connecting, also when the ConnectRetryTimer fires', () => {
    const { state, actions } = run([{ type: 'ManualStart', passive: true }, { type: 'ConnectRetryTimer_Expires' }]);
    expect(state.name).toBe('Active');
    expect(actions.some((a) => a.kind === 'connect')).toBe(false);
  });

  it('sends OPEN and waits with the 4-minute hold timer once TCP is up', () => {
    const { state, actions } = run([{ type: 'ManualStart', passive: false }, { type: 'Tcp_CR_Acked' }]);
    expect(state.name).toBe('OpenSent');
    expect(actions).toContainEqual({ kind: 'send-open' });
    expect(actions).toContainEqual({ kind: 'start-timer', timer: 'hold', seconds: OPEN_SENT_HOLD_SECONDS });
  });

  it('negotiates the smaller hold time and keepalive = hold / 3 on the peer OPEN', () => {
    const { state, actions } = run(toOpenConfirm);
    expect(state.name).toBe('OpenConfirm');
    expect(actions).toContainEqual({ kind: 'send-keepalive' });
    expect(actions).toContainEqual({ kind: 'start-timer', timer: 'hold', seconds: 90 });
    expect(actions).toContainEqual({ kind: 'start-timer', timer: 'keepalive', seconds: 30 });
  });

  it('uses the configured keepalive but never more than a third of the hold time', () => {
    expect(negotiateTimers({ ...config, keepalive: 10 }, 180)).toEqual({ holdTime: 90, keepaliveTime: 10 });
    expect(negotiateTimers({ ...config, keepalive: 60 }, 9)).toEqual({ holdTime: 9, keepaliveTime: 3 });
  });

  it('hold time 0 means no keepalives and no hold timer', () => {
    const { state, actions } = run([{ type: 'ManualStart', passive: false }, { type: 'Tcp_CR_Acked' }, { type: 'BGPOpen', holdTime: 0 }]);
    expect(state.name === 'OpenConfirm' && state.negotiated).toEqual({ holdTime: 0, keepaliveTime: 0 });
    expect(actions.filter((a) => a.kind === 'start-timer')).toEqual([]);
    const ka = run([...toOpenConfirm.slice(0, 2), { type: 'BGPOpen', holdTime: 0 }, { type: 'KeepAliveMsg' }, { type: 'UpdateMsg' }]);
    expect(ka.actions).toEqual([{ kind: 'process-update' }]);
  });

  it('rejects a hold time of 1 or 2 seconds with OPEN Message Error / Unacceptable Hold Time', () => {
    const { state, actions } = run([{ type: 'ManualStart', passive: false }, { type: 'Tcp_CR_Acked' }, { type: 'BGPOpen', holdTime: 2 }]);
    expect(state.name).toBe('Idle');
    expect(actions[0]).toEqual({ kind: 'send-notification', notification: { code: 2, subcode: 6, data: Buffer.from([0, 2]) } });
    expect(actions).toContainEqual({ kind: 'drop-connection' });
  });

  it('becomes Established on the first KEEPALIVE in OpenConfirm and reports it once', () => {
    const { state, actions } = run(toEstablished);
    expect(state.name).toBe('Established');
    expect(actions).toContainEqual({ kind: 'established', negotiated: { holdTime: 90, keepaliveTime: 30 } });
    const again = transition(state, { type: 'KeepAliveMsg' }, config);
    expect(again.actions).toEqual([{ kind: 'start-timer', timer: 'hold', seconds: 90 }]);
  });

  it('an UPDATE in Established restarts the hold timer and is processed', () => {
    const { actions } = run([...toEstablished, { type: 'UpdateMsg' }]);
    expect(actions).toEqual([{ kind: 'start-timer', timer: 'hold', seconds: 90 }, { kind: 'process-update' }]);
  });

  it('an UPDATE in OpenConfirm is an FSM error (RFC 6608 subcode 2)', () => {
    const { state, actions } = run([...toOpenConfirm, { type: 'UpdateMsg' }]);
    expect(state.name).toBe('Idle');
    expect(actions[0]).toEqual({ kind: 'send-notification', notification: { code: 5, subcode: 2, data: Buffer.alloc(0) } });
  });

  it('sends KEEPALIVEs when the keepalive timer fires', () => {
    const { actions } = run([...toEstablished, { type: 'KeepaliveTimer_Expires' }]);
    expect(actions).toEqual([{ kind: 'send-keepalive' }, { kind: 'start-timer', timer: 'keepalive', seconds: 30 }]);
  });

  it('hold timer expiry sends NOTIFICATION 4 and reports a local-notification down', () => {
    const { state, actions } = run([...toEstablished, { type: 'HoldTimer_Expires' }]);
    expect(state.name).toBe('Idle');
    expect(state.connectRetryCounter).toBe(1);
    const notification = { code: 4, subcode: 0, data: Buffer.alloc(0) };
    expect(actions[0]).toEqual({ kind: 'send-notification', notification });
    expect(actions.at(-1)).toEqual({ kind: 'down', cause: { kind: 'local-notification', notification } });
  });

  it('ManualStop in Established sends Cease with the given subcode and resets the counter', () => {
    const data = Buffer.from('maintenance');
    const { state, actions } = run([...toEstablished, { type: 'ManualStop', cease: { subcode: 2, data } }]);
    expect(state).toEqual({ name: 'Idle', connectRetryCounter: 0, passive: false });
    expect(actions[0]).toEqual({ kind: 'send-notification', notification: { code: 6, subcode: 2, data } });
    expect(actions).toContainEqual({ kind: 'down', cause: { kind: 'local-notification', notification: { code: 6, subcode: 2, data } } });
  });

  it('ManualStop without a NOTIFICATION reports FSM event 2 (BMP Peer Down reason 2)', () => {
    const { actions } = run([...toEstablished, { type: 'ManualStop', cease: null }]);
    expect(actions.some((a) => a.kind === 'send-notification')).toBe(false);
    expect(actions.at(-1)).toEqual({ kind: 'down', cause: { kind: 'local-no-notification', fsmEvent: 2 } });
  });

  it('a NOTIFICATION from the peer ends the session as remote-notification without answering', () => {
    const { state, actions } = run([...toEstablished, { type: 'NotifMsg' }]);
    expect(state.name).toBe('Idle');
    expect(actions.some((a) => a.kind === 'send-notification')).toBe(false);
    expect(actions.at(-1)).toEqual({ kind: 'down', cause: { kind: 'remote-notification' } });
  });

  it('a TCP close in Established is remote-closed', () => {
    const { actions } = run([...toEstablished, { type: 'TcpConnectionFails' }]);
    expect(actions.at(-1)).toEqual({ kind: 'down', cause: { kind: 'remote-closed' } });
  });

  it('session-reset UPDATE errors send the codec NOTIFICATION (RFC 7606 §3)', () => {
    const notification = { code: 3, subcode: 1, data: Buffer.alloc(0) };
    const { state, actions } = run([...toEstablished, { type: 'UpdateMsgErr', notification }]);
    expect(state.name).toBe('Idle');
    expect(actions[0]).toEqual({ kind: 'send-notification', notification });
  });

  it('leaving a state before Established never reports down', () => {
    const { state, actions } = run([...toOpenConfirm, { type: 'TcpConnectionFails' }]);
    expect(state.name).toBe('Idle');
    expect(actions.some((a) => a.kind === 'down')).toBe(false);
  });

  it('a failed connect goes to Active and retries when the ConnectRetryTimer fires', () => {
    const failed = run([{ type: 'ManualStart', passive: false }, { type: 'TcpConnectionFails' }]);
    expect(failed.state.name).toBe('Active');
    expect(failed.actions).toEqual([{ kind: 'start-timer', timer: 'connect-retry', seconds: 120 }]);
    const retried = transition(failed.state, { type: 'ConnectRetryTimer_Expires' }, config);
    expect(retried.state.name).toBe('Connect');
    expect(retried.actions).toContainEqual({ kind: 'connect' });
  });

  it('connection collision dump sends Cease / Connection Collision Resolution', () => {
    const { state, actions } = run([...toOpenConfirm, { type: 'OpenCollisionDump' }]);
    expect(state.name).toBe('Idle');
    expect(actions[0]).toEqual({ kind: 'send-notification', notification: { code: 6, subcode: 7, data: Buffer.alloc(0) } });
  });

  it('Idle ignores everything but a start', () => {
    for (const event of [{ type: 'KeepAliveMsg' }, { type: 'TcpConnectionConfirmed' }, { type: 'HoldTimer_Expires' }] as const) {
      expect(transition(initialState(), event, config)).toEqual({ state: initialState(), actions: [] });
    }
  });

  it('numbers events as RFC 4271 §8.1 does, passive starts included', () => {
    expect(eventNumber({ type: 'ManualStart', passive: false })).toBe(1);
    expect(eventNumber({ type: 'ManualStart', passive: true })).toBe(4);
    expect(eventNumber({ type: 'AutomaticStart', passive: true })).toBe(5);
    expect(eventNumber({ type: 'TcpConnectionFails' })).toBe(18);
    expect(eventNumber({ type: 'UpdateMsgErr', notification: { code: 3, subcode: 1, data: Buffer.alloc(0) } })).toBe(28);
  });

  it('an OPEN in Established is an FSM error (RFC 6608 subcode 3)', () => {
    const { actions } = run([...toEstablished, { type: 'BGPOpen', holdTime: 90 }]);
    expect(actions[0]).toEqual({ kind: 'send-notification', notification: { code: 5, subcode: 3, data: Buffer.alloc(0) } });
  });
});
