/** The pure call state machine: types, commands, transitions and the record it produces. */
export * from './types.ts';
export * from './commands.ts';
export * from './errors.ts';
export type { Transition } from './transition.ts';
export { applyCommand } from './machine.ts';
export { startCall } from './start.ts';
export { toRecord } from './record.ts';
export { nextDeadline } from './timeout.ts';
export { snapshotFor, type CallSnapshot } from './snapshot.ts';
