/** The BGP-4 wire codec: pure functions and small classes over Buffer; no sockets. */
export * from './messages.js';
export * from './parser.js';
export * from './serializer.js';
export * from './nlri.js';
export * from './as4.js';
export {
  decodePathAttributes,
  defaultFlags,
  encodeAttribute,
  encodeAttributeValue,
  encodePathAttribute,
  encodePathAttributes,
  typeCodeOf,
  withPartialBit,
} from './attributes.js';
