/**
 * The latency floor: a raw `ws` relay with no state. A client sends `{"to": id, ...}`; the server
 * forwards the text to that client. Run as a script it listens on a free port and prints it
 * (`relay ready <port>`), for the separate-process variant.
 */
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { listen } from '../lib/local/listen.ts';

export interface Relay {
  url: string;
  close(): Promise<void>;
}

export async function startRelay(host = '127.0.0.1'): Promise<Relay> {
  const server = createServer();
  const wss = new WebSocketServer({ server });
  const clients = new Map<string, WebSocket>();
  wss.on('connection', (ws, req) => {
    const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? '';
    clients.set(id, ws);
    ws.on('message', (data) => {
      const text = data.toString();
      const to = (JSON.parse(text) as { to?: string }).to ?? '';
      clients.get(to)?.send(text);
    });
    ws.on('close', () => clients.delete(id));
  });
  const port = await listen(server, 0, host);
  return {
    url: `ws://${host}:${port}`,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const relay = await startRelay();
  console.log(`relay ready ${relay.url}`);
  process.on('SIGTERM', () => void relay.close().then(() => process.exit(0)));
}
