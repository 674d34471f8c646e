export * from './result.ts';
export * from './topics.ts';
export * from './limits.ts';
export * from './payloads.ts';
export * from './protocol.ts';
export * as ble from './ble/index.ts';
