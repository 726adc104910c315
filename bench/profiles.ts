/** How much each benchmark does: `smoke` (seconds, for `npm test`), `quick` (`npm run bench`), `full` (`npm run bench -- --full`). */
export interface Profile {
  name: 'smoke' | 'quick' | 'full';
  relay: { exchanges: number };
  floor: { durationMs: number; concurrency: number };
  signaling: { concurrency: number[]; rounds: Record<number, number>; separateProcess: boolean };
  work: { groups: number[]; multiDevice: boolean };
  fanout: { points: [members: number, devices: number][]; reps: number };
  records: { sizes: number[]; reps: number };
  coldStart: { functions: 'all' | string[]; runs: number };
}

const grid = (members: number[], devices: number[]) => members.flatMap((m) => devices.map((d) => [m, d] as [number, number]));

export const PROFILES: Record<Profile['name'], Profile> = {
  smoke: {
    name: 'smoke',
    relay: { exchanges: 3 },
    floor: { durationMs: 300, concurrency: 8 },
    signaling: { concurrency: [1, 2], rounds: { 1: 3, 2: 2 }, separateProcess: false },
    work: { groups: [], multiDevice: false },
    fanout: { points: [[2, 1], [3, 2]], reps: 1 },
    records: { sizes: [200], reps: 2 },
    coldStart: { functions: ['ws-connect'], runs: 1 },
  },
  quick: {
    name: 'quick',
    relay: { exchanges: 20 },
    floor: { durationMs: 1500, concurrency: 16 },
    signaling: { concurrency: [1, 10, 50], rounds: { 1: 60, 10: 8, 50: 3 }, separateProcess: true },
    work: { groups: [3, 6, 9], multiDevice: true },
    fanout: { points: [[2, 1], [9, 1], [2, 4], [5, 2], [9, 4]], reps: 8 },
    records: { sizes: [1_000, 10_000], reps: 8 },
    coldStart: { functions: 'all', runs: 3 },
  },
  full: {
    name: 'full',
    relay: { exchanges: 50 },
    floor: { durationMs: 3000, concurrency: 32 },
    signaling: { concurrency: [1, 10, 50, 200], rounds: { 1: 100, 10: 20, 50: 8, 200: 4 }, separateProcess: true },
    work: { groups: [3, 6, 9], multiDevice: true },
    // Members count the caller: 2..9 is 1..8 invitees (9 is the most a call may hold), each on 1..4 devices.
    fanout: { points: grid([2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4]), reps: 10 },
    records: { sizes: [1_000, 10_000, 100_000], reps: 10 },
    coldStart: { functions: 'all', runs: 10 },
  },
};
