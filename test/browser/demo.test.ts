import type { Browser, BrowserContext } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { useTestStack } from '../support/local-stack.ts';
import { DemoPage } from './demo-page.ts';
import { newPage, screenshot, useBrowser } from './support.ts';

let rt: LocalRuntime;
let browser: Browser;
useTestStack((r) => (rt = r));
useBrowser((b) => (browser = b));

const contexts: BrowserContext[] = [];
const pageErrors: string[][] = [];
const tabs: DemoPage[] = [];

/** A demo tab signed in as `userId`; tabs of one user share a browser context, like tabs of one browser. */
async function tab(userId: string, context?: BrowserContext): Promise<DemoPage> {
  const { page, errors } = await newPage(browser, context);
  if (!context) contexts.push(page.context());
  pageErrors.push(errors);
  const demo = new DemoPage(page, rt.httpUrl);
  tabs.push(demo);
  return demo.signIn(userId);
}

afterEach(async (ctx) => {
  const opened = tabs.splice(0);
  // A failed scenario prints every tab's event log: what each "device" saw, in order.
  if (ctx.task.result?.state === 'fail') for (const t of opened) console.error(await t.describe());
  for (const c of contexts.splice(0)) await c.close();
  // No page threw or logged an error while the scenario ran.
  expect(pageErrors.splice(0).flat()).toEqual([]);
});

describe('the web demo in Chromium', () => {
  it('lets two users in separate pages place and accept a video call, and shows the room id on both', { timeout: 60_000 }, async () => {
    const alice = await tab('alice');
    const bob = await tab('bob');
    const bobOtherTab = await tab('bob', bob.page.context());

    await alice.page.getByLabel('Contacts', { exact: false }).fill('bob, nobody-here');
    await alice.click('Check who is online');
    await alice.page.locator('#presence li[data-user="bob"][data-status="ONLINE"]').waitFor();
    await alice.page.locator('#presence li[data-user="nobody-here"][data-status="UNLOGINED"]').waitFor();

    await alice.call(['bob'], 'Video');
    expect(await bob.ringing()).toContain('alice is calling you (video)');
    expect(await bobOtherTab.ringing()).toContain('alice is calling you (video)');

    await bob.click('Accept');
    await Promise.all([bob.connected(), alice.connected()]);
    expect(await bob.roomId()).toBe(await alice.roomId());
    expect(await bob.roomId()).toMatch(/\S/);
    expect(await bob.callId()).toBe(await alice.callId());

    // The third page, signed in as the callee, stops ringing and says why.
    await bobOtherTab.page.locator('#incoming').waitFor({ state: 'hidden' });
    await bobOtherTab.page.getByText('Answered on another device.').first().waitFor();
    await bobOtherTab.noCall();

    await alice.click('Switch to audio');
    await bob.logged('Media switched from video to audio');
    await bob.page.locator('#call-media', { hasText: 'audio' }).waitFor();

    await screenshot(alice.page, 'demo-caller-connected');
    await screenshot(bobOtherTab.page, 'demo-answered-on-another-device');

    await alice.click('Hang up');
    await bob.page.getByText('Last call ended (Hangup)').waitFor();
    await Promise.all([alice.noCall(), bob.noCall()]);
  });

  it('silences only the tab that ignores, and a reject on the other tab tells the caller', { timeout: 60_000 }, async () => {
    const alice = await tab('alice');
    const bob = await tab('bob');
    const bobOtherTab = await tab('bob', bob.page.context());

    await alice.call(['bob'], 'Audio');
    await Promise.all([bob.ringing(), bobOtherTab.ringing()]);
    await bobOtherTab.click('Ignore on this tab');
    await bobOtherTab.page.getByText('Ignored here; your other devices keep ringing.').waitFor();
    expect(await bob.page.locator('#incoming').isVisible()).toBe(true);

    await bob.click('Reject');
    await alice.page.getByText('bob rejected the call.').first().waitFor();
    await Promise.all([alice.noCall(), bob.noCall()]);
  });

  it('works from the keyboard alone: sign in, call, and the ringing tab puts Accept under the Enter key', { timeout: 60_000 }, async () => {
    const { page, errors } = await newPage(browser);
    contexts.push(page.context());
    pageErrors.push(errors);
    const alice = new DemoPage(page, rt.httpUrl);
    tabs.push(alice);
    await page.goto(`${rt.httpUrl}/`);
    await page.keyboard.type('alice'); // the user id field has the focus
    await page.keyboard.press('Enter');
    await page.locator('#me-id', { hasText: 'alice' }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('contacts');
    const bob = await tab('bob');

    await page.keyboard.press('Tab'); // "Check who is online"
    await page.keyboard.press('Tab'); // the users to call
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('callees');
    await page.keyboard.type('bob');
    await page.keyboard.press('Enter');
    await bob.ringing();
    await bob.page.waitForFunction(() => document.activeElement?.id === 'accept');
    await bob.page.keyboard.press('Enter');
    await Promise.all([alice.connected(), bob.connected()]);
    await bob.page.getByRole('button', { name: 'Hang up' }).focus();
    await bob.page.keyboard.press('Enter');
    await Promise.all([alice.noCall(), bob.noCall()]);
  });

  it('runs a group call across pages: two accept, a reject, an invite mid-call, a join by call id, a media switch', { timeout: 90_000 }, async () => {
    const alice = await tab('alice');
    const bob = await tab('bob');
    const carol = await tab('carol');
    const dave = await tab('dave');
    const erin = await tab('erin');

    await alice.call(['bob', 'carol', 'dave'], 'Video');
    expect(await bob.ringing()).toContain('group call with alice, carol, dave');
    await Promise.all([carol.ringing(), dave.ringing()]);
    await bob.click('Accept');
    await carol.click('Accept');
    await Promise.all([alice.connected(), bob.connected(), carol.connected()]);
    await dave.click('Reject');
    await Promise.all([alice, bob, carol].map((p) => p.member('dave', 'rejected')));
    await alice.member('bob', 'joined');
    await alice.member('carol', 'joined');
    const callId = await alice.callId();
    const roomId = await alice.roomId();
    expect([await bob.callId(), await carol.callId()]).toEqual([callId, callId]);
    expect([await bob.roomId(), await carol.roomId()]).toEqual([roomId, roomId]);

    // Erin is invited mid-call by a member who is not the caller.
    await bob.page.getByLabel('Invite users', { exact: false }).fill('erin');
    await bob.click('Invite');
    await alice.member('erin', 'ringing');
    await erin.ringing();
    await erin.click('Reject');
    await alice.member('erin', 'rejected');

    // Frank was never invited: he joins with the call id (the app's group join policy is open).
    const frank = await tab('frank');
    await frank.page.getByLabel('Join a group call', { exact: false }).fill(callId);
    await frank.click('Join');
    await frank.connected();
    expect(await frank.roomId()).toBe(roomId);
    await Promise.all([alice, bob, carol].map((p) => p.member('frank', 'joined')));

    await bob.click('Switch to audio');
    await Promise.all([alice, carol, frank].map((p) => p.page.locator('#call-media', { hasText: 'audio' }).waitFor()));
    await screenshot(alice.page, 'demo-group-call');

    await carol.click('Hang up');
    await Promise.all([alice, bob, frank].map((p) => p.member('carol', 'left')));
    await alice.click('Hang up');
    await bob.click('Hang up');
    await frank.page.getByText('Last call ended').waitFor();
    await Promise.all([alice, bob, carol, frank].map((p) => p.noCall()));
  });
});
