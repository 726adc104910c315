import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';

/** One open connection, as API Gateway tracks it. */
export interface LocalConnection {
  ws: WebSocket;
  connectedAt: number;
  lastActiveAt: number;
  sourceIp: string;
  userAgent: string;
  authorizer: Record<string, unknown>;
}


/** WebSocket frames the gateway carried, as API Gateway bills messages (benchmarks count the work of a call). */
export interface FrameCounts {
  /** Frames received from clients (each one invokes a route). */
  in: number;
  /** Two-way route responses sent back to the client. */
  answered: number;
  /** Frames sent through `@connections` POST. */
  posted: number;
}

/** What the `@connections` endpoint needs from the gateway. */
export interface ConnectionRegistry {
  readonly connections: Map<string, LocalConnection>;
  /** Counted when present. */
  readonly frames?: FrameCounts;
}

const MAX_POST_BYTES = 128 * 1024;

function gone(res: ServerResponse): void {
  res.writeHead(410, { 'content-type': 'application/json', 'x-amzn-errortype': 'GoneException' });
  res.end(JSON.stringify({ message: null }));
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_POST_BYTES) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_POST_BYTES ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * The `@connections` management API as `@aws-sdk/client-apigatewaymanagementapi` calls it:
 * `POST|GET|DELETE /<stage>/@connections/<id>`; a connection that is not open answers 410 GoneException.
 */
export async function handleManagementRequest(registry: ConnectionRegistry, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const match = /\/@connections\/([^/?]+)/.exec(req.url ?? '');
  if (!match?.[1]) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: 'Not Found' }));
    return;
  }
  const conn = registry.connections.get(decodeURIComponent(match[1]));
  if (!conn || conn.ws.readyState !== conn.ws.OPEN) return gone(res);
  if (req.method === 'POST') {
    const body = await readBody(req);
    if (body === undefined) {
      res.writeHead(413, { 'content-type': 'application/json', 'x-amzn-errortype': 'PayloadTooLargeException' });
      res.end(JSON.stringify({ message: 'Payload too large' }));
      return;
    }
    conn.ws.send(body.toString('utf8'));
    if (registry.frames) registry.frames.posted += 1;
    res.writeHead(200).end();
    return;
  }
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        connectedAt: new Date(conn.connectedAt).toISOString(),
        identity: { sourceIp: conn.sourceIp, userAgent: conn.userAgent },
        lastActiveAt: new Date(conn.lastActiveAt).toISOString(),
      }),
    );
    return;
  }
  if (req.method === 'DELETE') {
    conn.ws.close(1000, 'closed by the server');
    res.writeHead(204).end();
    return;
  }
  res.writeHead(405, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Method Not Allowed' }));
}
