import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { useTestStack, wsUrlFor } from '../support/local-stack.ts';
import { RawClient } from '../support/raw-client.ts';
import { newPage, screenshot, useBrowser } from './support.ts';

let rt: LocalRuntime;
let browser: Browser;
useTestStack((r) => (rt = r));
useBrowser((b) => (browser = b));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Records have whole seconds and a call ending in the second another starts counts as overlapping it: phases start in a fresh second. */
const nextSecond = () => sleep(1000 - (Date.now() % 1000) + 50);

async function ok(client: RawClient, action: string, data: Record<string, unknown>) {
  const answer = await client.request(action, data);
  if (answer.code !== 0) throw new Error(`${client.userId} ${action}: ${answer.code} ${answer.message}`);
  return answer.data;
}

const calls: Record<string, string> = {};

/**
 * Five finished calls whose counts every reading of the definitions agrees on:
 * two 1v1 calls at the same time (completed), a rejected one, a cancelled one, and a group call of three.
 * Participants: alice, bob, carol, dave (each joined at least one call). Most calls at once: 2.
 */
async function placeCalls(): Promise<void> {
  const [alice, bob, carol, dave] = await Promise.all([
    RawClient.login(wsUrlFor(rt, 'alice'), 'alice'),
    RawClient.login(wsUrlFor(rt, 'bob'), 'bob'),
    RawClient.login(wsUrlFor(rt, 'carol'), 'carol', 'miniProgram'),
    RawClient.login(wsUrlFor(rt, 'dave'), 'dave', 'Android'),
  ]);
  const a = alice!;
  const b = bob!;
  const c = carol!;
  const d = dave!;
  const ringOf = async (who: RawClient, callId: string) => who.event('onCallReceived', (f) => f.callId === callId);

  calls.first = (await ok(a, 'calls', { userIdList: ['bob'], mediaType: 'Audio' })).callId;
  calls.second = (await ok(c, 'calls', { userIdList: ['dave'], mediaType: 'Video' })).callId;
  await Promise.all([ringOf(b, calls.first!), ringOf(d, calls.second!)]);
  await ok(b, 'accept', { callId: calls.first });
  await ok(d, 'accept', { callId: calls.second });
  await sleep(1100);
  await ok(a, 'hangup', { callId: calls.first });
  await ok(d, 'hangup', { callId: calls.second });
  await Promise.all([b.event('onCallEnd', (f) => f.callId === calls.first), c.event('onCallEnd', (f) => f.callId === calls.second)]);

  await nextSecond();
  calls.rejected = (await ok(a, 'calls', { userIdList: ['bob'], mediaType: 'Video' })).callId;
  await ringOf(b, calls.rejected!);
  await ok(b, 'reject', { callId: calls.rejected });
  await a.event('onCallNotConnected', (f) => f.callId === calls.rejected);

  await nextSecond();
  calls.cancelled = (await ok(a, 'calls', { userIdList: ['carol'], mediaType: 'Audio' })).callId;
  await ringOf(c, calls.cancelled!);
  await ok(a, 'hangup', { callId: calls.cancelled });
  await c.event('onCallNotConnected', (f) => f.callId === calls.cancelled);

  await nextSecond();
  calls.group = (await ok(a, 'calls', { userIdList: ['bob', 'carol'], mediaType: 'Audio' })).callId;
  await Promise.all([ringOf(b, calls.group!), ringOf(c, calls.group!)]);
  await ok(b, 'accept', { callId: calls.group });
  await ok(c, 'accept', { callId: calls.group });
  await sleep(1100);
  await ok(a, 'hangup', { callId: calls.group });
  await ok(b, 'hangup', { callId: calls.group });
  await c.event('onCallEnd', (f) => f.callId === calls.group);
  await Promise.all([a, b, c, d].map((x) => x.close()));
}

let page: Page;
let errors: string[];

beforeAll(async () => {
  await placeCalls();
  ({ page, errors } = await newPage(browser));
  page.setDefaultTimeout(10_000);
});

const text = async (selector: string) => ((await page.locator(selector).textContent()) ?? '').trim();
const rows = () => page.locator('#records tbody tr');

describe('the records dashboard in Chromium', () => {
  it('signs in as the demo app admin by itself and shows today and this month by the documented definitions', async () => {
    await page.goto(`${rt.httpUrl}/dashboard`);
    await page.locator('#dash').waitFor();
    await page.locator('#records tbody tr').first().waitFor();
    expect(await page.getByLabel('SDKAppID').inputValue()).toBe(String(rt.demoApp.sdkAppId));
    expect(await page.getByLabel('Admin identifier').inputValue()).toBe('administrator');
    expect([await text('#today-calls'), await text('#today-participants'), await text('#today-concurrent')]).toEqual(['5', '4', '2']);
    expect([await text('#month-calls'), await text('#month-participants'), await text('#month-concurrent')]).toEqual(['5', '4', '2']);
    const today = new Date().toISOString().slice(0, 10);
    expect(await page.locator(`#chart rect[data-day="${today}"]`).getAttribute('data-value')).toBe('5');
    await page.getByLabel('Call type', { exact: true }).first().selectOption('multi');
    expect(await page.locator(`#chart rect[data-day="${today}"]`).getAttribute('data-value')).toBe('1');
    expect(await text('#chart-caption')).toContain('1 group call over 30 days');
  });

  it('lists the finished records, and filters them by type, result, user id and call id', async () => {
    expect(await rows().count()).toBe(5);
    expect(await text('#records-summary')).toBe('5 records.');
    const byCall = async (id: string) => page.locator(`#records tbody tr[data-call-id="${id}"]`);
    expect(await (await byCall(calls.rejected!)).locator('td').nth(4).textContent()).toBe('Rejected');
    expect(await (await byCall(calls.cancelled!)).locator('td').nth(4).textContent()).toBe('Cancelled');
    expect(await (await byCall(calls.first!)).locator('td').nth(4).textContent()).toBe('Completed');
    await (await byCall(calls.group!)).locator('td.duration', { hasText: /^\d+:\d\d$/ }).waitFor();

    const search = async () => {
      await page.getByRole('button', { name: 'Search' }).click();
      await page.locator('#records-summary').filter({ hasNotText: /^$/ }).waitFor();
    };
    await page.locator('#f-type').selectOption('MultiCall');
    await search();
    await page.locator('#records-summary', { hasText: '1 record.' }).waitFor();
    expect(await rows().getAttribute('data-call-id')).toBe(calls.group);

    await page.locator('#f-type').selectOption('');
    await page.locator('#f-result').selectOption('Reject');
    await search();
    await page.locator('#records-summary', { hasText: '1 record.' }).waitFor();
    expect(await rows().getAttribute('data-call-id')).toBe(calls.rejected);

    await page.locator('#f-result').selectOption('');
    await page.getByLabel('User ID').fill('dave');
    await search();
    await page.locator('#records-summary', { hasText: '1 record involving dave.' }).waitFor();
    expect(await rows().getAttribute('data-call-id')).toBe(calls.second);

    await page.getByLabel('User ID').fill('');
    await page.getByLabel('Call ID').fill(calls.cancelled!);
    await search();
    await page.locator('#records-summary', { hasText: 'by call ID' }).waitFor();
    expect(await rows().getAttribute('data-call-id')).toBe(calls.cancelled);

    await page.getByLabel('Call ID').fill('no-such-call');
    await search();
    await page.locator('#records-summary', { hasText: 'no record for call no-such-call' }).waitFor();
    expect(await rows().count()).toBe(0);
  });

  it('pages through the records', async () => {
    await page.getByLabel('Call ID').fill('');
    await page.getByLabel('Per page').selectOption('10');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('#records-summary', { hasText: '5 records.' }).waitFor();
    expect(await text('#page-info')).toBe('Page 1 of 1');
    expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
  });

  it("shows a group call's participants with their platform and time, and the peak of members at once", async () => {
    await page.getByRole('button', { name: `Details of call ${calls.group}` }).click();
    await page.locator('#detail').waitFor();
    expect(await text('#detail-participants')).toBe('3');
    expect(await text('#detail-peak-concurrent-participants')).toBe('3');
    const platforms = await page.locator('#detail-members tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.querySelector('th')?.textContent, tr.querySelectorAll('td')[1]?.textContent]));
    expect(platforms).toEqual([
      ['alice', 'Web'],
      ['bob', 'Web'],
      ['carol', 'WeChat Mini Program'],
    ]);
    const durations = await page.locator('#detail-members tbody tr td.num').allTextContents();
    for (const d of durations) expect(d).toMatch(/^0:0[1-9]$/);
    await screenshot(page, 'dashboard');
    expect(errors).toEqual([]);
  });
});
