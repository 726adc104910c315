import { readFile, realpath } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's `web/` folder: the demo page, the records dashboard and their assets. */
export const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** A file to send: its bytes and content type. */
export interface WebAsset {
  body: Buffer;
  contentType: string;
}

/**
 * Reads `relative` under `web/`; undefined for anything missing, hidden (a dot segment) or outside
 * the folder (`..`, symlinks), so a request can never read other files of the machine.
 * Files are read on every request: editing a page shows on reload, without a restart.
 */
export async function readWebAsset(relative: string): Promise<WebAsset | undefined> {
  const segments = relative.split('/').filter((s) => s !== '');
  if (segments.length === 0 || segments.some((s) => s.startsWith('.') || s.includes('\\') || s.includes('\0'))) return undefined;
  const contentType = CONTENT_TYPES[extname(relative).toLowerCase()];
  if (!contentType) return undefined;
  try {
    const file = await realpath(join(WEB_DIR, ...segments));
    const root = await realpath(WEB_DIR);
    if (!file.startsWith(root + sep)) return undefined;
    return { body: await readFile(file), contentType };
  } catch {
    return undefined;
  }
}

/**
 * `/client.js`: built on first request and kept for the process's life. A failed build is not
 * kept, so the next request tries again (after the SDK is fixed, say).
 */
export class ClientBundle {
  private built: Promise<string> | undefined;

  /** By default the SDK's own build (`client/build.ts`), loaded only when first asked: esbuild is a dev dependency. */
  constructor(private readonly build: () => Promise<string> = async () => (await import('../../client/build.ts')).buildBrowserBundle()) {}

  /** The bundle's text (building it the first time). */
  get(): Promise<string> {
    if (!this.built) {
      this.built = this.build();
      this.built.catch(() => {
        this.built = undefined;
      });
    }
    return this.built;
  }
}
