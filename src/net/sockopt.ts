/**
 * Socket options Node has no API for (DSCP, TCP keepalive timers, RFC 2385
 * TCP MD5 signatures) and an active open that applies them BEFORE the SYN.
 *
 * Linux only: the calls go to libc through koffi, with the Linux ABI
 * constants below (identical on x86_64 and aarch64). Shared by the BGP
 * speaker (MD5, DSCP on neighbor sessions) and the BMP station session
 * (DSCP, keepalive on the connection to the collector).
 */
import net from 'node:net';
import os from 'node:os';
import util from 'node:util';
import koffi from 'koffi';
import { ipv4Bytes, ipv6Bytes } from './ip.js';

export { ipv6Bytes } from './ip.js';

// <sys/socket.h>, <netinet/in.h>, <netinet/tcp.h>, <linux/in6.h>
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_ERROR = 4;
const SO_KEEPALIVE = 9;
const IPPROTO_IP = 0;
const IP_TOS = 1;
const IPPROTO_IPV6 = 41;
const IPV6_TCLASS = 67;
const IPPROTO_TCP = 6;
const TCP_KEEPIDLE = 4;
const TCP_KEEPINTVL = 5;
const TCP_KEEPCNT = 6;
const TCP_MD5SIG = 14;
const TCP_MD5SIG_MAXKEYLEN = 80;
const EINPROGRESS = 115;
const EINTR = 4;
const ETIMEDOUT = 110;
const POLLOUT = 0x004;
const POLLERR = 0x008;
const POLLHUP = 0x010;

/** sizeof(struct sockaddr_storage) */
const SOCKADDR_STORAGE_SIZE = 128;
/** sizeof(struct tcp_md5sig): sockaddr_storage, flags u8, prefixlen u8, keylen u16, ifindex u32, key[80] */
const TCP_MD5SIG_SIZE = SOCKADDR_STORAGE_SIZE + 1 + 1 + 2 + 4 + TCP_MD5SIG_MAXKEYLEN;

interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, len: number): number;
  getsockopt(fd: number, level: number, name: number, value: Buffer, len: Buffer): number;
  getsockname(fd: number, addr: Buffer, len: Buffer): number;
  bind(fd: number, addr: Buffer, len: number): number;
  connect(fd: number, addr: Buffer, len: number): number;
  poll(fds: Buffer, nfds: number, timeoutMs: number): number;
  close(fd: number): number;
}

let libc: Libc | undefined;

function loadLibc(): Libc {
  if (libc) return libc;
  if (process.platform !== 'linux') {
    throw new Error(`socket options need Linux (this is ${process.platform}): DSCP, TCP MD5 and keepalive timers are set through libc`);
  }
  const lib = koffi.load('libc.so.6');
  libc = {
    socket: lib.func('int socket(int domain, int type, int protocol)'),
    setsockopt: lib.func('int setsockopt(int fd, int level, int name, const void *value, uint32_t len)'),
    getsockopt: lib.func('int getsockopt(int fd, int level, int name, void *value, void *len)'),
    getsockname: lib.func('int getsockname(int fd, void *addr, void *len)'),
    bind: lib.func('int bind(int fd, const void *addr, uint32_t len)'),
    connect: lib.func('int connect(int fd, const void *addr, uint32_t len)'),
    poll: lib.func('int poll(void *fds, unsigned long nfds, int timeout)'),
    close: lib.func('int close(int fd)'),
  } as Libc;
  return libc;
}

/** An Error shaped like Node's system errors (code, errno, syscall). */
export class SocketError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  constructor(syscall: string, errno: number, detail?: string) {
    const code = errno > 0 ? util.getSystemErrorName(-errno) : 'EUNKNOWN';
    super(`${syscall} ${code}${detail ? ` ${detail}` : ''}`);
    this.name = 'SocketError';
    this.code = code;
    this.errno = -errno;
    this.syscall = syscall;
  }
}

function check(syscall: string, rc: number, detail?: string): void {
  if (rc < 0) throw new SocketError(syscall, koffi.errno(), detail);
}

/**
 * The OS file descriptor behind a Node socket or server. Node keeps it on the
 * internal libuv handle; it exists once the socket is connected/connecting or
 * the server is listening.
 */
export function socketFd(s: net.Socket | net.Server): number {
  const handle = (s as unknown as { _handle?: { fd?: number } | null })._handle;
  const fd = handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    throw new Error('socket has no file descriptor yet (not connected, not listening, already closed, or not a TCP socket)');
  }
  return fd;
}

function intBuffer(value: number): Buffer {
  const b = Buffer.alloc(4);
  if (os.endianness() === 'LE') b.writeInt32LE(value);
  else b.writeInt32BE(value);
  return b;
}

function setIntOption(fd: number, level: number, name: number, value: number, what: string): void {
  check('setsockopt', loadLibc().setsockopt(fd, level, name, intBuffer(value), 4), what);
}

function getIntOption(fd: number, level: number, name: number, what: string): number {
  const value = Buffer.alloc(4);
  const len = intBuffer(4);
  check('getsockopt', loadLibc().getsockopt(fd, level, name, value, len), what);
  return os.endianness() === 'LE' ? value.readInt32LE() : value.readInt32BE();
}

function assertDscp(dscp: number): void {
  if (!Number.isInteger(dscp) || dscp < 0 || dscp > 63) throw new RangeError(`DSCP must be an integer 0..63, got ${dscp}`);
}

/** Marks the socket's traffic with a DSCP: the upper 6 bits of IPv4 TOS / IPv6 Traffic Class (RFC 2474). */
export function setDscp(fd: number, family: 4 | 6, dscp: number): void {
  assertDscp(dscp);
  if (family === 4) setIntOption(fd, IPPROTO_IP, IP_TOS, dscp << 2, 'IP_TOS');
  else setIntOption(fd, IPPROTO_IPV6, IPV6_TCLASS, dscp << 2, 'IPV6_TCLASS');
}

export function getDscp(fd: number, family: 4 | 6): number {
  const tos = family === 4 ? getIntOption(fd, IPPROTO_IP, IP_TOS, 'IP_TOS') : getIntOption(fd, IPPROTO_IPV6, IPV6_TCLASS, 'IPV6_TCLASS');
  return (tos >> 2) & 0x3f;
}

/**
 * TCP keepalive: first probe after idleSeconds of silence, then every
 * intervalSeconds, connection dropped after `probes` unanswered probes.
 */
export function setTcpKeepalive(fd: number, idleSeconds: number, intervalSeconds: number, probes: number): void {
  for (const [name, v] of [['idle', idleSeconds], ['interval', intervalSeconds], ['probes', probes]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 32767) throw new RangeError(`keepalive ${name} must be an integer 1..32767, got ${v}`);
  }
  setIntOption(fd, SOL_SOCKET, SO_KEEPALIVE, 1, 'SO_KEEPALIVE');
  setIntOption(fd, IPPROTO_TCP, TCP_KEEPIDLE, idleSeconds, 'TCP_KEEPIDLE');
  setIntOption(fd, IPPROTO_TCP, TCP_KEEPINTVL, intervalSeconds, 'TCP_KEEPINTVL');
  setIntOption(fd, IPPROTO_TCP, TCP_KEEPCNT, probes, 'TCP_KEEPCNT');
}

/** Reads back the keepalive settings (for tests and `show` output). */
export function getTcpKeepalive(fd: number): { enabled: boolean; idleSeconds: number; intervalSeconds: number; probes: number } {
  return {
    enabled: getIntOption(fd, SOL_SOCKET, SO_KEEPALIVE, 'SO_KEEPALIVE') !== 0,
    idleSeconds: getIntOption(fd, IPPROTO_TCP, TCP_KEEPIDLE, 'TCP_KEEPIDLE'),
    intervalSeconds: getIntOption(fd, IPPROTO_TCP, TCP_KEEPINTVL, 'TCP_KEEPINTVL'),
    probes: getIntOption(fd, IPPROTO_TCP, TCP_KEEPCNT, 'TCP_KEEPCNT'),
  };
}

/** The address family the socket was created with (AF_INET / AF_INET6), via getsockname(2). */
export function socketFamily(fd: number): 4 | 6 {
  const addr = Buffer.alloc(SOCKADDR_STORAGE_SIZE);
  const len = intBuffer(SOCKADDR_STORAGE_SIZE);
  check('getsockname', loadLibc().getsockname(fd, addr, len));
  const family = os.endianness() === 'LE' ? addr.readUInt16LE(0) : addr.readUInt16BE(0);
  if (family === AF_INET) return 4;
  if (family === AF_INET6) return 6;
  throw new Error(`fd ${fd} is not an IPv4/IPv6 socket (address family ${family})`);
}

/**
 * Writes struct sockaddr_in / sockaddr_in6 into `out` (which must hold 128
 * bytes) and returns the length to pass to the kernel. sa_family is in host
 * byte order, port and address in network order.
 */
function encodeSockaddr(out: Buffer, family: 4 | 6, address: string, port: number): number {
  const le = os.endianness() === 'LE';
  if (family === 4) {
    if (le) out.writeUInt16LE(AF_INET, 0);
    else out.writeUInt16BE(AF_INET, 0);
    out.writeUInt16BE(port, 2);
    ipv4Bytes(address).copy(out, 4);
    return 16;
  }
  if (le) out.writeUInt16LE(AF_INET6, 0);
  else out.writeUInt16BE(AF_INET6, 0);
  out.writeUInt16BE(port, 2);
  // sin6_flowinfo (4 bytes) stays 0
  ipv6Bytes(address).copy(out, 8);
  // sin6_scope_id (4 bytes at 24) stays 0: link-local peers are not supported here
  return 28;
}

/**
 * RFC 2385 TCP MD5 signature for one peer address: on a listening socket
 * (accepted connections from that peer inherit it) or on a socket before
 * connect. A null or empty key removes the peer's key. A v4 peer on an IPv6
 * socket is keyed by its v4-mapped address, which is how Linux matches
 * dual-stack sockets.
 */
export function setTcpMd5Sig(fd: number, peerAddress: string, key: string | null): void {
  const peerFamily = net.isIP(peerAddress);
  if (peerFamily === 0) throw new Error(`TCP MD5: peer address is not an IP address: ${peerAddress}`);
  const keyBytes = key ? Buffer.from(key, 'utf8') : Buffer.alloc(0);
  if (keyBytes.length > TCP_MD5SIG_MAXKEYLEN) throw new RangeError(`TCP MD5 key longer than ${TCP_MD5SIG_MAXKEYLEN} bytes`);
  const sockFamily = socketFamily(fd);
  let family: 4 | 6 = peerFamily === 4 ? 4 : 6;
  let address = peerAddress;
  if (sockFamily === 6 && family === 4) {
    family = 6;
    address = `::ffff:${peerAddress}`;
  } else if (sockFamily === 4 && family === 6) {
    throw new Error(`TCP MD5: IPv6 peer ${peerAddress} on an IPv4 socket`);
  }
  const cmd = Buffer.alloc(TCP_MD5SIG_SIZE);
  encodeSockaddr(cmd, family, address, 0);
  const le = os.endianness() === 'LE';
  // tcpm_flags = 0, tcpm_prefixlen = 0 (exact address), tcpm_keylen, tcpm_ifindex = 0
  if (le) cmd.writeUInt16LE(keyBytes.length, SOCKADDR_STORAGE_SIZE + 2);
  else cmd.writeUInt16BE(keyBytes.length, SOCKADDR_STORAGE_SIZE + 2);
  keyBytes.copy(cmd, SOCKADDR_STORAGE_SIZE + 8);
  check('setsockopt', loadLibc().setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, cmd, cmd.length), `TCP_MD5SIG ${peerAddress}`);
}

export interface ConnectTcpOptions {
  host: string;
  port: number;
  localAddress?: string;
  localPort?: number;
  /** DSCP 0..63, set before connect so the SYN is marked. */
  dscp?: number;
  /** RFC 2385 key, set before connect so the SYN is signed. */
  md5Key?: string;
  keepalive?: { idleSeconds: number; intervalSeconds: number; probes: number };
  timeoutMs: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits for a non-blocking connect to finish without blocking the event loop
 * and without parking a libuv thread-pool worker (which fs and dns share): it
 * polls with a zero timeout, backing off from 1 ms to 25 ms between polls.
 * Returns the socket's SO_ERROR (0 = connected).
 */
async function awaitConnect(lib: Libc, fd: number, deadline: number): Promise<number> {
  const pfd = Buffer.alloc(8);
  let pause = 1;
  for (;;) {
    pfd.fill(0);
    if (os.endianness() === 'LE') {
      pfd.writeInt32LE(fd, 0);
      pfd.writeInt16LE(POLLOUT, 4);
    } else {
      pfd.writeInt32BE(fd, 0);
      pfd.writeInt16BE(POLLOUT, 4);
    }
    const n = lib.poll(pfd, 1, 0);
    if (n < 0) {
      const e = koffi.errno();
      if (e !== EINTR) throw new SocketError('poll', e);
    } else if (n > 0) {
      const revents = os.endianness() === 'LE' ? pfd.readInt16LE(6) : pfd.readInt16BE(6);
      if (revents & (POLLOUT | POLLERR | POLLHUP)) return getIntOption(fd, SOL_SOCKET, SO_ERROR, 'SO_ERROR');
    }
    const left = deadline - Date.now();
    if (left <= 0) return -1;
    await sleep(Math.min(pause, left));
    pause = Math.min(pause * 2, 25);
  }
}

/**
 * Active TCP open with every option applied before the SYN leaves: socket(2),
 * DSCP, MD5 key, keepalive, bind(2) to the local address/port, non-blocking
 * connect(2); the connected fd is then handed to Node as a net.Socket (libuv
 * sees a TCP handle, so remoteAddress/localAddress work as usual).
 *
 * Errors carry Node-style codes: ECONNREFUSED, EHOSTUNREACH, EADDRNOTAVAIL,
 * ETIMEDOUT (timeoutMs elapsed; also what a peer that drops our unsigned or
 * wrongly signed SYN looks like). The fd is closed on every failure path.
 */
export async function connectTcp(opts: ConnectTcpOptions): Promise<net.Socket> {
  const lib = loadLibc();
  const ipVersion = net.isIP(opts.host);
  if (ipVersion === 0) throw new Error(`connectTcp: host must be an IP address, got ${opts.host}`);
  const family: 4 | 6 = ipVersion === 4 ? 4 : 6;
  if (opts.localAddress !== undefined && net.isIP(opts.localAddress) !== ipVersion) {
    throw new Error(`connectTcp: local address ${opts.localAddress} is not of the same family as ${opts.host}`);
  }
  if (opts.dscp !== undefined) assertDscp(opts.dscp);
  const deadline = Date.now() + opts.timeoutMs;

  const fd = lib.socket(family === 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  check('socket', fd);
  let handedOver = false;
  try {
    if (opts.dscp !== undefined) setDscp(fd, family, opts.dscp);
    if (opts.md5Key) setTcpMd5Sig(fd, opts.host, opts.md5Key);
    if (opts.keepalive) setTcpKeepalive(fd, opts.keepalive.idleSeconds, opts.keepalive.intervalSeconds, opts.keepalive.probes);
    const addr = Buffer.alloc(SOCKADDR_STORAGE_SIZE);
    if (opts.localAddress !== undefined || opts.localPort !== undefined) {
      const local = opts.localAddress ?? (family === 4 ? '0.0.0.0' : '::');
      const len = encodeSockaddr(addr, family, local, opts.localPort ?? 0);
      check('bind', lib.bind(fd, addr, len), `${local}:${opts.localPort ?? 0}`);
      addr.fill(0);
    }
    const len = encodeSockaddr(addr, family, opts.host, opts.port);
    const target = `${opts.host}:${opts.port}`;
    if (lib.connect(fd, addr, len) < 0) {
      const e = koffi.errno();
      if (e !== EINPROGRESS) throw new SocketError('connect', e, target);
      const soError = await awaitConnect(lib, fd, deadline);
      if (soError < 0) throw new SocketError('connect', ETIMEDOUT, `${target} (no answer within ${opts.timeoutMs} ms)`);
      if (soError > 0) throw new SocketError('connect', soError, target);
    }
    const socket = new net.Socket({ fd, readable: true, writable: true });
    handedOver = true;
    return socket;
  } finally {
    if (!handedOver) lib.close(fd);
  }
}
