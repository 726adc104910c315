import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

/** One callback as the app server received it. */
export interface Received {
  at: number;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: Record<string, any>;
}

/** How the receiver answers: success, an HTTP error, ErrorCode ≠ 0, or never (a timeout). */
export type Answer = 'ok' | 'http500' | 'errorCode' | 'hang';

/** A real HTTP app server that records every callback and answers as told. */
export class CallbackReceiver {
  readonly received: Received[] = [];
  answer: Answer = 'ok';
  private server: Server | undefined;
  private hanging: (() => void)[] = [];

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        this.received.push({ at: Date.now(), query: Object.fromEntries(url.searchParams), headers: req.headers, rawBody: raw, body: JSON.parse(raw || '{}') });
        if (this.answer === 'hang') return void this.hanging.push(() => res.destroy());
        if (this.answer === 'http500') return void res.writeHead(500).end('oops');
        const code = this.answer === 'errorCode' ? 1 : 0;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ActionStatus: code ? 'FAIL' : 'OK', ErrorInfo: '', ErrorCode: code }));
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}/callback`;
  }

  /** Callbacks of one call, in the order of their `Seq`. */
  ofCall(callId: string): Received[] {
    return this.received.filter((r) => r.body.CallId === callId || r.body.CallInfo?.CallId === callId || r.body.CallRecord?.CallId === callId).sort((a, b) => a.body.Seq - b.body.Seq);
  }

  async stop(): Promise<void> {
    for (const h of this.hanging) h();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
