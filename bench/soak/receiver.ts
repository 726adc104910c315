import { createServer } from 'node:http';
import { listen } from '../../lib/local/listen.ts';

/** What the app server received, by callback command and by call. */
export interface Delivered {
  /** Deliveries by `CallbackCommand` (duplicates included). */
  byCommand: Record<string, number>;
  /** AfterEndCall deliveries by call id, with the CallResult of the last one. */
  afterEnd: Map<string, { count: number; result: string }>;
  /** AfterStartCall deliveries by call id. */
  afterStart: Map<string, number>;
  /** Deliveries of an EventId already received (at-least-once delivery lets it happen). */
  duplicates: number;
  /** Last instant (performance.now) anything arrived. */
  lastAt: number;
}

const commandOf = (query: URLSearchParams, body: Record<string, any>) => String(query.get('CallbackCommand') ?? body.CallbackCommand ?? 'unknown');
const callIdOf = (body: Record<string, any>) => String(body.CallId ?? body.CallInfo?.CallId ?? body.CallRecord?.CallId ?? '');

/** The app server of the soak: a real HTTP server answering every callback `ErrorCode 0` at once, counting them. */
export async function startCallbackReceiver(): Promise<{ url: string; delivered: Delivered; close: () => Promise<void> }> {
  const delivered: Delivered = { byCommand: {}, afterEnd: new Map(), afterStart: new Map(), duplicates: 0, lastAt: 0 };
  const eventIds = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '' }));
      const query = new URL(req.url ?? '/', 'http://x').searchParams;
      let body: Record<string, any> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
      } catch {
        body = {};
      }
      count(delivered, eventIds, commandOf(query, body), body);
    });
  });
  const port = await listen(server, 0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}/soak-callbacks`,
    delivered,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

function count(d: Delivered, eventIds: Set<string>, command: string, body: Record<string, any>): void {
  d.lastAt = performance.now();
  d.byCommand[command] = (d.byCommand[command] ?? 0) + 1;
  const eventId = String(body.EventId ?? '');
  if (eventId && eventIds.has(eventId)) d.duplicates += 1;
  if (eventId) eventIds.add(eventId);
  const callId = callIdOf(body);
  if (command === 'Call.CallbackAfterEndCall') {
    const seen = d.afterEnd.get(callId);
    d.afterEnd.set(callId, { count: (seen?.count ?? 0) + 1, result: String(body.CallRecord?.CallResult ?? '?') });
  }
  if (command === 'Call.CallbackAfterStartCall') d.afterStart.set(callId, (d.afterStart.get(callId) ?? 0) + 1);
}
