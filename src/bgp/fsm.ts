// The BGP finite state machine of RFC 4271 §8, as a pure function:
//   transition(state, event, config) -> { state, actions }
// No sockets and no clocks here: the session (src/bgp/session.ts) turns socket and timer
// happenings into events and carries out the actions (send, start/stop a timer, drop the TCP
// connection). One FSM runs per TCP connection, as §8 describes; the session resolves
// connection collisions (§6.8) between two of them.
//
// Deliberate deviations, each the common practice of GoBGP/FRR/BIRD:
// - TcpConnectionFails in Connect goes to Active with the ConnectRetryTimer restarted (the
//   RFC's DelayOpen branch) instead of Idle, so the timer drives the next attempt.
// - A NOTIFICATION received in OpenSent closes the connection without answering it with an
//   FSM Error NOTIFICATION (answering a NOTIFICATION helps nobody).
// - DelayOpen, IdleHold and peer-oscillation damping (optional session attributes, §8.1.1)
//   are not implemented; the session restarts an Idle FSM with AutomaticStart after a delay.

import { CeaseSubcode, ErrorCode, FsmErrorSubcode, type NotificationFields, OpenMessageSubcode } from './codec/messages.js';

export { CeaseSubcode };

/** RFC 4271 §8.1 event numbers; BMP Peer Down reason 2 reports them (RFC 7854 §4.9). */
export const FsmEventNumber = {
  ManualStart: 1,
  ManualStop: 2,
  AutomaticStart: 3,
  ManualStart_with_PassiveTcpEstablishment: 4,
  AutomaticStart_with_PassiveTcpEstablishment: 5,
  AutomaticStop: 8,
  ConnectRetryTimer_Expires: 9,
  HoldTimer_Expires: 10,
  KeepaliveTimer_Expires: 11,
  Tcp_CR_Acked: 16,
  TcpConnectionConfirmed: 17,
  TcpConnectionFails: 18,
  BGPOpen: 19,
  BGPHeaderErr: 21,
  BGPOpenMsgErr: 22,
  OpenCollisionDump: 23,
  NotifMsgVerErr: 24,
  NotifMsg: 25,
  KeepAliveMsg: 26,
  UpdateMsg: 27,
  UpdateMsgErr: 28,
} as const;

export type FsmStateName = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

/** What was agreed with the peer once its OPEN is accepted (RFC 4271 §4.2, §10). */
export interface NegotiatedTimers {
  /** Seconds; 0 = neither KEEPALIVEs nor a hold timer. */
  readonly holdTime: number;
  /** Seconds between our KEEPALIVEs; 0 when holdTime is 0. */
  readonly keepaliveTime: number;
}

interface StateBase {
  readonly connectRetryCounter: number;
  /** Passive TCP establishment (§8.1.1 PassiveTcpEstablishment): never connect out. */
  readonly passive: boolean;
}

export type FsmState =
  | (StateBase & { readonly name: 'Idle' })
  | (StateBase & { readonly name: 'Connect' })
  | (StateBase & { readonly name: 'Active' })
  | (StateBase & { readonly name: 'OpenSent' })
  | (StateBase & { readonly name: 'OpenConfirm'; readonly negotiated: NegotiatedTimers })
  | (StateBase & { readonly name: 'Established'; readonly negotiated: NegotiatedTimers });

export type FsmEvent =
  | { readonly type: 'ManualStart'; readonly passive: boolean }
  | { readonly type: 'AutomaticStart'; readonly passive: boolean }
  /** Cease subcode (RFC 4486: 2 Administrative Shutdown, 3 Peer De-configured, 4 Administrative
   *  Reset) and data (RFC 8203 shutdown communication), or null to close without a NOTIFICATION. */
  | { readonly type: 'ManualStop'; readonly cease: { readonly subcode: number; readonly data: Buffer } | null }
  | { readonly type: 'AutomaticStop'; readonly cease: { readonly subcode: number; readonly data: Buffer } | null }
  | { readonly type: 'ConnectRetryTimer_Expires' }
  | { readonly type: 'HoldTimer_Expires' }
  | { readonly type: 'KeepaliveTimer_Expires' }
  | { readonly type: 'Tcp_CR_Acked' }
  | { readonly type: 'TcpConnectionConfirmed' }
  | { readonly type: 'TcpConnectionFails' }
  /** The peer's OPEN, already validated by the session except for the hold time. */
  | { readonly type: 'BGPOpen'; readonly holdTime: number }
  | { readonly type: 'BGPHeaderErr'; readonly notification: NotificationFields }
  | { readonly type: 'BGPOpenMsgErr'; readonly notification: NotificationFields }
  | { readonly type: 'OpenCollisionDump' }
  | { readonly type: 'NotifMsgVerErr' }
  | { readonly type: 'NotifMsg' }
  | { readonly type: 'KeepAliveMsg' }
  | { readonly type: 'UpdateMsg' }
  /** An UPDATE error that RFC 7606 says must reset the session (treat-as-withdraw is not one). */
  | { readonly type: 'UpdateMsgErr'; readonly notification: NotificationFields };

export type FsmTimer = 'connect-retry' | 'hold' | 'keepalive';

/** Why an Established session ended: the first four BMP Peer Down reasons (RFC 7854 §4.9). */
export type FsmDownCause =
  | { readonly kind: 'local-notification'; readonly notification: NotificationFields }
  | { readonly kind: 'remote-notification' }
  | { readonly kind: 'local-no-notification'; readonly fsmEvent: number }
  | { readonly kind: 'remote-closed' };

export type FsmAction =
  | { readonly kind: 'connect' }
  | { readonly kind: 'drop-connection' }
  | { readonly kind: 'send-open' }
  | { readonly kind: 'send-keepalive' }
  | { readonly kind: 'send-notification'; readonly notification: NotificationFields }
  | { readonly kind: 'start-timer'; readonly timer: FsmTimer; readonly seconds: number }
  | { readonly kind: 'stop-timer'; readonly timer: FsmTimer }
  | { readonly kind: 'process-update' }
  | { readonly kind: 'established'; readonly negotiated: NegotiatedTimers }
  /** Only when leaving Established: the session's routes go away (BMP Peer Down). */
  | { readonly kind: 'down'; readonly cause: FsmDownCause };

export interface FsmConfig {
  /** Hold time we offer (0 or >= 3). */
  readonly holdTime: number;
  /** Configured keepalive, 0 = hold / 3. */
  readonly keepalive: number;
  readonly connectRetrySeconds: number;
}

export interface FsmResult {
  readonly state: FsmState;
  readonly actions: readonly FsmAction[];
}

/** RFC 4271 §8.2.2: the "large value" for the HoldTimer while waiting for the peer's OPEN. */
export const OPEN_SENT_HOLD_SECONDS = 240;

/** RFC 6608 FSM Error subcodes: which state got the unexpected message. */
const FSM_ERROR_SUBCODE: Partial<Record<FsmStateName, number>> = {
  OpenSent: FsmErrorSubcode.UnexpectedMessageInOpenSent,
  OpenConfirm: FsmErrorSubcode.UnexpectedMessageInOpenConfirm,
  Established: FsmErrorSubcode.UnexpectedMessageInEstablished,
};

export function initialState(passive = false): FsmState {
  return { name: 'Idle', connectRetryCounter: 0, passive };
}

/** Hold time = the smaller offer; keepalive = configured or hold/3, never above hold/3 (§4.4, §10). */
export function negotiateTimers(config: FsmConfig, peerHoldTime: number): NegotiatedTimers {
  const holdTime = Math.min(config.holdTime, peerHoldTime);
  if (holdTime === 0) return { holdTime: 0, keepaliveTime: 0 };
  const third = Math.max(1, Math.floor(holdTime / 3));
  const keepaliveTime = config.keepalive > 0 ? Math.min(config.keepalive, third) : third;
  return { holdTime, keepaliveTime };
}

export function eventNumber(event: FsmEvent): number {
  if (event.type === 'ManualStart' && event.passive) return FsmEventNumber.ManualStart_with_PassiveTcpEstablishment;
  if (event.type === 'AutomaticStart' && event.passive) return FsmEventNumber.AutomaticStart_with_PassiveTcpEstablishment;
  return FsmEventNumber[event.type];
}

function notification(code: number, subcode: number, data: Buffer = Buffer.alloc(0)): NotificationFields {
  return { code, subcode, data };
}

function cease(c: { readonly subcode: number; readonly data: Buffer }): NotificationFields {
  return notification(ErrorCode.Cease, c.subcode, c.data);
}

const stopAllTimers: readonly FsmAction[] = [
  { kind: 'stop-timer', timer: 'connect-retry' },
  { kind: 'stop-timer', timer: 'hold' },
  { kind: 'stop-timer', timer: 'keepalive' },
];

/**
 * Leave for Idle: optionally send a NOTIFICATION, drop the connection, stop every timer, and
 * report 'down' when the session was Established.
 */
function toIdle(
  state: FsmState,
  opts: { send?: NotificationFields; counter: 'reset' | 'increment' | 'keep'; cause: FsmDownCause },
): FsmResult {
  const actions: FsmAction[] = [];
  if (opts.send) actions.push({ kind: 'send-notification', notification: opts.send });
  actions.push(...stopAllTimers, { kind: 'drop-connection' });
  if (state.name === 'Established') actions.push({ kind: 'down', cause: opts.cause });
  const connectRetryCounter =
    opts.counter === 'reset' ? 0 : opts.counter === 'increment' ? state.connectRetryCounter + 1 : state.connectRetryCounter;
  return { state: { name: 'Idle', connectRetryCounter, passive: state.passive }, actions };
}

function closeWith(state: FsmState, send: NotificationFields, counter: 'reset' | 'increment' = 'increment'): FsmResult {
  return toIdle(state, { send, counter, cause: { kind: 'local-notification', notification: send } });
}

function stop(state: FsmState, event: Extract<FsmEvent, { type: 'ManualStop' | 'AutomaticStop' }>): FsmResult {
  const counter = event.type === 'ManualStop' ? 'reset' : 'increment';
  // No OPEN went out yet in Connect/Active: there is nobody to send a NOTIFICATION to.
  const canNotify = state.name === 'OpenSent' || state.name === 'OpenConfirm' || state.name === 'Established';
  if (event.cease !== null && canNotify) return closeWith(state, cease(event.cease), counter);
  return toIdle(state, { counter, cause: { kind: 'local-no-notification', fsmEvent: eventNumber(event) } });
}

function unexpected(state: FsmState): FsmResult {
  return closeWith(state, notification(ErrorCode.FiniteStateMachine, FSM_ERROR_SUBCODE[state.name] ?? 0));
}

/** §8.2.2: KEEPALIVE and UPDATE restart the HoldTimer "if the negotiated HoldTime value is non-zero". */
function restartHold(negotiated: NegotiatedTimers): FsmAction[] {
  return negotiated.holdTime > 0 ? [{ kind: 'start-timer', timer: 'hold', seconds: negotiated.holdTime }] : [];
}

/**
 * What an UPDATE or a KEEPALIVE does in Established, made once per state object (states are
 * immutable, and Established stays the same object while it lasts): a full table is hundreds of
 * thousands of UPDATEs, each of which made a result, two arrays and two actions.
 */
const receivedInEstablished = { UpdateMsg: new WeakMap<FsmState, FsmResult>(), KeepAliveMsg: new WeakMap<FsmState, FsmResult>() };

function stayEstablished(state: FsmState, negotiated: NegotiatedTimers, event: 'UpdateMsg' | 'KeepAliveMsg'): FsmResult {
  const made = receivedInEstablished[event];
  let result = made.get(state);
  if (result === undefined) {
    const actions = event === 'UpdateMsg' ? [...restartHold(negotiated), { kind: 'process-update' } as const] : restartHold(negotiated);
    result = Object.freeze({ state, actions: Object.freeze(actions) });
    made.set(state, result);
  }
  return result;
}

function openSent(state: FsmState): FsmResult {
  return {
    state: { name: 'OpenSent', connectRetryCounter: state.connectRetryCounter, passive: state.passive },
    actions: [
      { kind: 'stop-timer', timer: 'connect-retry' },
      { kind: 'send-open' },
      { kind: 'start-timer', timer: 'hold', seconds: OPEN_SENT_HOLD_SECONDS },
    ],
  };
}

export function transition(state: FsmState, event: FsmEvent, config: FsmConfig): FsmResult {
  const counter = state.connectRetryCounter;
  const same = (actions: readonly FsmAction[] = []): FsmResult => ({ state, actions });
  switch (state.name) {
    case 'Idle':
      switch (event.type) {
        case 'ManualStart':
        case 'AutomaticStart': {
          const retry: FsmAction = { kind: 'start-timer', timer: 'connect-retry', seconds: config.connectRetrySeconds };
          const connectRetryCounter = event.type === 'ManualStart' ? 0 : counter;
          if (event.passive) {
            return { state: { name: 'Active', connectRetryCounter, passive: true }, actions: [retry] };
          }
          return { state: { name: 'Connect', connectRetryCounter, passive: false }, actions: [retry, { kind: 'connect' }] };
        }
        // §8.2.2: any other event in Idle changes nothing (an incoming connection is refused by the session).
        default:
          return same();
      }

    case 'Connect':
    case 'Active':
      switch (event.type) {
        case 'ManualStart':
        case 'AutomaticStart':
          return same();
        case 'ManualStop':
        case 'AutomaticStop':
          return stop(state, event);
        case 'ConnectRetryTimer_Expires': {
          const retry: FsmAction = { kind: 'start-timer', timer: 'connect-retry', seconds: config.connectRetrySeconds };
          if (state.passive) return same([retry]);
          return {
            state: { name: 'Connect', connectRetryCounter: counter, passive: false },
            actions: [{ kind: 'drop-connection' }, retry, { kind: 'connect' }],
          };
        }
        case 'Tcp_CR_Acked':
        case 'TcpConnectionConfirmed':
          return openSent(state);
        case 'TcpConnectionFails':
          return {
            state: { name: 'Active', connectRetryCounter: counter, passive: state.passive },
            actions: [{ kind: 'start-timer', timer: 'connect-retry', seconds: config.connectRetrySeconds }],
          };
        case 'BGPHeaderErr':
        case 'BGPOpenMsgErr':
          return closeWith(state, event.notification);
        case 'NotifMsgVerErr':
          return toIdle(state, { counter: 'keep', cause: { kind: 'remote-notification' } });
        default:
          return toIdle(state, { counter: 'increment', cause: { kind: 'local-no-notification', fsmEvent: eventNumber(event) } });
      }

    case 'OpenSent':
      switch (event.type) {
        case 'ManualStart':
        case 'AutomaticStart':
          return same();
        case 'ManualStop':
        case 'AutomaticStop':
          return stop(state, event);
        case 'HoldTimer_Expires':
          return closeWith(state, notification(ErrorCode.HoldTimerExpired, 0));
        case 'TcpConnectionFails':
          return {
            state: { name: 'Active', connectRetryCounter: counter, passive: state.passive },
            actions: [
              { kind: 'stop-timer', timer: 'hold' },
              { kind: 'drop-connection' },
              { kind: 'start-timer', timer: 'connect-retry', seconds: config.connectRetrySeconds },
            ],
          };
        case 'BGPOpen': {
          // §6.2: a Hold Time of one or two seconds MUST be rejected.
          if (event.holdTime === 1 || event.holdTime === 2) {
            const data = Buffer.alloc(2);
            data.writeUInt16BE(event.holdTime);
            return closeWith(state, notification(ErrorCode.OpenMessage, OpenMessageSubcode.UnacceptableHoldTime, data));
          }
          const negotiated = negotiateTimers(config, event.holdTime);
          const actions: FsmAction[] = [{ kind: 'stop-timer', timer: 'connect-retry' }, { kind: 'send-keepalive' }];
          if (negotiated.holdTime > 0) {
            actions.push(
              { kind: 'start-timer', timer: 'keepalive', seconds: negotiated.keepaliveTime },
              { kind: 'start-timer', timer: 'hold', seconds: negotiated.holdTime },
            );
          } else {
            actions.push({ kind: 'stop-timer', timer: 'hold' });
          }
          return { state: { name: 'OpenConfirm', connectRetryCounter: counter, passive: state.passive, negotiated }, actions };
        }
        case 'BGPHeaderErr':
        case 'BGPOpenMsgErr':
          return closeWith(state, event.notification);
        case 'OpenCollisionDump':
          return closeWith(state, notification(ErrorCode.Cease, CeaseSubcode.ConnectionCollisionResolution));
        case 'NotifMsgVerErr':
          return toIdle(state, { counter: 'keep', cause: { kind: 'remote-notification' } });
        case 'NotifMsg':
          return toIdle(state, { counter: 'increment', cause: { kind: 'remote-notification' } });
        default:
          return unexpected(state);
      }

    case 'OpenConfirm':
    case 'Established': {
      const { negotiated } = state;
      switch (event.type) {
        case 'ManualStart':
        case 'AutomaticStart':
          return same();
        case 'ManualStop':
        case 'AutomaticStop':
          return stop(state, event);
        case 'HoldTimer_Expires':
          return closeWith(state, notification(ErrorCode.HoldTimerExpired, 0));
        case 'KeepaliveTimer_Expires':
          return same([
            { kind: 'send-keepalive' },
            { kind: 'start-timer', timer: 'keepalive', seconds: negotiated.keepaliveTime },
          ]);
        case 'TcpConnectionFails':
          return toIdle(state, { counter: 'increment', cause: { kind: 'remote-closed' } });
        case 'NotifMsg':
        case 'NotifMsgVerErr':
          return toIdle(state, {
            counter: event.type === 'NotifMsg' ? 'increment' : 'keep',
            cause: { kind: 'remote-notification' },
          });
        case 'BGPHeaderErr':
        case 'BGPOpenMsgErr':
          return closeWith(state, event.notification);
        case 'OpenCollisionDump':
          return closeWith(state, notification(ErrorCode.Cease, CeaseSubcode.ConnectionCollisionResolution));
        case 'KeepAliveMsg':
          if (state.name === 'Established') return stayEstablished(state, negotiated, 'KeepAliveMsg');
          return {
            state: { name: 'Established', connectRetryCounter: counter, passive: state.passive, negotiated },
            actions: [...restartHold(negotiated), { kind: 'established', negotiated }],
          };
        case 'UpdateMsg':
          if (state.name === 'OpenConfirm') return unexpected(state);
          return stayEstablished(state, negotiated, 'UpdateMsg');
        case 'UpdateMsgErr':
          if (state.name === 'OpenConfirm') return unexpected(state);
          return closeWith(state, event.notification);
        default:
          return unexpected(state);
      }
    }
  }
}
