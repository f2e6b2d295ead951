/**
 * RFC 6242 §4 message framing for NETCONF over SSH, as a pure codec: bytes in,
 * whole messages out, no sockets. The hello is always end-of-message framed
 * (§4.1); once both peers advertised base:1.1 the session switches to chunked
 * framing (§4.2) for every later message, in both directions.
 *
 * The decoder never buffers more than `maxMessageBytes` (plus one delimiter or
 * one chunk header) of a message: a peer that announces or sends more gets a
 * FramingError, and since framing cannot be resynchronised the session ends.
 */

export type FramingMode = 'eom' | 'chunked';

export type FramingErrorCode =
  | 'message-too-large' // message (or one announced chunk) exceeds maxMessageBytes
  | 'bad-chunk-header' // not `\n#<chunk-size>\n` or `\n##\n` where one is due
  | 'truncated'; // the stream ended inside a message

export class FramingError extends Error {
  override readonly name = 'FramingError';
  constructor(
    readonly code: FramingErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** RFC 6242 §4.1: the end-of-message delimiter of base:1.0. */
export const EOM_DELIMITER = ']]>]]>';
const EOM = Buffer.from(EOM_DELIMITER, 'latin1');

/** RFC 6242 §4.2: chunk-size = 1*DIGIT1 0*DIGIT, value 1..4294967295. */
export const MAX_CHUNK_SIZE = 4294967295;
const MAX_CHUNK_SIZE_DIGITS = 10;

export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

const LF = 0x0a;
const HASH = 0x23;

type ChunkState =
  | { kind: 'header-lf' } // expecting the LF that starts `\n#...`
  | { kind: 'header-hash' } // expecting `#`
  | { kind: 'header-size'; digits: string } // `#` seen; digits of chunk-size or a second `#`
  | { kind: 'end-lf' } // `\n##` seen, expecting the final LF
  | { kind: 'data'; remaining: number }; // inside chunk data

export interface FramingDecoderOptions {
  maxMessageBytes?: number;
}

/**
 * Streaming decoder. Feed bytes with push(); take messages one at a time with
 * next(), so the caller can switch to chunked framing right after the hello and
 * the bytes that followed the hello in the same read are decoded in the new mode.
 */
export class FramingDecoder {
  readonly maxMessageBytes: number;
  private modeValue: FramingMode = 'eom';
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  // EOM mode: how many reads of `pending` (and bytes) the delimiter search has
  // covered, and the last bytes seen, so a message split into many reads is scanned once.
  private eomScanned = 0;
  private eomScannedBytes = 0;
  private eomTail = Buffer.alloc(0);
  // Chunked mode
  private chunkState: ChunkState = { kind: 'header-lf' };
  private chunkParts: Buffer[] = [];
  private chunkMessageBytes = 0;

  constructor(options: FramingDecoderOptions = {}) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  get mode(): FramingMode {
    return this.modeValue;
  }

  /** Switch to chunked framing (RFC 6242 §4.1: after both hellos advertised base:1.1). */
  useChunked(): void {
    this.modeValue = 'chunked';
    this.resetEomScan();
    this.chunkState = { kind: 'header-lf' };
  }

  push(data: Buffer): void {
    if (data.length === 0) return;
    this.pending.push(data);
    this.pendingBytes += data.length;
  }

  /** The next complete message, or undefined when more bytes are needed. Throws FramingError. */
  next(): Buffer | undefined {
    return this.modeValue === 'eom' ? this.nextEom() : this.nextChunked();
  }

  /** True when a message has been started but not finished (bytes or chunks held). */
  get inMessage(): boolean {
    if (this.modeValue === 'eom') return !this.pending.every(isOnlyWhitespace);
    return this.chunkParts.length > 0 || this.chunkState.kind !== 'header-lf' || this.pendingBytes > 0;
  }

  /** The stream ended: a message cut in the middle is an error (RFC 6242 leaves no partial frames). */
  end(): void {
    if (this.inMessage) {
      throw new FramingError('truncated', 'the stream ended inside a NETCONF message');
    }
  }

  private joinPending(): Buffer {
    if (this.pending.length > 1) this.pending = [Buffer.concat(this.pending, this.pendingBytes)];
    return this.pending[0] ?? Buffer.alloc(0);
  }

  private consumePending(count: number): void {
    const buf = this.joinPending();
    const rest = buf.subarray(count);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
  }

  private nextEom(): Buffer | undefined {
    // Each read is searched once, together with the last bytes of the read before
    // it (a delimiter can straddle two reads); the message is joined only once found.
    while (this.eomScanned < this.pending.length) {
      const read = this.pending[this.eomScanned]!;
      const window = this.eomTail.length > 0 ? Buffer.concat([this.eomTail, read]) : read;
      const at = window.indexOf(EOM);
      if (at >= 0) {
        const end = this.eomScannedBytes - this.eomTail.length + at;
        if (end > this.maxMessageBytes) {
          throw new FramingError('message-too-large', `message of ${end} bytes exceeds ${this.maxMessageBytes}`);
        }
        const all = this.joinPending();
        // Copy so the caller does not pin the whole read buffer.
        const message = Buffer.from(all.subarray(0, end));
        this.consumePending(end + EOM.length);
        this.resetEomScan();
        return message;
      }
      this.eomTail = Buffer.from(window.subarray(Math.max(0, window.length - (EOM.length - 1))));
      this.eomScannedBytes += read.length;
      this.eomScanned += 1;
      if (this.eomScannedBytes > this.maxMessageBytes + EOM.length - 1) {
        throw new FramingError(
          'message-too-large',
          `message exceeds ${this.maxMessageBytes} bytes without an end-of-message delimiter`,
        );
      }
    }
    return undefined;
  }

  private resetEomScan(): void {
    this.eomScanned = 0;
    this.eomScannedBytes = 0;
    this.eomTail = Buffer.alloc(0);
  }

  private nextChunked(): Buffer | undefined {
    while (this.pendingBytes > 0) {
      const buf = this.joinPending();
      const state = this.chunkState;
      if (state.kind === 'data') {
        const take = Math.min(state.remaining, buf.length);
        this.chunkParts.push(Buffer.from(buf.subarray(0, take)));
        this.consumePending(take);
        const remaining = state.remaining - take;
        this.chunkState = remaining === 0 ? { kind: 'header-lf' } : { kind: 'data', remaining };
        continue;
      }
      // Header bytes are consumed one at a time; headers are at most 13 bytes.
      const byte = buf[0]!;
      this.consumePending(1);
      switch (state.kind) {
        case 'header-lf':
          if (byte !== LF) throw badHeader(byte, 'LF');
          this.chunkState = { kind: 'header-hash' };
          break;
        case 'header-hash':
          if (byte !== HASH) throw badHeader(byte, "'#'");
          this.chunkState = { kind: 'header-size', digits: '' };
          break;
        case 'header-size': {
          if (byte === HASH && state.digits === '') {
            if (this.chunkParts.length === 0) {
              // §4.2: a message is one or more chunks; `\n##\n` alone is not a message.
              throw new FramingError('bad-chunk-header', 'end-of-chunks without any chunk');
            }
            this.chunkState = { kind: 'end-lf' };
            break;
          }
          if (byte === LF && state.digits !== '') {
            const size = Number(state.digits);
            if (size > MAX_CHUNK_SIZE) {
              throw new FramingError('bad-chunk-header', `chunk-size ${state.digits} exceeds ${MAX_CHUNK_SIZE}`);
            }
            if (this.chunkMessageBytes + size > this.maxMessageBytes) {
              throw new FramingError(
                'message-too-large',
                `chunk of ${size} bytes would take the message beyond ${this.maxMessageBytes} bytes`,
              );
            }
            this.chunkMessageBytes += size;
            this.chunkState = { kind: 'data', remaining: size };
            break;
          }
          const isDigit = byte >= 0x30 && byte <= 0x39;
          if (!isDigit || (state.digits === '' && byte === 0x30) || state.digits.length >= MAX_CHUNK_SIZE_DIGITS) {
            throw badHeader(byte, 'a chunk-size digit');
          }
          this.chunkState = { kind: 'header-size', digits: state.digits + String.fromCharCode(byte) };
          break;
        }
        case 'end-lf': {
          if (byte !== LF) throw badHeader(byte, 'LF after end-of-chunks');
          const message = Buffer.concat(this.chunkParts, this.chunkMessageBytes);
          this.chunkParts = [];
          this.chunkMessageBytes = 0;
          this.chunkState = { kind: 'header-lf' };
          return message;
        }
      }
    }
    return undefined;
  }
}

function badHeader(byte: number, expected: string): FramingError {
  const shown = byte >= 0x20 && byte < 0x7f ? `'${String.fromCharCode(byte)}'` : `0x${byte.toString(16).padStart(2, '0')}`;
  return new FramingError('bad-chunk-header', `chunked framing: expected ${expected}, got ${shown}`);
}

function isOnlyWhitespace(buf: Buffer): boolean {
  for (const byte of buf) {
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return false;
  }
  return true;
}

/** RFC 6242 §4.1 end-of-message framing. */
export function encodeEom(message: string | Buffer): Buffer {
  const body = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
  return Buffer.concat([body, EOM]);
}

/**
 * RFC 6242 §4.2 chunked framing. Large messages are split into chunks of at most
 * `maxChunkBytes` so a slow reader on the other side can start parsing early.
 */
export function encodeChunked(message: string | Buffer, maxChunkBytes = 64 * 1024): Buffer {
  const body = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
  if (body.length === 0) throw new RangeError('chunked framing cannot carry an empty message');
  const parts: Buffer[] = [];
  for (let offset = 0; offset < body.length; offset += maxChunkBytes) {
    const chunk = body.subarray(offset, Math.min(offset + maxChunkBytes, body.length));
    parts.push(Buffer.from(`\n#${chunk.length}\n`, 'latin1'), chunk);
  }
  parts.push(Buffer.from('\n##\n', 'latin1'));
  return Buffer.concat(parts);
}

export function encodeFrame(mode: FramingMode, message: string | Buffer): Buffer {
  return mode === 'eom' ? encodeEom(message) : encodeChunked(message);
}
