import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** The HTTP API (payload format 2.0). For now it answers `/health`; the admin REST API joins it later. */
export function makeHandler(deps: { now: () => number }) {
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const json = (statusCode: number, body: unknown) => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (event.rawPath === '/health' && event.requestContext.http.method === 'GET') return json(200, { status: 'ok', time: deps.now() });
    return json(404, { message: `no route for ${event.requestContext.http.method} ${event.rawPath}` });
  };
}

export const handler = makeHandler({ now: () => Date.now() });
