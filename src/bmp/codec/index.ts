export * from './messages.js';
export * from './serializer.js';
export * from './parser.js';
