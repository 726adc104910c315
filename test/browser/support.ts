import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`; `.ci/run` installs it). Never a browser download. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Screenshots of the run (git-ignored). */
export const ARTIFACTS_DIR = new URL('../artifacts/', import.meta.url).pathname;

/** Without the background-networking flags Chromium keeps dialling Google's hosts, which this network refuses. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Launches headless Debian Chromium; throws (the tests fail, never skip) when it is not installed. */
export async function launchChromium(executablePath = CHROMIUM_PATH): Promise<Browser> {
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium is missing: ${executablePath} does not exist. The browser tests drive Debian's Chromium: install it with ` +
        '`apt-get update && apt-get install -y chromium` (.ci/run does this). These tests fail rather than skip without it.',
    );
  }
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}

/** One browser for a test file, closed after it; `ready` receives it. */
export function useBrowser(ready: (browser: Browser) => void): void {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
    ready(browser);
  });
  afterAll(async () => {
    await browser?.close();
  });
}

/** A new page in its own context (its own "device"), with browser console errors collected for assertions. */
export async function newPage(browser: Browser, context?: BrowserContext): Promise<{ page: Page; errors: string[] }> {
  const ctx = context ?? (await browser.newContext({ viewport: { width: 1100, height: 900 } }));
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  return { page, errors };
}

/** Saves a full-page screenshot as test/artifacts/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = `${ARTIFACTS_DIR}${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}
