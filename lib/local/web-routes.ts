import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppStore } from '../ports/store.ts';
import { genUserSig } from '../auth/usersig.ts';
import { isValidUserId, USER_ID_RULE } from '../auth/user-id.ts';
import { ClientBundle, readWebAsset } from './web-assets.ts';

/** Handles a request before the HTTP API's Lambda handler; true when it answered. */
export type RequestInterceptor = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** What the local pages need from the runtime. */
export interface WebRoutesOptions {
  /** The app `npm start` provisions: the only one `/demo/usersig` signs for. */
  demoSdkAppId: number;
  apps: Pick<AppStore, 'getApp'>;
  /** The WebSocket port, told to the demo page (the browser reaches it on the host it used for the page). */
  wsPort: number;
  bundle?: ClientBundle;
  onError: (message: string, err: unknown) => void;
}

/** UserSigs minted for the demo last a day: long enough for a session, short enough to show expiry exists. */
export const DEMO_USERSIG_EXPIRE_SEC = 86_400;

const PAGES: Record<string, string> = { '/': 'index.html', '/index.html': 'index.html', '/dashboard': 'dashboard.html', '/dashboard/': 'dashboard.html' };

/** The pages load only their own scripts and styles; they talk to the APIs (possibly a deployed stack) over fetch and WebSocket. */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss: http: https:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

function isOurs(path: string): boolean {
  return path in PAGES || path === '/client.js' || path === '/demo/usersig' || path.startsWith('/web/');
}

function send(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer): void {
  res.writeHead(status, { ...PAGE_HEADERS, 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  send(req, res, status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, JSON.stringify(body));
}

/** The WebSocket URL as the browser can reach it: the host it loaded the page from, the WebSocket port. */
function wsUrlFor(req: IncomingMessage, wsPort: number): string {
  let hostname = 'localhost';
  try {
    hostname = new URL(`http://${req.headers.host ?? 'localhost'}`).hostname || 'localhost';
  } catch {
    // A malformed Host header: fall back to localhost.
  }
  return `ws://${hostname}:${wsPort}`;
}

/** `GET /demo/usersig?userid=ID[&sdkappid=N]`: a UserSig for a user (or `administrator`) of the demo app only. */
async function demoUserSig(req: IncomingMessage, res: ServerResponse, url: URL, o: WebRoutesOptions): Promise<void> {
  const asked = url.searchParams.get('sdkappid');
  if (asked !== null && asked !== String(o.demoSdkAppId)) {
    return sendJson(req, res, 400, { message: `UserSigs are minted only for the demo app ${o.demoSdkAppId}; use your own server for app ${asked}` });
  }
  const userId = url.searchParams.get('userid');
  if (!isValidUserId(userId)) return sendJson(req, res, 400, { message: `userid ${userId === null ? 'is required' : 'is invalid'}: ${USER_ID_RULE}` });
  // Read at each request: a key rotated with the CLI signs from then on.
  const app = await o.apps.getApp(o.demoSdkAppId);
  const key = app?.secretKeys[0];
  if (!key) return sendJson(req, res, 503, { message: `the demo app ${o.demoSdkAppId} is not provisioned yet` });
  const userSig = genUserSig({ sdkAppId: o.demoSdkAppId, userId, key, expireSec: DEMO_USERSIG_EXPIRE_SEC });
  sendJson(req, res, 200, { sdkAppId: o.demoSdkAppId, userId, userSig, expireSec: DEMO_USERSIG_EXPIRE_SEC, wsUrl: wsUrlFor(req, o.wsPort) });
}

async function answer(req: IncomingMessage, res: ServerResponse, url: URL, o: WebRoutesOptions, bundle: ClientBundle): Promise<void> {
  const path = url.pathname;
  if (path === '/demo/usersig') return demoUserSig(req, res, url, o);
  if (path === '/client.js') {
    try {
      return send(req, res, 200, { 'content-type': 'text/javascript; charset=utf-8' }, await bundle.get());
    } catch (err) {
      o.onError('building the client bundle failed', err);
      return send(req, res, 500, { 'content-type': 'text/plain; charset=utf-8' }, `the client SDK bundle could not be built: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const asset = await readWebAsset(PAGES[path] ?? path.slice('/web/'.length));
  if (!asset) return sendJson(req, res, 404, { message: `no file for ${path}` });
  send(req, res, 200, { 'content-type': asset.contentType }, asset.body);
}

/**
 * The local runtime's pages (never deployed: the Lambda HTTP function knows nothing of them):
 * `/` the demo, `/dashboard` the records dashboard, `/client.js` the SDK bundle, `/web/…` their
 * files, and `/demo/usersig` to sign in to the demo app. Other paths fall through to the HTTP API.
 */
export function makeWebRoutes(o: WebRoutesOptions): RequestInterceptor {
  const bundle = o.bundle ?? new ClientBundle();
  return async (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return false;
    }
    if (!isOurs(url.pathname)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(req, res, 405, { allow: 'GET, HEAD', 'content-type': 'application/json; charset=utf-8' }, JSON.stringify({ message: `${req.method} is not allowed on ${url.pathname}` }));
      return true;
    }
    await answer(req, res, url, o, bundle);
    return true;
  };
}
