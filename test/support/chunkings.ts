// The ways a TCP stream may arrive, for stream decoder tests (after pg-protocol's
// inbound-parser.test.ts): whole, cut in two at every octet boundary, and one octet at a time.
// A decoder must give the same messages for each.

export interface Chunking {
  readonly name: string;
  readonly chunks: readonly Buffer[];
}

export function* chunkings(stream: Buffer): Iterable<Chunking> {
  yield { name: 'whole', chunks: [stream] };
  for (let cut = 1; cut < stream.length; cut++) {
    yield { name: `cut at octet ${cut}`, chunks: [stream.subarray(0, cut), stream.subarray(cut)] };
  }
  yield { name: 'one octet at a time', chunks: Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1)) };
}
