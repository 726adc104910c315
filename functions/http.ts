import { loadConfig } from '../lib/config.ts';
import { makeHttpApi } from '../lib/rest/http-api.ts';
import { ALL_ROUTES } from '../lib/rest/routes.ts';
import { lambdaEntry } from '../lib/runtime/lambda-entry.ts';
import type { Deps } from '../lib/usecases/deps.ts';
import { wire } from '../lib/wiring.ts';

/** The HTTP API (payload format 2.0): the admin REST API, `/openapi.json` and `/health`. */
export function makeHandler(deps: Deps) {
  return makeHttpApi(deps, ALL_ROUTES);
}

export const handler = lambdaEntry(() => makeHandler(wire(loadConfig(process.env))));
