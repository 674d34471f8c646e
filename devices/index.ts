export * from './result.ts';
export * from './topics.ts';
export * from './limits.ts';
export * from './payloads.ts';
export * from './protocol.ts';
