import type { Call, Effect } from './types.ts';

/** The outcome of applying a command: the new call state and what the world must do about it. */
export interface Transition {
  call: Call;
  effects: Effect[];
}
