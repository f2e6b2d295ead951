import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FramingDecoder,
  FramingError,
  MAX_CHUNK_SIZE,
  encodeChunked,
  encodeEom,
} from '../../src/netconf/framing.js';

const HELLO = '<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities/></hello>';
const RPC_A = '<rpc message-id="1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get/></rpc>';
const RPC_B = '<rpc message-id="2" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config/>é]]></rpc>';

function drain(decoder: FramingDecoder): string[] {
  const out: string[] = [];
  for (let m = decoder.next(); m !== undefined; m = decoder.next()) out.push(m.toString('utf8'));
  return out;
}

function framingError(fn: () => unknown): FramingError {
  try {
    fn();
  } catch (err) {
    if (err instanceof FramingError) return err;
    throw err;
  }
  throw new Error('expected a FramingError');
}

describe('RFC 6242 §4.3 end-of-message framing', () => {
  const wire = Buffer.concat([encodeEom(RPC_A), encodeEom(RPC_B)]);

  it('decodes two messages split at every byte offset', () => {
    for (let cut = 0; cut <= wire.length; cut++) {
      const decoder = new FramingDecoder();
      decoder.push(wire.subarray(0, cut));
      const first = drain(decoder);
      decoder.push(wire.subarray(cut));
      expect([...first, ...drain(decoder)]).toEqual([RPC_A, RPC_B]);
      expect(() => decoder.end()).not.toThrow();
    }
  });

  it('decodes messages fed one byte per read', () => {
    const decoder = new FramingDecoder();
    const out: string[] = [];
    for (const byte of wire) {
      decoder.push(Buffer.from([byte]));
      out.push(...drain(decoder));
    }
    expect(out).toEqual([RPC_A, RPC_B]);
  });

  it('rejects a message longer than maxMessageBytes before its delimiter arrives', () => {
    const decoder = new FramingDecoder({ maxMessageBytes: 100 });
    decoder.push(Buffer.alloc(200, 0x20));
    expect(framingError(() => decoder.next()).code).toBe('message-too-large');
  });

  it('accepts a message of exactly maxMessageBytes', () => {
    const decoder = new FramingDecoder({ maxMessageBytes: RPC_A.length });
    decoder.push(encodeEom(RPC_A));
    expect(drain(decoder)).toEqual([RPC_A]);
  });

  it('reports a message cut in the middle when the stream ends', () => {
    const decoder = new FramingDecoder();
    decoder.push(Buffer.from(RPC_A.slice(0, 20)));
    expect(drain(decoder)).toEqual([]);
    expect(framingError(() => decoder.end()).code).toBe('truncated');
  });

  it('ignores trailing whitespace at the end of the stream', () => {
    const decoder = new FramingDecoder();
    decoder.push(Buffer.concat([encodeEom(RPC_A), Buffer.from('\n')]));
    expect(drain(decoder)).toEqual([RPC_A]);
    expect(() => decoder.end()).not.toThrow();
  });
});

describe('RFC 6242 §4.2 chunked framing', () => {
  it('switches after the hello, with chunked bytes in the same read as the hello', () => {
    const wire = Buffer.concat([encodeEom(HELLO), encodeChunked(RPC_A), encodeChunked(RPC_B, 7)]);
    for (let cut = 0; cut <= wire.length; cut++) {
      const decoder = new FramingDecoder();
      const out: string[] = [];
      const feed = (part: Buffer) => {
        decoder.push(part);
        for (let m = decoder.next(); m !== undefined; m = decoder.next()) {
          out.push(m.toString('utf8'));
          if (out.length === 1) decoder.useChunked();
        }
      };
      feed(wire.subarray(0, cut));
      feed(wire.subarray(cut));
      expect(out).toEqual([HELLO, RPC_A, RPC_B]);
      expect(() => decoder.end()).not.toThrow();
    }
  });

  it('joins a message made of many chunks (RFC 6242 §4.2 example shape)', () => {
    const decoder = new FramingDecoder();
    decoder.useChunked();
    decoder.push(Buffer.from('\n#4\n<rpc\n#18\n message-id="102"\n\n#79\n     xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">\n  <close-session/>\n</rpc>\n##\n'));
    expect(drain(decoder)).toEqual([
      '<rpc message-id="102"\n     xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">\n  <close-session/>\n</rpc>',
    ]);
  });

  it('encodes large messages as several chunks that decode back', () => {
    const body = 'x'.repeat(200_000);
    const wire = encodeChunked(body, 65_536);
    expect(wire.toString('latin1').match(/\n#\d+\n/g)).toHaveLength(4);
    const decoder = new FramingDecoder();
    decoder.useChunked();
    decoder.push(wire);
    expect(drain(decoder)).toEqual([body]);
  });

  it('refuses a chunk header announcing 4 GB before any data arrives', () => {
    const decoder = new FramingDecoder();
    decoder.useChunked();
    decoder.push(Buffer.from(`\n#${MAX_CHUNK_SIZE}\n<rpc`));
    expect(framingError(() => decoder.next()).code).toBe('message-too-large');
  });

  it('refuses chunk sizes beyond 4294967295 as a bad header', () => {
    const decoder = new FramingDecoder({ maxMessageBytes: Number.MAX_SAFE_INTEGER });
    decoder.useChunked();
    decoder.push(Buffer.from('\n#4294967296\n'));
    expect(framingError(() => decoder.next()).code).toBe('bad-chunk-header');
  });

  it('refuses a chunk-size with 11 digits without waiting for more', () => {
    const decoder = new FramingDecoder();
    decoder.useChunked();
    decoder.push(Buffer.from('\n#12345678901'));
    expect(framingError(() => decoder.next()).code).toBe('bad-chunk-header');
  });

  it('refuses chunks that together exceed maxMessageBytes', () => {
    const decoder = new FramingDecoder({ maxMessageBytes: 10 });
    decoder.useChunked();
    decoder.push(Buffer.from('\n#6\n<rpc/>\n#6\n'));
    expect(framingError(() => decoder.next()).code).toBe('message-too-large');
  });

  for (const [label, bytes] of [
    ['a zero chunk-size', '\n#0\n'],
    ['a leading zero', '\n#01\nx'],
    ['a missing LF', '#4\n<rpc'],
    ['a stray byte between chunks', '\n#1\nx \n##\n'],
    ['a non-digit size', '\n#1a\n'],
    ['end-of-chunks with no chunk', '\n##\n'],
    ['no LF after ##', '\n#1\nx\n##x'],
    ['an EOM delimiter in chunked mode', '<rpc/>]]>]]>'],
  ] as const) {
    it(`refuses ${label}`, () => {
      const decoder = new FramingDecoder();
      decoder.useChunked();
      decoder.push(Buffer.from(bytes));
      expect(framingError(() => drain(decoder)).code).toBe('bad-chunk-header');
    });
  }

  it('reports a frame cut inside chunk data and inside a header', () => {
    for (const bytes of ['\n#10\n<rpc', '\n#1', '\n#3\nabc', '\n#3\nabc\n#']) {
      const decoder = new FramingDecoder();
      decoder.useChunked();
      decoder.push(Buffer.from(bytes));
      expect(drain(decoder)).toEqual([]);
      expect(framingError(() => decoder.end()).code).toBe('truncated');
    }
  });

  it('joins a message sent as one-byte chunks, fed one chunk per read', () => {
    const body = Buffer.from('<rpc message-id="1"/>'.padEnd(50_000, ' '));
    const decoder = new FramingDecoder();
    decoder.useChunked();
    const out: string[] = [];
    for (const byte of body) {
      decoder.push(Buffer.from(`\n#1\n${String.fromCharCode(byte)}`, 'latin1'));
      out.push(...drain(decoder));
    }
    decoder.push(Buffer.from('\n##\n'));
    out.push(...drain(decoder));
    expect(out).toEqual([body.toString()]);
  });

  it('refuses to encode an empty message (chunk-size is at least 1)', () => {
    expect(() => encodeChunked('')).toThrow(RangeError);
  });
});

describe('chunked decoding in bounded steps (a message of one-byte chunks)', () => {
  const oneByteChunks = (message: string) =>
    Buffer.concat([...Buffer.from(message)].map((byte) => Buffer.from([0x0a, 0x23, 0x31, 0x0a, byte])).concat(Buffer.from('\n##\n')));

  it('decodes at most `steps` header bytes and chunks per call, then says more is buffered; the message is the same', () => {
    const message = RPC_A.repeat(200);
    const wire = Buffer.concat([oneByteChunks(message), encodeChunked(RPC_B)]);
    const decoder = new FramingDecoder();
    decoder.useChunked();
    decoder.push(wire);
    const out: string[] = [];
    let calls = 0;
    for (;;) {
      const m = decoder.next(1000);
      calls++;
      if (m !== undefined) out.push(m.toString('utf8'));
      else if (!decoder.undecoded) break;
    }
    expect(out).toEqual([message, RPC_B]);
    // 5 steps per byte of the message (4 header bytes and the data byte), at most 1000 a call.
    expect(calls).toBeGreaterThanOrEqual(Math.ceil((5 * Buffer.byteLength(message)) / 1000));
    expect(decoder.undecoded).toBe(false);
  });

  it('a call with steps left over decodes all that is buffered, as the unbounded one does', () => {
    const decoder = new FramingDecoder();
    decoder.useChunked();
    decoder.push(oneByteChunks(RPC_A));
    expect(decoder.next(5 * RPC_A.length + 10)?.toString('utf8')).toBe(RPC_A);
    expect(decoder.next(1)).toBeUndefined();
    expect(decoder.undecoded).toBe(false);
  });
});

describe('framing round trip (property)', () => {
  it('decodes any sequence of messages cut into any reads, in both modes', () => {
    // `]]>` cannot occur in XML character data, so a real message never ends in
    // part of the delimiter (the ambiguity EOM framing has by design).
    const messageText = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 300 })
      .filter((m) => !m.includes(']]>'));
    fc.assert(
      fc.property(
        fc.array(messageText, { minLength: 1, maxLength: 6 }),
        fc.constantFrom<'eom' | 'chunked'>('eom', 'chunked'),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
        (messages, mode, chunkBytes, cuts) => {
          const wire = Buffer.concat(
            messages.map((m) => (mode === 'eom' ? encodeEom(m) : encodeChunked(m, chunkBytes))),
          );
          const decoder = new FramingDecoder();
          if (mode === 'chunked') decoder.useChunked();
          const out: string[] = [];
          let offset = 0;
          for (let i = 0; offset < wire.length; i++) {
            const size = cuts[i % cuts.length]!;
            decoder.push(wire.subarray(offset, offset + size));
            offset += size;
            out.push(...drain(decoder));
          }
          expect(out).toEqual(messages);
          decoder.end();
        },
      ),
      { numRuns: 300 },
    );
  });
});
