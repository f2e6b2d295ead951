// What the BGP speaker tells its consumer (the BMP engine). Each payload carries exactly what
// the matching BMP message needs: 'established' -> Peer Up (RFC 7854 §4.10), 'update' ->
// Route Monitoring (§4.6, the UPDATE bytes as received), 'down' -> Peer Down (§4.9, reasons 1..5).
import { describeNotification } from './codec/messages.js';
import type { AddressFamily } from './config.js';
import type { FsmStateName, NegotiatedTimers } from './fsm.js';

export type { NeighborKey } from './config.js';
import type { NeighborKey } from './config.js';

export interface NegotiatedCapabilities {
  /** Families both sides announced (RFC 4760; IPv4 unicast implied when the peer sends no MP capability). */
  readonly families: readonly AddressFamily[];
  /** RFC 2918 (code 2, or Cisco's pre-standard 128) on both sides: we may send ROUTE-REFRESH. */
  readonly routeRefresh: boolean;
  /** RFC 7313 on both sides. */
  readonly enhancedRouteRefresh: boolean;
  /** RFC 6793 on both sides: AS numbers are 4 octets on the wire. */
  readonly fourOctetAs: boolean;
}

export interface EstablishedEvent {
  readonly neighbor: NeighborKey;
  readonly vrf: string | null;
  /** The VRF's route distinguisher (BMP per-peer header type 1) or null for the global table. */
  readonly rd: string | null;
  readonly peerAddress: string;
  readonly peerAs: number;
  readonly peerBgpId: string;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remotePort: number;
  /** Our OPEN as sent, BGP header included. */
  readonly sentOpen: Buffer;
  /** The neighbor's OPEN as received, BGP header included. */
  readonly receivedOpen: Buffer;
  readonly capabilities: NegotiatedCapabilities;
  readonly negotiated: NegotiatedTimers;
  readonly establishedAt: Date;
}

export interface UpdateSummary {
  /** Families the UPDATE touches (announced or withdrawn). */
  readonly families: readonly AddressFamily[];
  readonly announced: number;
  readonly withdrawn: number;
  /** RFC 4724: the family this End-of-RIB marker closes, else null. */
  readonly endOfRib: AddressFamily | null;
  /** RFC 7606 treat-as-withdraw: the announced prefixes were withdrawn instead. */
  readonly treatAsWithdraw: boolean;
}

export interface UpdateEvent {
  readonly neighbor: NeighborKey;
  /** The UPDATE exactly as received, BGP header included (BMP Route Monitoring forwards it). */
  readonly raw: Buffer;
  readonly summary: UpdateSummary;
  /** When it was handled, ms since the epoch (Date.now(): no Date object per UPDATE). */
  readonly receivedAt: number;
}

/** BMP Peer Down reasons 1..5 (RFC 7854 §4.9). */
export type DownReason =
  /** 1: we sent a NOTIFICATION; `pdu` is that message, header included. */
  | { readonly kind: 'local-notification'; readonly pdu: Buffer }
  /** 2: we closed without a NOTIFICATION; the RFC 4271 §8.1 event number that did it. */
  | { readonly kind: 'local-no-notification'; readonly fsmEvent: number }
  /** 3: the neighbor sent a NOTIFICATION; `pdu` as received, header included. */
  | { readonly kind: 'remote-notification'; readonly pdu: Buffer }
  /** 4: the neighbor closed the TCP connection without a NOTIFICATION. */
  | { readonly kind: 'remote-closed' }
  /** 5: the neighbor was removed from the configuration (we still sent it Cease/3). */
  | { readonly kind: 'deconfigured' };

/** RFC 4271 §8.1 event names, for a session closed without a NOTIFICATION. */
const FSM_EVENTS: Record<number, string> = {
  1: 'ManualStart', 2: 'ManualStop', 3: 'AutomaticStart', 4: 'ManualStart_with_PassiveTcpEstablishment',
  5: 'AutomaticStart_with_PassiveTcpEstablishment', 6: 'AutomaticStart_with_DampPeerOscillations',
  7: 'AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment', 8: 'AutomaticStop',
  9: 'ConnectRetryTimer_Expires', 10: 'HoldTimer_Expires', 11: 'KeepaliveTimer_Expires', 12: 'DelayOpenTimer_Expires',
  13: 'IdleHoldTimer_Expires', 14: 'TcpConnection_Valid', 15: 'Tcp_CR_Invalid', 16: 'Tcp_CR_Acked',
  17: 'TcpConnectionConfirmed', 18: 'TcpConnectionFails', 19: 'BGPOpen', 20: 'BGPOpen with DelayOpenTimer running',
  21: 'BGPHeaderErr', 22: 'BGPOpenMsgErr', 23: 'OpenCollisionDump', 24: 'NotifMsgVerErr', 25: 'NotifMsg',
  26: 'KeepAliveMsg', 27: 'UpdateMsg', 28: 'UpdateMsgErr',
};

/** A NOTIFICATION PDU's code and subcode (after the 19-octet header, RFC 4271 §4.5); null when it is cut short. */
export function notificationCodes(pdu: Buffer): { code: number; subcode: number } | null {
  return pdu.length >= 21 ? { code: pdu[19]!, subcode: pdu[20]! } : null;
}

/** A NOTIFICATION PDU in words. */
function notificationText(direction: 'sent' | 'received', pdu: Buffer): string {
  const codes = notificationCodes(pdu);
  if (codes === null) return `notification ${direction}`;
  return `notification ${direction} ${codes.code}/${codes.subcode} (${describeNotification(codes.code, codes.subcode)})`;
}

/**
 * A DownReason in words, the one wording of it: the neighbor's last-down-reason (the seed's 'last
 * down reason') and the reason of a bgp-neighbor-state-change notification.
 */
export function downReasonText(reason: DownReason): string {
  switch (reason.kind) {
    case 'local-notification':
      return notificationText('sent', reason.pdu);
    case 'remote-notification':
      return notificationText('received', reason.pdu);
    case 'local-no-notification': {
      const name = FSM_EVENTS[reason.fsmEvent];
      return `closed locally without notification (event ${reason.fsmEvent}${name ? ` ${name}` : ''})`;
    }
    case 'remote-closed':
      return 'connection closed by the neighbor';
    case 'deconfigured':
      return 'neighbor removed from the configuration';
  }
}

export interface DownEvent {
  readonly neighbor: NeighborKey;
  readonly reason: DownReason;
  readonly at: Date;
}

export interface StateChangeEvent {
  readonly neighbor: NeighborKey;
  readonly from: FsmStateName;
  readonly to: FsmStateName;
}

export interface SpeakerEvents {
  established: [EstablishedEvent];
  update: [UpdateEvent];
  down: [DownEvent];
  'state-change': [StateChangeEvent];
  /** A non-fatal problem the operator should see (listener failure, MD5 setup, refused connection). */
  warning: [{ readonly neighbor: NeighborKey | null; readonly message: string }];
}

export interface MessageCounters {
  open: number;
  update: number;
  notification: number;
  keepalive: number;
  routeRefresh: number;
}

/** One neighbor as show commands and the YANG oper state see it. */
export interface NeighborSnapshot {
  readonly key: NeighborKey;
  readonly address: string;
  readonly vrf: string | null;
  readonly remoteAs: number;
  readonly description: string | null;
  readonly state: FsmStateName;
  readonly adminShutdown: boolean;
  readonly establishedAt: Date | null;
  /** Times the session reached Established. */
  readonly establishedTransitions: number;
  readonly prefixes: Readonly<Partial<Record<AddressFamily, number>>>;
  readonly received: Readonly<MessageCounters>;
  readonly sent: Readonly<MessageCounters>;
  /**
   * RFC 7606 treat-as-withdraw UPDATEs and every prefix they carried, over all sessions. (BMP
   * stat types 11 and 12 come from the Adj-RIB-In's per-session counters, not from these.)
   */
  readonly treatAsWithdrawUpdates: number;
  readonly treatAsWithdrawPrefixes: number;
  readonly lastDown: (DownReason & { readonly at: Date }) | null;
  readonly negotiated: NegotiatedTimers | null;
  readonly capabilities: NegotiatedCapabilities | null;
  readonly peerBgpId: string | null;
  readonly localAddress: string | null;
  readonly readingPaused: boolean;
}
