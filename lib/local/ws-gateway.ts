import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { WsEvent } from '../ws/speaker.ts';
import { handleManagementRequest, type FrameCounts, type LocalConnection } from './connections-endpoint.ts';
import { listen } from './listen.ts';

/** The Lambda handlers behind the WebSocket API, as the stack wires them. */
export interface WsRoutes {
  authorizer: (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;
  connect: (event: WsEvent) => Promise<{ statusCode: number }>;
  disconnect: (event: WsEvent) => Promise<unknown>;
  /** Action routes and `$default` (all integrated with the same function). */
  message: (event: WsEvent) => Promise<{ statusCode: number; body?: string }>;
  /** Route keys other than `$default` (chosen by `$request.body.action`). */
  actions: readonly string[];
}

/** API Gateway accepts frames up to 32 KB and messages up to 128 KB; bigger messages close the socket (1009). */
const MAX_MESSAGE_BYTES = 128 * 1024;

const newConnectionId = () => `${randomBytes(11).toString('base64').replace(/[+/]/g, 'x').slice(0, 14)}=`;

/**
 * The WebSocket API on localhost: the REQUEST authorizer on the handshake, `$connect`, route
 * selection on `action`, `$disconnect`, two-way route responses, and the `@connections`
 * management API on the same port (POST/GET/DELETE, 410 for gone connections).
 */
export class LocalWebSocketGateway {
  readonly connections = new Map<string, LocalConnection>();
  /** Frames in and out so far (out = answered + posted), for counting the work of a call. */
  readonly frames: FrameCounts = { in: 0, answered: 0, posted: 0 };
  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  private readonly inFlight = new Set<Promise<unknown>>();
  private port = 0;

  constructor(
    private readonly routes: WsRoutes,
    private readonly options: {
      stage: string;
      onError: (message: string, err: unknown) => void;
      /** API Gateway closes a connection with no message from its client for 10 minutes… */
      idleTimeoutMs?: number;
      /** …and any connection after 2 hours. */
      maxLifetimeMs?: number;
    },
  ) {
    this.server = createServer((req, res) => handleManagementRequest(this, req, res));
    this.server.on('upgrade', (req, socket, head) => this.track(this.upgrade(req, socket, head)));
  }

  /** Starts listening; resolves with the bound port. */
  async start(port: number, host: string): Promise<number> {
    this.port = await listen(this.server, port, host);
    return this.port;
  }

  /** The management endpoint URL the SDK client is given (`@connections` lives under it). */
  managementEndpoint(host = '127.0.0.1'): string {
    return `http://${host}:${this.port}/${this.options.stage}`;
  }

  /** Closes every connection (running `$disconnect`), then the server. */
  async close(): Promise<void> {
    // Every connection's close (and its `$disconnect`) must finish before the stores behind it shut down.
    const closed = [...this.connections.values()].map(
      (c) => new Promise<void>((resolve) => (c.ws.readyState === c.ws.CLOSED ? resolve() : (c.ws.once('close', () => resolve()), c.ws.close(1001, 'server shutting down')))),
    );
    await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, 2_000))]);
    for (const c of this.connections.values()) c.ws.terminate();
    await this.drain();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.drain();
  }

  /** Waits until no handler the gateway started is still running (handlers may start others). */
  private async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private track<T>(p: Promise<T>): void {
    this.inFlight.add(p);
    p.catch((err) => this.options.onError('websocket gateway error', err)).finally(() => this.inFlight.delete(p));
  }

  private requestContext(connectionId: string, routeKey: string, eventType: string, sourceIp: string, userAgent: string, connectedAt: number) {
    const now = Date.now();
    return {
      routeKey,
      eventType,
      messageDirection: 'IN',
      stage: this.options.stage,
      connectionId,
      connectedAt,
      requestTimeEpoch: now,
      requestTime: new Date(now).toUTCString(),
      requestId: randomUUID(),
      extendedRequestId: randomUUID(),
      messageId: eventType === 'MESSAGE' ? randomBytes(8).toString('base64') : undefined,
      domainName: `127.0.0.1:${this.port}`,
      apiId: 'local',
      identity: { sourceIp, userAgent },
    };
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const query = Object.fromEntries(url.searchParams);
    const sourceIp = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '';
    const userAgent = req.headers['user-agent'] ?? '';
    const connectionId = newConnectionId();
    const connectedAt = Date.now();
    const context = this.requestContext(connectionId, '$connect', 'CONNECT', sourceIp, userAgent, connectedAt);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    const authorizer = await this.authorize(req, query, headers, context);
    if (typeof authorizer === 'number') return refuse(socket, authorizer);
    const connectEvent = { requestContext: { ...context, authorizer }, headers, queryStringParameters: query, isBase64Encoded: false } as WsEvent;
    const connected = await this.routes.connect(connectEvent).catch((err) => (this.options.onError('$connect failed', err), { statusCode: 500 }));
    if (connected.statusCode < 200 || connected.statusCode > 299) return refuse(socket, connected.statusCode);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws, connectionId, { connectedAt, sourceIp, userAgent, authorizer }));
  }

  /** Runs the authorizer: its context, or the HTTP status that refuses the handshake. */
  private async authorize(req: IncomingMessage, query: Record<string, string>, headers: Record<string, string>, context: object): Promise<Record<string, unknown> | number> {
    const event = {
      type: 'REQUEST',
      methodArn: `arn:aws:execute-api:local:000000000000:local/${this.options.stage}/$connect`,
      headers,
      queryStringParameters: query,
      requestContext: context,
      stageVariables: {},
      path: req.url ?? '/',
      httpMethod: 'GET',
      resource: '$connect',
    } as unknown as APIGatewayRequestAuthorizerEvent;
    try {
      const result = await this.routes.authorizer(event);
      const allowed = result.policyDocument.Statement.every((s) => s.Effect === 'Allow');
      return allowed ? { ...(result.context ?? {}), principalId: result.principalId } : 403;
    } catch (err) {
      if (err instanceof Error && err.message === 'Unauthorized') return 401;
      this.options.onError('authorizer failed', err);
      return 500;
    }
  }

  private open(ws: WebSocket, connectionId: string, info: Omit<LocalConnection, 'ws' | 'lastActiveAt'>): void {
    const conn: LocalConnection = { ws, lastActiveAt: info.connectedAt, ...info };
    this.connections.set(connectionId, conn);
    const goAway = () => ws.close(1001, 'Going away');
    let idle = setTimeout(goAway, this.options.idleTimeoutMs ?? 600_000);
    const lifetime = setTimeout(goAway, this.options.maxLifetimeMs ?? 7_200_000);
    ws.on('message', (data, isBinary) => {
      this.frames.in += 1;
      conn.lastActiveAt = Date.now();
      clearTimeout(idle);
      idle = setTimeout(goAway, this.options.idleTimeoutMs ?? 600_000);
      this.track(this.route(connectionId, conn, isBinary ? Buffer.from(data as Buffer).toString('base64') : data.toString()));
    });
    ws.on('error', () => undefined);
    ws.on('close', (code, reason) => {
      clearTimeout(idle);
      clearTimeout(lifetime);
      this.connections.delete(connectionId);
      const context = this.requestContext(connectionId, '$disconnect', 'DISCONNECT', conn.sourceIp, conn.userAgent, conn.connectedAt);
      const event = { requestContext: { ...context, authorizer: conn.authorizer, disconnectStatusCode: code, disconnectReason: reason.toString() }, isBase64Encoded: false };
      this.track(this.routes.disconnect(event as WsEvent));
    });
  }

  /** Route selection on `$request.body.action`, then the two-way response if the route returned a body. */
  private async route(connectionId: string, conn: LocalConnection, body: string): Promise<void> {
    let action: unknown;
    try {
      action = (JSON.parse(body) as { action?: unknown })?.action;
    } catch {
      action = undefined;
    }
    const routeKey = typeof action === 'string' && this.routes.actions.includes(action) ? action : '$default';
    const context = this.requestContext(connectionId, routeKey, 'MESSAGE', conn.sourceIp, conn.userAgent, conn.connectedAt);
    let result: { statusCode: number; body?: string };
    try {
      result = await this.routes.message({ requestContext: { ...context, authorizer: conn.authorizer }, body, isBase64Encoded: false } as WsEvent);
    } catch (err) {
      this.options.onError('message handler failed', err);
      result = { statusCode: 500, body: JSON.stringify({ message: 'Internal server error', connectionId, requestId: context.requestId }) };
    }
    if (result.body !== undefined && conn.ws.readyState === conn.ws.OPEN) {
      conn.ws.send(result.body);
      this.frames.answered += 1;
    }
  }
}

function refuse(socket: Duplex, status: number): void {
  const text = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Error';
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${JSON.stringify({ message: text })}`);
}
