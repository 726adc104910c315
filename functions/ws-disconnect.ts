import { loadConfig } from '../lib/config.ts';
import { lambdaEntry } from '../lib/runtime/lambda-entry.ts';
import type { Deps } from '../lib/usecases/deps.ts';
import { disconnect } from '../lib/usecases/presence.ts';
import { speakerOf, type WsEvent } from '../lib/ws/speaker.ts';
import { wire } from '../lib/wiring.ts';

/** `$disconnect` (best effort on AWS; heartbeats and the sweeper catch the rest): forget the device, start its grace period. */
export function makeHandler(deps: Deps) {
  return async (event: WsEvent): Promise<{ statusCode: number }> => {
    await disconnect(deps, speakerOf(event));
    return { statusCode: 200 };
  };
}

export const handler = lambdaEntry(() => makeHandler(wire(loadConfig(process.env))));
