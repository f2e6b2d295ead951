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

/** Admits an edit-config of 100,000 neighbors (12-21 MB, depending on the leaves set). */
export const DEFAULT_MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

const LF = 0x0a;
const HASH = 0x23;

// Where the chunked decoder is. Numbers, not objects: a peer sending one-byte chunks makes the
// decoder step through five states per byte of the message.
const HEADER_LF = 0; // expecting the LF that starts `\n#...`
const HEADER_HASH = 1; // expecting `#`
const HEADER_SIZE = 2; // `#` seen; digits of chunk-size or a second `#`
const END_LF = 3; // `\n##` seen, expecting the final LF
const DATA = 4; // inside chunk data
type ChunkPhase = typeof HEADER_LF | typeof HEADER_HASH | typeof HEADER_SIZE | typeof END_LF | typeof DATA;

/**
 * The steps FramingDecoder.next takes by default: unbounded. A caller that shares its thread passes
 * a budget instead: a header byte is a step, and so is each chunk's data (however long, it is one
 * copy); 16 Ki steps are about a millisecond (session.ts).
 */
export const DECODE_STEPS_UNBOUNDED = Infinity;

export interface FramingDecoderOptions {
  maxMessageBytes?: number;
}

/**
 * A byte buffer that grows by doubling and hands out its contents once. Reads
 * are copied in, so a peer sending a message as millions of one-byte reads or
 * one-byte chunks costs bytes, not millions of Buffer objects.
 */
class ByteQueue {
  private buf = Buffer.alloc(0);
  start = 0;
  end = 0;

  get length(): number {
    return this.end - this.start;
  }

  append(data: Buffer): void {
    this.room(data.length);
    data.copy(this.buf, this.end);
    this.end += data.length;
  }

  /** Move the first `count` bytes to the end of `target`. */
  moveTo(target: ByteQueue, count: number): void {
    target.room(count);
    if (count <= 16) {
      // A short chunk's data: byte by byte, cheaper than a native copy's call.
      for (let i = 0; i < count; i++) target.buf[target.end + i] = this.buf[this.start + i]!;
    } else {
      this.buf.copy(target.buf, target.end, this.start, this.start + count);
    }
    target.end += count;
    this.skip(count);
  }

  /** Space for `count` more bytes at the end. */
  private room(count: number): void {
    const live = this.end - this.start;
    if (this.end + count <= this.buf.length) return;
    if (this.start > 0 && live + count <= this.buf.length) {
      this.buf.copy(this.buf, 0, this.start, this.end);
    } else {
      const grown = Buffer.allocUnsafe(Math.max(live + count, this.buf.length * 2, 4096));
      this.buf.copy(grown, 0, this.start, this.end);
      this.buf = grown;
    }
    this.start = 0;
    this.end = live;
  }

  /** Take the first byte (the queue is not empty). */
  shift(): number {
    const byte = this.buf[this.start]!;
    this.start += 1;
    if (this.start === this.end) this.emptied();
    return byte;
  }

  /** Live bytes, without copying (valid until the next append). */
  view(): Buffer {
    return this.buf.subarray(this.start, this.end);
  }

  /** The first `count` bytes, dropped from the queue. All of them are handed over without a copy. */
  take(count: number): Buffer {
    if (count === this.length) {
      const all = this.buf.subarray(this.start, this.end);
      this.buf = Buffer.alloc(0);
      this.start = 0;
      this.end = 0;
      return all;
    }
    const out = Buffer.from(this.buf.subarray(this.start, this.start + count));
    this.skip(count);
    return out;
  }

  skip(count: number): void {
    this.start += count;
    if (this.start === this.end) this.emptied();
  }

  private emptied(): void {
    this.start = 0;
    this.end = 0;
    // Do not keep a message-sized buffer around for an idle session.
    if (this.buf.length > 256 * 1024) this.buf = Buffer.alloc(0);
  }
}

/**
 * Streaming decoder. Feed bytes with push(); take messages one at a time with
 * next(), so the caller can switch to chunked framing right after the hello and
 * the bytes that followed the hello in the same read are decoded in the new mode.
 */
export class FramingDecoder {
  readonly maxMessageBytes: number;
  private modeValue: FramingMode = 'eom';
  private readonly input = new ByteQueue();
  // EOM mode: bytes at the front of `input` already searched for the delimiter.
  private eomScanned = 0;
  // Chunked mode
  private chunkPhase: ChunkPhase = HEADER_LF;
  /** HEADER_SIZE: the chunk-size read so far, DATA: the chunk's bytes still to come. */
  private chunkBytes = 0;
  private chunkDigits = 0;
  private readonly body = new ByteQueue();
  private chunkCount = 0;
  private stepsRanOut = false;

  constructor(options: FramingDecoderOptions = {}) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  get mode(): FramingMode {
    return this.modeValue;
  }

  /** Switch to chunked framing (RFC 6242 §4.1: after both hellos advertised base:1.1). */
  useChunked(): void {
    this.modeValue = 'chunked';
    this.eomScanned = 0;
    this.chunkPhase = HEADER_LF;
  }

  push(data: Buffer): void {
    let from = 0;
    if (this.chunkPhase === DATA && this.modeValue === 'chunked' && this.input.length === 0) {
      // Chunk data goes straight to the message, not through `input` (one copy of a large message, not two).
      from = Math.min(this.chunkBytes, data.length);
      this.body.append(from === data.length ? data : data.subarray(0, from));
      this.chunkBytes -= from;
      if (this.chunkBytes === 0) this.chunkPhase = HEADER_LF;
    }
    if (from < data.length) this.input.append(from === 0 ? data : data.subarray(from));
  }

  /**
   * The next complete message, or undefined when more bytes are needed or `steps` ran out (then
   * `undecoded` is true: call again, after others had their turn). Throws FramingError.
   */
  next(steps = DECODE_STEPS_UNBOUNDED): Buffer | undefined {
    this.stepsRanOut = false;
    return this.modeValue === 'eom' ? this.nextEom() : this.nextChunked(steps);
  }

  /** Bytes are buffered that the last next() had no steps left to decode. */
  get undecoded(): boolean {
    return this.stepsRanOut;
  }

  /** True when a message has been started but not finished. */
  get inMessage(): boolean {
    if (this.modeValue === 'eom') return !isOnlyWhitespace(this.input.view());
    return this.chunkCount > 0 || this.chunkPhase !== HEADER_LF || this.input.length > 0;
  }

  /** The stream ended: a message cut in the middle is an error (RFC 6242 leaves no partial frames). */
  end(): void {
    if (this.inMessage) {
      throw new FramingError('truncated', 'the stream ended inside a NETCONF message');
    }
  }

  private nextEom(): Buffer | undefined {
    const view = this.input.view();
    // Resume the search where the last one stopped, less a partial delimiter.
    const at = view.indexOf(EOM, Math.max(0, this.eomScanned - (EOM.length - 1)));
    if (at < 0) {
      this.eomScanned = view.length;
      if (view.length > this.maxMessageBytes + EOM.length - 1) {
        throw new FramingError(
          'message-too-large',
          `message exceeds ${this.maxMessageBytes} bytes without an end-of-message delimiter`,
        );
      }
      return undefined;
    }
    if (at > this.maxMessageBytes) {
      throw new FramingError('message-too-large', `message of ${at} bytes exceeds ${this.maxMessageBytes}`);
    }
    const message = this.input.take(at);
    this.input.skip(EOM.length);
    this.eomScanned = 0;
    return message;
  }

  private nextChunked(steps: number): Buffer | undefined {
    const input = this.input;
    for (let step = 0; input.length > 0; step++) {
      if (step >= steps) {
        this.stepsRanOut = true;
        return undefined;
      }
      if (this.chunkPhase === DATA) {
        const take = Math.min(this.chunkBytes, input.length);
        input.moveTo(this.body, take);
        this.chunkBytes -= take;
        if (this.chunkBytes === 0) this.chunkPhase = HEADER_LF;
        continue;
      }
      // Header bytes one at a time; a header is at most 13 bytes.
      const byte = input.shift();
      switch (this.chunkPhase) {
        case HEADER_LF:
          if (byte !== LF) throw badHeader(byte, 'LF');
          this.chunkPhase = HEADER_HASH;
          break;
        case HEADER_HASH:
          if (byte !== HASH) throw badHeader(byte, "'#'");
          this.chunkPhase = HEADER_SIZE;
          this.chunkBytes = 0;
          this.chunkDigits = 0;
          break;
        case HEADER_SIZE: {
          if (byte === HASH && this.chunkDigits === 0) {
            if (this.chunkCount === 0) {
              // §4.2: a message is one or more chunks; `\n##\n` alone is not a message.
              throw new FramingError('bad-chunk-header', 'end-of-chunks without any chunk');
            }
            this.chunkPhase = END_LF;
            break;
          }
          if (byte === LF && this.chunkDigits > 0) {
            const size = this.chunkBytes;
            if (size > MAX_CHUNK_SIZE) {
              throw new FramingError('bad-chunk-header', `chunk-size ${size} exceeds ${MAX_CHUNK_SIZE}`);
            }
            // Refused on the announcement, before a byte of it is buffered.
            if (this.body.length + size > this.maxMessageBytes) {
              throw new FramingError(
                'message-too-large',
                `chunk of ${size} bytes would take the message beyond ${this.maxMessageBytes} bytes`,
              );
            }
            this.chunkCount += 1;
            this.chunkPhase = DATA;
            break;
          }
          const isDigit = byte >= 0x30 && byte <= 0x39;
          if (!isDigit || (this.chunkDigits === 0 && byte === 0x30) || this.chunkDigits >= MAX_CHUNK_SIZE_DIGITS) {
            throw badHeader(byte, 'a chunk-size digit');
          }
          this.chunkBytes = this.chunkBytes * 10 + (byte - 0x30);
          this.chunkDigits += 1;
          break;
        }
        case END_LF: {
          if (byte !== LF) throw badHeader(byte, 'LF after end-of-chunks');
          const message = this.body.take(this.body.length);
          this.chunkCount = 0;
          this.chunkPhase = HEADER_LF;
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
