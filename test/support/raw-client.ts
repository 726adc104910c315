import WebSocket from 'ws';

/** A frame the server sent. */
export interface Frame {
  type: 'response' | 'event';
  requestId?: string;
  action?: string;
  code?: number;
  message?: string;
  event?: string;
  callId?: string;
  seq?: number;
  time?: number;
  data: Record<string, any>;
}

const WAIT_MS = 8_000;

/** A raw protocol client over `ws`, for tests that check frames exactly. */
export class RawClient {
  readonly frames: Frame[] = [];
  private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  private counter = 0;

  private constructor(readonly ws: WebSocket, readonly userId: string) {
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as Frame;
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => (w.match(frame) ? (w.resolve(frame), false) : true));
    });
  }

  /** Opens the socket; rejects with the HTTP status when the handshake is refused. */
  static open(url: string, userId: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => resolve(new RawClient(ws, userId)));
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`handshake refused: ${res.statusCode}`), { status: res.statusCode })));
      ws.once('error', reject);
    });
  }

  /** Opens and logs in (as a given platform and device, if said). */
  static async login(url: string, userId: string, platform = 'Web', deviceId?: string): Promise<RawClient> {
    const c = await RawClient.open(url, userId);
    const answer = await c.request('login', { platform, ...(deviceId ? { deviceId } : {}) });
    if (answer.code !== 0) throw new Error(`login failed: ${answer.code} ${answer.message}`);
    return c;
  }

  /** Sends a raw text frame. */
  sendRaw(text: string): void {
    this.ws.send(text);
  }

  /** Sends a request and resolves with its response. */
  request(action: string, data: Record<string, unknown> = {}, requestId = `${this.userId}-${++this.counter}`): Promise<Frame> {
    const answer = this.waitFor((f) => f.type === 'response' && f.requestId === requestId, `response to ${action} ${requestId}`, true);
    this.ws.send(JSON.stringify({ action, requestId, data }));
    return answer;
  }

  /** Resolves with the first event of that name (already received or coming). */
  event(name: string, predicate: (f: Frame) => boolean = () => true): Promise<Frame> {
    return this.waitFor((f) => f.type === 'event' && f.event === name && predicate(f), `event ${name} for ${this.userId}`);
  }

  /** Events received so far, by name. */
  events(name?: string): Frame[] {
    return this.frames.filter((f) => f.type === 'event' && (name === undefined || f.event === name));
  }

  /** Waits for a frame; `onlyNew` ignores frames already received. */
  waitFor(match: (f: Frame) => boolean, what: string, onlyNew = false): Promise<Frame> {
    const seen = onlyNew ? undefined : this.frames.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.frames.map((f) => f.event ?? f.action))}`)), WAIT_MS);
      this.waiters.push({ match, resolve: (f) => (clearTimeout(timer), resolve(f)) });
    });
  }

  /** Resolves when the server closes the socket. */
  closed(): Promise<number> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve(1000);
    return new Promise((resolve) => this.ws.once('close', (code) => resolve(code)));
  }

  /** Sends a heartbeat every `ms` until closed or stopped (devices that do not heartbeat go offline). */
  heartbeats(ms: number): () => void {
    const timer = setInterval(() => {
      if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ action: 'heartbeat', requestId: `hb-${++this.counter}`, data: {} }));
    }, ms);
    this.ws.once('close', () => clearInterval(timer));
    return () => clearInterval(timer);
  }

  close(): Promise<number> {
    const done = this.closed();
    this.ws.close();
    return done;
  }
}
