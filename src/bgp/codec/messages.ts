/**
 * BGP-4 message and path-attribute types (RFC 4271 and the extensions bmpd
 * speaks). Pure data: the parser turns bytes into these, the serializer turns
 * them back into bytes. Nothing here knows about sockets.
 *
 * Decoded messages carry `raw`, a Buffer slice of the whole message including
 * the 19-octet header. See parser.ts for the slice's lifetime.
 */

// ---------------------------------------------------------------------------
// Framing (RFC 4271 §4.1)

export const BGP_MARKER_LENGTH = 16;
export const BGP_HEADER_LENGTH = 19;
/** RFC 4271 §4.1: no message may exceed 4096 octets (RFC 8654 raises it; not negotiated by bmpd). */
export const BGP_MAX_MESSAGE_LENGTH = 4096;
export const BGP_EXTENDED_MAX_MESSAGE_LENGTH = 65535;
export const BGP_VERSION = 4;
/** RFC 6793 §9: placeholder 2-octet AS for a 4-octet AS number. */
export const AS_TRANS = 23456;

export const MessageType = {
  Open: 1,
  Update: 2,
  Notification: 3,
  Keepalive: 4,
  /** RFC 2918 */
  RouteRefresh: 5,
} as const;
export type MessageTypeCode = (typeof MessageType)[keyof typeof MessageType];

// ---------------------------------------------------------------------------
// NOTIFICATION codes (RFC 4271 §4.5, §6; RFC 4486; RFC 6608; RFC 7313)

export const ErrorCode = {
  MessageHeader: 1,
  OpenMessage: 2,
  UpdateMessage: 3,
  HoldTimerExpired: 4,
  FiniteStateMachine: 5,
  Cease: 6,
  /** RFC 7313 §5 */
  RouteRefreshMessage: 7,
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export const MessageHeaderSubcode = {
  ConnectionNotSynchronized: 1,
  BadMessageLength: 2,
  BadMessageType: 3,
} as const;

export const OpenMessageSubcode = {
  UnsupportedVersionNumber: 1,
  BadPeerAs: 2,
  BadBgpIdentifier: 3,
  UnsupportedOptionalParameter: 4,
  // 5 (Authentication Failure) is deprecated by RFC 4271.
  UnacceptableHoldTime: 6,
  /** RFC 5492 §5 */
  UnsupportedCapability: 7,
} as const;

export const UpdateMessageSubcode = {
  MalformedAttributeList: 1,
  UnrecognizedWellKnownAttribute: 2,
  MissingWellKnownAttribute: 3,
  AttributeFlagsError: 4,
  AttributeLengthError: 5,
  InvalidOriginAttribute: 6,
  // 7 (AS Routing Loop) is deprecated by RFC 4271.
  InvalidNextHopAttribute: 8,
  OptionalAttributeError: 9,
  InvalidNetworkField: 10,
  MalformedAsPath: 11,
} as const;

/** RFC 6608 */
export const FsmErrorSubcode = {
  Unspecified: 0,
  UnexpectedMessageInOpenSent: 1,
  UnexpectedMessageInOpenConfirm: 2,
  UnexpectedMessageInEstablished: 3,
} as const;

/** RFC 4486 §4 (9 Hard Reset: RFC 8538) */
export const CeaseSubcode = {
  MaximumNumberOfPrefixesReached: 1,
  AdministrativeShutdown: 2,
  PeerDeconfigured: 3,
  AdministrativeReset: 4,
  ConnectionRejected: 5,
  OtherConfigurationChange: 6,
  ConnectionCollisionResolution: 7,
  OutOfResources: 8,
  HardReset: 9,
} as const;

/** RFC 7313 §5 */
export const RouteRefreshMessageSubcode = {
  InvalidMessageLength: 1,
} as const;

/** RFC 7313 §3: the Reserved octet of RFC 2918 became the Message Subtype. */
export const RouteRefreshSubtype = {
  Normal: 0,
  BeginningOfRouteRefresh: 1,
  EndOfRouteRefresh: 2,
} as const;

// ---------------------------------------------------------------------------
// Address families (RFC 4760; RFC 4364 / 4659 for SAFI 128)

export const Afi = { Ipv4: 1, Ipv6: 2 } as const;
export const Safi = { Unicast: 1, Multicast: 2, MplsLabel: 4, MplsVpn: 128 } as const;

export type AddressFamily = 'ipv4-unicast' | 'ipv6-unicast' | 'vpnv4-unicast' | 'vpnv6-unicast';
export const ADDRESS_FAMILIES: readonly AddressFamily[] = ['ipv4-unicast', 'ipv6-unicast', 'vpnv4-unicast', 'vpnv6-unicast'];

export interface AfiSafi {
  readonly afi: number;
  readonly safi: number;
}

// ---------------------------------------------------------------------------
// OPEN (RFC 4271 §4.2) and capabilities (RFC 5492)

export const OptionalParameterType = {
  /** RFC 5492 §4 */
  Capabilities: 2,
} as const;

export const CapabilityCode = {
  Multiprotocol: 1,
  RouteRefresh: 2,
  ExtendedMessage: 6,
  GracefulRestart: 64,
  FourOctetAs: 65,
  AddPath: 69,
  EnhancedRouteRefresh: 70,
  /** Pre-standard Cisco route refresh; peers often send it next to code 2. */
  RouteRefreshCisco: 128,
} as const;

export type Capability =
  | { readonly kind: 'multiprotocol'; readonly afi: number; readonly safi: number }
  | { readonly kind: 'route-refresh' }
  | { readonly kind: 'enhanced-route-refresh' }
  | { readonly kind: 'four-octet-as'; readonly asn: number }
  /** Any other capability, kept so Peer Up can re-emit the OPEN faithfully. */
  | { readonly kind: 'unknown'; readonly code: number; readonly value: Buffer };

export interface OpenFields {
  readonly version: number;
  /** The 2-octet "My Autonomous System" field (AS_TRANS when the real AS needs 4 octets). */
  readonly myAs: number;
  readonly holdTime: number;
  /** BGP Identifier in dotted-quad form. */
  readonly bgpIdentifier: string;
  readonly capabilities: readonly Capability[];
}

// ---------------------------------------------------------------------------
// UPDATE (RFC 4271 §4.3) and path attributes

export const AttributeFlag = {
  Optional: 0x80,
  Transitive: 0x40,
  Partial: 0x20,
  ExtendedLength: 0x10,
} as const;

export const AttributeTypeCode = {
  Origin: 1,
  AsPath: 2,
  NextHop: 3,
  MultiExitDisc: 4,
  LocalPref: 5,
  AtomicAggregate: 6,
  Aggregator: 7,
  Communities: 8,
  /** RFC 4456 */
  OriginatorId: 9,
  ClusterList: 10,
  MpReachNlri: 14,
  MpUnreachNlri: 15,
  /** RFC 4360 */
  ExtendedCommunities: 16,
  /** RFC 6793 */
  As4Path: 17,
  As4Aggregator: 18,
  /** RFC 8092 */
  LargeCommunities: 32,
} as const;

export const Origin = { Igp: 0, Egp: 1, Incomplete: 2 } as const;
export type OriginValue = (typeof Origin)[keyof typeof Origin];

export const AsPathSegmentType = {
  AsSet: 1,
  AsSequence: 2,
  /** RFC 5065 */
  AsConfedSequence: 3,
  AsConfedSet: 4,
} as const;
export type AsPathSegmentTypeValue = (typeof AsPathSegmentType)[keyof typeof AsPathSegmentType];

export interface AsPathSegment {
  readonly type: AsPathSegmentTypeValue;
  readonly asns: readonly number[];
}

export interface LargeCommunity {
  readonly globalAdministrator: number;
  readonly localData1: number;
  readonly localData2: number;
}

/** IPv4 unicast prefix; address is the network as an unsigned 32-bit number (host bits zero). */
export interface Ipv4Prefix {
  readonly family: 'ipv4-unicast';
  readonly length: number;
  readonly address: number;
}

/** IPv6 unicast prefix; address is 16 octets, host bits zero. */
export interface Ipv6Prefix {
  readonly family: 'ipv6-unicast';
  readonly length: number;
  readonly address: Buffer;
}

/**
 * VPN-IPv4 / VPN-IPv6 prefix (RFC 4364 §4.3.4, RFC 4659, RFC 8277).
 * `length` is the IP prefix length only (labels and RD excluded).
 * `labels` are the raw 3-octet label stack entries (label << 4 | TC << 1 | S),
 * kept raw so the RFC 3107 withdraw value 0x800000 survives a round trip.
 */
export interface VpnPrefix {
  readonly family: 'vpnv4-unicast' | 'vpnv6-unicast';
  readonly length: number;
  /** 4 octets (vpnv4) or 16 octets (vpnv6), host bits zero. */
  readonly address: Buffer;
  readonly labels: readonly number[];
  /** Route Distinguisher, 8 octets (RFC 4364 §4.2). */
  readonly rd: Buffer;
}

export type Prefix = Ipv4Prefix | Ipv6Prefix | VpnPrefix;

interface AttributeBase {
  /** Flags as received; the serializer sets Extended Length itself when the value needs it. */
  readonly flags: number;
}

export type PathAttribute =
  | (AttributeBase & { readonly kind: 'origin'; readonly origin: OriginValue })
  | (AttributeBase & { readonly kind: 'as-path'; readonly segments: readonly AsPathSegment[] })
  | (AttributeBase & { readonly kind: 'next-hop'; readonly nextHop: string })
  | (AttributeBase & { readonly kind: 'multi-exit-disc'; readonly med: number })
  | (AttributeBase & { readonly kind: 'local-pref'; readonly localPref: number })
  | (AttributeBase & { readonly kind: 'atomic-aggregate' })
  | (AttributeBase & { readonly kind: 'aggregator'; readonly asn: number; readonly address: string })
  | (AttributeBase & { readonly kind: 'communities'; readonly communities: readonly number[] })
  | (AttributeBase & { readonly kind: 'originator-id'; readonly originatorId: string })
  | (AttributeBase & { readonly kind: 'cluster-list'; readonly clusterIds: readonly string[] })
  | (AttributeBase & {
      readonly kind: 'mp-reach-nlri';
      readonly afi: number;
      readonly safi: number;
      /** Next hop field as sent (for VPN families: RD of zeros + address; for IPv6 maybe global + link-local). */
      readonly nextHop: Buffer;
      /** Decoded NLRI for the families bmpd knows; empty for others. */
      readonly nlri: readonly Prefix[];
      /** The NLRI octets of a family bmpd does not decode (flowspec, EVPN, ...), kept for re-encoding. */
      readonly undecodedNlri?: Buffer;
    })
  | (AttributeBase & {
      readonly kind: 'mp-unreach-nlri';
      readonly afi: number;
      readonly safi: number;
      readonly withdrawn: readonly Prefix[];
      /** The withdrawn NLRI octets of a family bmpd does not decode. */
      readonly undecodedNlri?: Buffer;
    })
  /** Each value is one 8-octet extended community (RFC 4360 §2). */
  | (AttributeBase & { readonly kind: 'extended-communities'; readonly communities: readonly Buffer[] })
  | (AttributeBase & { readonly kind: 'as4-path'; readonly segments: readonly AsPathSegment[] })
  | (AttributeBase & { readonly kind: 'as4-aggregator'; readonly asn: number; readonly address: string })
  | (AttributeBase & { readonly kind: 'large-communities'; readonly communities: readonly LargeCommunity[] })
  /**
   * Any other attribute, kept with its flags. RFC 4271 §5: an unrecognized optional
   * transitive attribute gets the Partial bit when re-advertised to another peer
   * (see withPartialBit in serializer.ts). Replay to a BMP station is not a
   * re-advertisement: it shows what the neighbor sent, so the flags stay as received.
   */
  | (AttributeBase & { readonly kind: 'unknown'; readonly typeCode: number; readonly value: Buffer });

export type PathAttributeKind = PathAttribute['kind'];
export type MpReachAttribute = Extract<PathAttribute, { kind: 'mp-reach-nlri' }>;
export type MpUnreachAttribute = Extract<PathAttribute, { kind: 'mp-unreach-nlri' }>;
export type MpAttribute = MpReachAttribute | MpUnreachAttribute;

export interface UpdateFields {
  /** IPv4 unicast withdrawn routes field. */
  readonly withdrawnRoutes: readonly Ipv4Prefix[];
  /** Path attributes in wire order (after RFC 7606 handling: discarded attributes are absent). */
  readonly attributes: readonly PathAttribute[];
  /** IPv4 unicast NLRI field. */
  readonly nlri: readonly Ipv4Prefix[];
}

// ---------------------------------------------------------------------------
// RFC 7606 verdicts

export interface NotificationFields {
  readonly code: number;
  readonly subcode: number;
  readonly data: Buffer;
}

export interface DiscardedAttribute {
  readonly typeCode: number;
  readonly reason: string;
}

/**
 * What the receiver must do with an UPDATE (RFC 7606 §2, §3). When several
 * errors occur, the most severe wins (session-reset > treat-as-withdraw >
 * attribute-discard); `discarded` lists every discarded attribute anyway.
 */
export type UpdateVerdict =
  | { readonly action: 'ok' }
  | { readonly action: 'attribute-discard'; readonly discarded: readonly DiscardedAttribute[] }
  | {
      readonly action: 'treat-as-withdraw';
      readonly reason: string;
      readonly discarded: readonly DiscardedAttribute[];
    }
  | { readonly action: 'session-reset'; readonly reason: string; readonly notification: NotificationFields };

// ---------------------------------------------------------------------------
// Messages

export interface OpenMessage extends OpenFields {
  readonly type: 'open';
  readonly raw: Buffer;
  /** The peer's AS: from the 4-octet AS capability when present, else myAs. */
  readonly asn: number;
}

export interface UpdateMessage extends UpdateFields {
  readonly type: 'update';
  readonly raw: Buffer;
  /**
   * The NLRI field as received (a slice of raw), already checked, when decodeUpdate made the
   * message: `nlri` decodes it on first read; the Adj-RIB-In walks it in place instead.
   */
  readonly nlriOctets?: Buffer;
  /** The Path Attributes field as received (slice of raw). */
  readonly pathAttributesRaw: Buffer;
  /** The MP_REACH_NLRI / MP_UNREACH_NLRI among `attributes`, if any (they vary per UPDATE; see decodeUpdate). */
  readonly mpReach: MpReachAttribute | undefined;
  readonly mpUnreach: MpUnreachAttribute | undefined;
  /** The options the UPDATE was decoded with: a verdict holds for them only. */
  readonly codecOptions: SessionCodecOptions | undefined;
  readonly verdict: UpdateVerdict;
  /** RFC 4724 §2: set when this UPDATE is an End-of-RIB marker. */
  readonly endOfRib: AfiSafi | undefined;
}

export interface NotificationMessage extends NotificationFields {
  readonly type: 'notification';
  readonly raw: Buffer;
}

export interface KeepaliveMessage {
  readonly type: 'keepalive';
  readonly raw: Buffer;
}

export interface RouteRefreshFields {
  readonly afi: number;
  readonly safi: number;
  /** RFC 7313 subtype; values other than 0..2 must be ignored by the receiver. */
  readonly subtype: number;
}

export interface RouteRefreshMessage extends RouteRefreshFields {
  readonly type: 'route-refresh';
  readonly raw: Buffer;
}

export type BgpMessage = OpenMessage | UpdateMessage | NotificationMessage | KeepaliveMessage | RouteRefreshMessage;

/** A complete, header-checked message as cut from the byte stream by BgpMessageReader. */
export interface BgpFrame {
  readonly type: MessageTypeCode;
  /** The whole message including the header. */
  readonly raw: Buffer;
}

/** Per-session facts the decoder needs (known after the OPEN exchange). */
export interface SessionCodecOptions {
  /** Both sides sent the 4-octet AS capability (RFC 6793): AS_PATH and AGGREGATOR carry 4-octet ASNs. */
  readonly fourOctetAs: boolean;
  /** External peer: LOCAL_PREF from it is discarded (RFC 7606 §7.5). */
  readonly ebgp: boolean;
}

const ERROR_NAMES: Readonly<Record<number, readonly [string, Readonly<Record<number, string>>]>> = {
  [ErrorCode.MessageHeader]: ['Message Header Error', { 1: 'Connection Not Synchronized', 2: 'Bad Message Length', 3: 'Bad Message Type' }],
  [ErrorCode.OpenMessage]: [
    'OPEN Message Error',
    { 0: 'Unspecific', 1: 'Unsupported Version Number', 2: 'Bad Peer AS', 3: 'Bad BGP Identifier', 4: 'Unsupported Optional Parameter', 6: 'Unacceptable Hold Time', 7: 'Unsupported Capability' },
  ],
  [ErrorCode.UpdateMessage]: [
    'UPDATE Message Error',
    {
      1: 'Malformed Attribute List',
      2: 'Unrecognized Well-known Attribute',
      3: 'Missing Well-known Attribute',
      4: 'Attribute Flags Error',
      5: 'Attribute Length Error',
      6: 'Invalid ORIGIN Attribute',
      8: 'Invalid NEXT_HOP Attribute',
      9: 'Optional Attribute Error',
      10: 'Invalid Network Field',
      11: 'Malformed AS_PATH',
    },
  ],
  [ErrorCode.HoldTimerExpired]: ['Hold Timer Expired', {}],
  [ErrorCode.FiniteStateMachine]: [
    'Finite State Machine Error',
    { 0: 'Unspecified', 1: 'Unexpected Message in OpenSent', 2: 'Unexpected Message in OpenConfirm', 3: 'Unexpected Message in Established' },
  ],
  [ErrorCode.Cease]: [
    'Cease',
    {
      1: 'Maximum Number of Prefixes Reached',
      2: 'Administrative Shutdown',
      3: 'Peer De-configured',
      4: 'Administrative Reset',
      5: 'Connection Rejected',
      6: 'Other Configuration Change',
      7: 'Connection Collision Resolution',
      8: 'Out of Resources',
      9: 'Hard Reset',
    },
  ],
  [ErrorCode.RouteRefreshMessage]: ['ROUTE-REFRESH Message Error', { 1: 'Invalid Message Length' }],
};

/** "Cease / Administrative Shutdown" — the RFC names, for logs and show output. */
export function describeNotification(code: number, subcode: number): string {
  const entry = ERROR_NAMES[code];
  if (entry === undefined) return `error code ${code} subcode ${subcode}`;
  const [name, subcodes] = entry;
  if (subcode === 0 && subcodes[0] === undefined) return name;
  return `${name} / ${subcodes[subcode] ?? `subcode ${subcode}`}`;
}

/**
 * A protocol error that ends the session: carries the NOTIFICATION to send
 * (RFC 4271 §6). Thrown by the reader for header errors and by the
 * decoders of OPEN, KEEPALIVE, NOTIFICATION and ROUTE-REFRESH.
 */
export class BgpProtocolError extends Error {
  readonly notification: NotificationFields;

  constructor(message: string, code: number, subcode: number, data: Buffer = Buffer.alloc(0)) {
    super(message);
    this.name = 'BgpProtocolError';
    this.notification = { code, subcode, data };
  }
}
