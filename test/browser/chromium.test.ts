import { describe, expect, it } from 'vitest';
import { CHROMIUM_PATH, launchChromium } from './support.ts';

describe('the browser the tests drive', () => {
  it("is Debian's Chromium, and its absence fails the browser tests with a message saying how to install it", async () => {
    await expect(launchChromium('/nonexistent/chromium')).rejects.toThrow(/Chromium is missing: \/nonexistent\/chromium does not exist.*apt-get install -y chromium/);
    const browser = await launchChromium();
    try {
      expect(CHROMIUM_PATH).toBe('/usr/bin/chromium');
      expect(browser.version()).toMatch(/^\d+\./);
    } finally {
      await browser.close();
    }
  });
});
