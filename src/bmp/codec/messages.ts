/**
 * BMP message types (RFC 7854). Pure data: see serializer.ts and parser.ts
 * for the wire form. BGP PDUs carried inside BMP (UPDATE, OPEN, NOTIFICATION)
 * stay raw Buffers, complete with their 19-byte BGP header, so a received
 * UPDATE can be forwarded without re-encoding.
 */

export const BMP_VERSION = 3;
/** RFC 7854 §4.1: version (1), message length (4), message type (1). */
export const COMMON_HEADER_LENGTH = 6;
/** RFC 7854 §4.2 */
export const PER_PEER_HEADER_LENGTH = 42;

/** RFC 7854 §4.1 message type codes. */
export const MessageType = {
  routeMonitoring: 0,
  statisticsReport: 1,
  peerDown: 2,
  peerUp: 3,
  initiation: 4,
  termination: 5,
  routeMirroring: 6,
} as const;
export type MessageTypeName = keyof typeof MessageType;

/** RFC 7854 §4.2 peer types (2 = local instance; 3 = Loc-RIB per RFC 9069 is decoded as a plain number). */
export const PeerType = { global: 0, rdInstance: 1, localInstance: 2 } as const;

/** RFC 7854 §4.2 peer flags. */
export const PeerFlag = { ipv6: 0x80, postPolicy: 0x40, legacyAsPath: 0x20 } as const;

export interface BmpTimestamp {
  seconds: number;
  microseconds: number;
}

export interface PerPeerHeader {
  /** 0 global, 1 RD instance, 2 local instance. */
  peerType: number;
  /** 8 bytes; all zero for a global peer, the VRF's Route Distinguisher for an RD-instance peer. */
  distinguisher: Buffer;
  /** IPv4 or IPv6 text; the V flag on the wire follows the address family. */
  address: string;
  /** L flag: the Route Monitoring messages carry post-policy Adj-RIB-In. */
  postPolicy: boolean;
  /** A flag: AS_PATH in the legacy 2-byte format (the peer did not negotiate 4-byte ASNs). */
  legacyAsPath: boolean;
  asn: number;
  /** BGP Identifier in dotted-quad form. */
  bgpId: string;
  timestamp: BmpTimestamp;
}

/** Information TLVs of Initiation (§4.3) and Peer Up (§4.10): 0 string, 1 sysDescr, 2 sysName. */
export const InformationTlvType = { string: 0, sysDescr: 1, sysName: 2 } as const;

export type InformationTlv =
  | { kind: 'string'; text: string }
  | { kind: 'sysDescr'; text: string }
  | { kind: 'sysName'; text: string }
  | { kind: 'unknown'; tlvType: number; value: Buffer };

/** §4.5 Termination TLV type 1 reason codes. */
export const TerminationReason = {
  adminClose: 0,
  unspecified: 1,
  outOfResources: 2,
  redundantConnection: 3,
  permanentlyAdminClose: 4,
} as const;
export type TerminationReasonCode = (typeof TerminationReason)[keyof typeof TerminationReason];

export type TerminationTlv =
  | { kind: 'string'; text: string }
  | { kind: 'reason'; reason: number }
  | { kind: 'unknown'; tlvType: number; value: Buffer };

/** §4.9 Peer Down reasons. */
export const PeerDownReasonCode = {
  localNotification: 1,
  localNoNotification: 2,
  remoteNotification: 3,
  remoteNoData: 4,
  peerDeconfigured: 5,
} as const;

export type PeerDownReason =
  /** Local system closed the session with this NOTIFICATION (full BGP PDU). */
  | { reason: 'localNotification'; notification: Buffer }
  /** Local system closed without a NOTIFICATION; the FSM event that caused it (RFC 4271 §8.1). */
  | { reason: 'localNoNotification'; fsmEvent: number }
  /** The peer sent this NOTIFICATION (full BGP PDU). */
  | { reason: 'remoteNotification'; notification: Buffer }
  /** The transport closed with no NOTIFICATION received. */
  | { reason: 'remoteNoData' }
  /** Monitoring of the peer stopped by configuration (the session may still be up). */
  | { reason: 'peerDeconfigured' }
  | { reason: 'unknown'; code: number; data: Buffer };

/** §4.8 statistics types with 32-bit counters. */
export const CounterStatType = {
  rejectedPrefixes: 0,
  duplicatePrefixAdvertisements: 1,
  duplicateWithdraws: 2,
  clusterListLoop: 3,
  asPathLoop: 4,
  originatorIdLoop: 5,
  asConfedLoop: 6,
  updatesTreatedAsWithdraw: 11,
  prefixesTreatedAsWithdraw: 12,
  duplicateUpdates: 13,
} as const;
/** §4.8 statistics types with 64-bit gauges. */
export const GaugeStatType = { adjRibInRoutes: 7, locRibRoutes: 8 } as const;
/** §4.8 per-AFI/SAFI gauges: AFI (2), SAFI (1), 64-bit gauge. */
export const AfiSafiGaugeStatType = { perAfiSafiAdjRibInRoutes: 9, perAfiSafiLocRibRoutes: 10 } as const;

export type StatisticsEntry =
  | { kind: 'counter'; statType: number; value: number }
  | { kind: 'gauge'; statType: number; value: bigint }
  | { kind: 'afiSafiGauge'; statType: number; afi: number; safi: number; value: bigint }
  /** A type this codec does not know (IANA registry beyond 13): kept as bytes. */
  | { kind: 'unknown'; statType: number; data: Buffer };

/** §4.7 Route Mirroring TLV type 1 codes. */
export const MirroringInformation = { erroredPdu: 0, messagesLost: 1 } as const;

export type RouteMirroringTlv =
  | { kind: 'bgpMessage'; pdu: Buffer }
  | { kind: 'information'; code: number }
  | { kind: 'unknown'; tlvType: number; value: Buffer };

export interface RouteMonitoringMessage {
  type: 'routeMonitoring';
  peer: PerPeerHeader;
  /** The BGP UPDATE PDU, BGP header included, exactly as received. */
  update: Buffer;
}

export interface StatisticsReportMessage {
  type: 'statisticsReport';
  peer: PerPeerHeader;
  stats: StatisticsEntry[];
}

export interface PeerDownMessage {
  type: 'peerDown';
  peer: PerPeerHeader;
  down: PeerDownReason;
}

export interface PeerUpMessage {
  type: 'peerUp';
  peer: PerPeerHeader;
  localAddress: string;
  localPort: number;
  remotePort: number;
  /** OPEN PDUs with their BGP headers. */
  sentOpen: Buffer;
  receivedOpen: Buffer;
  information: InformationTlv[];
}

export interface InitiationMessage {
  type: 'initiation';
  information: InformationTlv[];
}

export interface TerminationMessage {
  type: 'termination';
  information: TerminationTlv[];
}

export interface RouteMirroringMessage {
  type: 'routeMirroring';
  peer: PerPeerHeader;
  tlvs: RouteMirroringTlv[];
}

export type BmpMessage =
  | RouteMonitoringMessage
  | StatisticsReportMessage
  | PeerDownMessage
  | PeerUpMessage
  | InitiationMessage
  | TerminationMessage
  | RouteMirroringMessage;
