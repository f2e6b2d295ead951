// The benchmark's BMP collector and BGP sink. Both check what arrived rather than count it:
// the collector marks every IPv4 /24 of the generator's table it sees in Route Monitoring
// (unique prefixes, duplicates, prefixes not in the table, withdrawals) and compares the path
// attributes of a sample of messages with what the generator sent for their first prefix.
// Its parsing is its own on purpose (no bmpd codec): a benchmark that shared bmpd's decoder
// would not notice a bug both had.
import net from 'node:net';

const BMP_COMMON_HEADER = 6;
const BMP_PER_PEER_HEADER = 42;
const BMP_ROUTE_MONITORING = 0;
const BGP_HEADER = 19;
/** Per-peer header flag A (RFC 7854 §4.2): the AS_PATH uses 2-octet ASNs. */
const LEGACY_AS_PATH = 0x20;
/** Check the attributes of one Route Monitoring message with prefixes out of this many. */
const SAMPLE_EVERY = 97;

const ipv4 = (buf, at) => `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`;

/**
 * Path attributes of a BGP UPDATE (RFC 4271 §4.3) as the generator's plain values: origin,
 * AS_PATH ASNs (AS_SEQUENCE segments concatenated), next hop, MED, communities.
 */
function readAttributes(buf, start, end, asnSize) {
  const out = { origin: null, asns: [], nextHop: null, med: null, communities: [] };
  for (let p = start; p < end; ) {
    const flags = buf[p];
    const type = buf[p + 1];
    const extended = (flags & 0x10) !== 0;
    const length = extended ? buf.readUInt16BE(p + 2) : buf[p + 2];
    const v = p + (extended ? 4 : 3);
    p = v + length;
    if (type === 1) out.origin = buf[v];
    else if (type === 2) {
      for (let s = v; s < v + length; ) {
        const count = buf[s + 1];
        for (let i = 0; i < count; i++) out.asns.push(asnSize === 4 ? buf.readUInt32BE(s + 2 + i * 4) : buf.readUInt16BE(s + 2 + i * 2));
        s += 2 + count * asnSize;
      }
    } else if (type === 3) out.nextHop = ipv4(buf, v);
    else if (type === 4) out.med = buf.readUInt32BE(v);
    else if (type === 8) for (let c = v; c < v + length; c += 4) out.communities.push(buf.readUInt32BE(c));
  }
  return out;
}

/** What differs between the attributes received and the generator's set, or '' when nothing does. */
function attributeDifference(got, want) {
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const wrong = [];
  if (got.origin !== want.origin) wrong.push(`origin ${got.origin} != ${want.origin}`);
  if (!same(got.asns, want.asns)) wrong.push(`AS_PATH ${got.asns.join(' ')} != ${want.asns.join(' ')}`);
  if (got.nextHop !== want.nextHop) wrong.push(`NEXT_HOP ${got.nextHop} != ${want.nextHop}`);
  if (got.med !== want.med) wrong.push(`MED ${got.med} != ${want.med}`);
  // RFC 1997 makes COMMUNITIES a set: FRR sorts it and drops repeats (the generator's random
  // sets have some), so it is compared as a set.
  const sorted = (xs) => [...new Set(xs)].sort((a, b) => a - b);
  if (!same(sorted(got.communities), sorted(want.communities))) wrong.push(`COMMUNITIES ${got.communities} != ${want.communities}`);
  return wrong.join(', ');
}

/** The attributes prefix `index` was sent with, as an exporter that prepends `prependedAs` reports them. */
export function expectedAttributes(shape, index, prependedAs) {
  const sent = shape.expected(index);
  return prependedAs === undefined ? sent : { ...sent, asns: [prependedAs, ...sent.asns] };
}

/** Splits a byte stream into BMP messages (RFC 7854 §4.1: version 3, 4-octet length). */
class BmpFramer {
  #pending = null;

  *push(chunk) {
    let buf = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
    let p = 0;
    while (buf.length - p >= BMP_COMMON_HEADER) {
      if (buf[p] !== 3) throw new Error(`BMP version ${buf[p]} at a message boundary`);
      const length = buf.readUInt32BE(p + 1);
      if (length < BMP_COMMON_HEADER) throw new Error(`BMP message length ${length}`);
      if (buf.length - p < length) break;
      yield buf.subarray(p, p + length);
      p += length;
    }
    this.#pending = p < buf.length ? Buffer.from(buf.subarray(p)) : null;
  }
}

/**
 * A BMP collector for one phase of a benchmark (live export, or a dump to a new station):
 * completion is the moment it holds every prefix of the table, the same rule for every exporter.
 * `tee` (optional) is a function returning a socket each accepted connection's bytes are copied
 * to, for pmbmpd's cross-check. `prependedAs` (optional): the exporter is known to put its own AS
 * in front of a pre-policy AS_PATH (FRR 8.4), which the check then expects instead of failing.
 */
export class CheckingCollector {
  unique = 0;
  duplicates = 0;
  foreign = 0;
  withdrawn = 0;
  routeMonitoring = 0;
  /** Route Monitoring messages that carried prefixes (prefixes per message = unique / this, roughly). */
  routeMonitoringWithPrefixes = 0;
  messages = 0;
  bytes = 0;
  connections = 0;
  sampled = 0;
  mismatches = [];
  acceptedAt = 0;
  firstPrefixAt = 0;
  completeAt = 0;
  /**
   * completeAt on the wall clock (Date.now()), to compare with another process's Date.now(): this
   * process's performance.timeOrigin + performance.now() drifts from it (seen here: 1-5 ms per s).
   */
  completeWallAt = 0;
  /** The first IPv4 End-of-RIB (an empty UPDATE) at or after completion. */
  endOfRibAt = 0;
  /** Set when an exporter's stream could not be framed (the phase fails with it). */
  error = null;
  #seen;
  #sockets = new Set();
  /** The copies for pmbmpd: ended, not destroyed, at close, so what they still hold reaches it. */
  #copies = new Set();
  #waiters = [];

  constructor(shape, { tee, prependedAs } = {}) {
    this.shape = shape;
    this.prependedAs = prependedAs;
    this.#seen = new Uint8Array(shape.prefixes);
    this.tee = tee;
    this.server = net.createServer((socket) => this.#accept(socket));
  }

  listen(host, port) {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port, exclusive: true }, resolve);
    });
  }

  #accept(socket) {
    this.connections++;
    this.acceptedAt ||= performance.now();
    this.#sockets.add(socket);
    const copy = this.tee?.();
    if (copy) this.#copies.add(copy);
    const framer = new BmpFramer();
    socket.on('data', (chunk) => {
      const now = performance.now();
      this.bytes += chunk.length;
      copy?.write(chunk);
      try {
        for (const frame of framer.push(chunk)) this.#message(frame, now);
      } catch (err) {
        this.error = err;
        socket.destroy();
        this.#wake();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#sockets.delete(socket);
      copy?.end();
    });
  }

  #message(frame, now) {
    this.messages++;
    if (frame[5] !== BMP_ROUTE_MONITORING) return;
    this.routeMonitoring++;
    const u = BMP_COMMON_HEADER + BMP_PER_PEER_HEADER;
    const updateEnd = u + frame.readUInt16BE(u + 16);
    const withdrawnLength = frame.readUInt16BE(u + BGP_HEADER);
    let p = u + BGP_HEADER + 2;
    for (const end = p + withdrawnLength; p < end; p += 1 + ((frame[p] + 7) >> 3)) this.withdrawn++;
    const attributesLength = frame.readUInt16BE(p);
    const attributesStart = p + 2;
    p = attributesStart + attributesLength;
    if (p === updateEnd) {
      if (withdrawnLength === 0 && attributesLength === 0 && this.completeAt && !this.endOfRibAt) {
        this.endOfRibAt = now;
        this.#wake();
      }
      return;
    }
    this.routeMonitoringWithPrefixes++;
    this.firstPrefixAt ||= now;
    let firstIndex = -1;
    while (p < updateEnd) {
      const length = frame[p];
      const bytes = (length + 7) >> 3;
      let address = 0;
      for (let i = 0; i < 4; i++) address = address * 256 + (i < bytes ? frame[p + 1 + i] : 0);
      p += 1 + bytes;
      const index = this.shape.indexOf(address, length);
      if (index < 0) this.foreign++;
      else if (this.#seen[index]) this.duplicates++;
      else {
        this.#seen[index] = 1;
        this.unique++;
      }
      if (firstIndex < 0) firstIndex = index;
    }
    if (firstIndex >= 0 && this.routeMonitoringWithPrefixes % SAMPLE_EVERY === 1) {
      this.sampled++;
      const asnSize = frame[BMP_COMMON_HEADER + 1] & LEGACY_AS_PATH ? 2 : 4;
      const wrong = attributeDifference(readAttributes(frame, attributesStart, attributesStart + attributesLength, asnSize), expectedAttributes(this.shape, firstIndex, this.prependedAs));
      if (wrong && this.mismatches.length < 5) this.mismatches.push(`prefix #${firstIndex}: ${wrong}`);
      else if (wrong) this.mismatches.push('');
    }
    if (!this.completeAt && this.unique === this.shape.prefixes) {
      this.completeAt = now;
      this.completeWallAt = Date.now() - (performance.now() - now);
      this.#wake();
    }
  }

  #wake() {
    for (const w of this.#waiters.splice(0)) w();
  }

  #until(done, timeoutMs, what) {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.error) reject(new Error(`${what}: ${this.error.message}`));
        else if (done()) resolve();
        else this.#waiters.push(check);
      };
      check();
      setTimeout(() => reject(new Error(`${what}: ${this.describe()} after ${timeoutMs / 1000} s`)), timeoutMs).unref();
    });
  }

  /** Resolves once every prefix of the table arrived; rejects after timeoutMs with what did. */
  complete(what, timeoutMs) {
    return this.#until(() => this.completeAt, timeoutMs, what);
  }

  /** Resolves with true at the End-of-RIB after completion, or false if none comes within timeoutMs. */
  endOfRib(timeoutMs) {
    return this.#until(() => this.endOfRibAt, timeoutMs, 'End-of-RIB').then(() => true, () => false);
  }

  describe() {
    return `${this.unique} of ${this.shape.prefixes} prefixes (${this.duplicates} duplicates, ${this.foreign} not in the table, ${this.withdrawn} withdrawn; ${this.connections} connections)`;
  }

  /** Problems with what arrived: anything but the table, once each, with the sampled attributes right. */
  problems() {
    const found = [];
    if (this.unique !== this.shape.prefixes) found.push(`${this.unique} of ${this.shape.prefixes} prefixes`);
    if (this.foreign) found.push(`${this.foreign} prefixes not in the table`);
    if (this.withdrawn) found.push(`${this.withdrawn} withdrawals`);
    if (this.mismatches.length) found.push(`${this.mismatches.length} of ${this.sampled} sampled messages with other attributes (${this.mismatches.filter(Boolean).join('; ')})`);
    if (!this.sampled) found.push('no message sampled');
    return found;
  }

  async close() {
    for (const s of this.#sockets) s.destroy();
    for (const c of this.#copies) c.end();
    await new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * The cheapest BGP receiver there is, to measure the generator's own ceiling: it answers the OPEN,
 * then reads and frames the UPDATEs without decoding them, and notes when the End-of-RIB arrives.
 * The speaker side is bmpd's encoder (an OPEN and KEEPALIVEs only); nothing it receives is decoded
 * by bmpd code.
 */
export class BgpSink {
  endOfRibAt = 0;
  #waiters = [];

  constructor({ asNumber, routerId, encodeOpen, encodeKeepalive }) {
    this.server = net.createServer((socket) => {
      socket.write(encodeOpen({ version: 4, myAs: asNumber, holdTime: 180, bgpIdentifier: routerId,
        capabilities: [{ kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'four-octet-as', asn: asNumber }] }));
      socket.write(encodeKeepalive());
      let pending = null;
      socket.on('data', (chunk) => {
        const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
        let p = 0;
        while (buf.length - p >= BGP_HEADER) {
          const length = buf.readUInt16BE(p + 16);
          if (buf.length - p < length) break;
          // An UPDATE of 23 octets is the IPv4 End-of-RIB (RFC 4724 §2).
          if (buf[p + 18] === 2 && length === 23) {
            this.endOfRibAt = Date.now();
            for (const w of this.#waiters.splice(0)) w();
          }
          p += length;
        }
        pending = p < buf.length ? Buffer.from(buf.subarray(p)) : null;
      });
      socket.on('error', () => undefined);
    });
  }

  listen(host, port) {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port, exclusive: true }, resolve);
    });
  }

  endOfRib() {
    return this.endOfRibAt ? Promise.resolve() : new Promise((resolve) => this.#waiters.push(resolve));
  }

  close() {
    this.server.close();
  }
}
