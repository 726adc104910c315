import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Deps } from '../usecases/deps.ts';
import { openApiDocument } from './openapi.ts';
import { handleRestRequest } from './rest-request.ts';
import type { RestRoute } from './route.ts';

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'content-type, x-requested-with',
  'access-control-allow-methods': 'POST, GET, OPTIONS',
};

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...CORS },
  body: JSON.stringify(body),
});

/**
 * The HTTP API: `/v4/…` and `/v1/…` admin endpoints (HTTP 200 with the outcome in the envelope),
 * `/openapi.json`, `/health`, and CORS preflight for browser dashboards.
 */
export function makeHttpApi(deps: Deps, routes: readonly RestRoute[]) {
  const table = new Map(routes.map((r) => [`/${r.generation}/${r.path}`, r]));
  const openapi = openApiDocument(routes);
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const method = event.requestContext.http.method;
    const path = event.rawPath;
    if (method === 'OPTIONS') return { statusCode: 204, headers: CORS };
    if (path === '/health' && method === 'GET') return json(200, { status: 'ok', time: deps.clock.now() });
    if (path === '/openapi.json' && method === 'GET') return json(200, openapi);
    const generation = path.startsWith('/v4/') ? 'v4' : path.startsWith('/v1/') ? 'v1' : undefined;
    if (generation) return json(200, await handleRestRequest(deps, table, event, generation));
    return json(404, { message: `no route for ${method} ${path}` });
  };
}
