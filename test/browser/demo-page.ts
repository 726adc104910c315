import type { Page } from 'playwright-core';

/** Drives the demo page (web/index.html) the way a person would: labels, buttons and visible text. */
export class DemoPage {
  constructor(readonly page: Page, readonly baseUrl: string) {
    page.setDefaultTimeout(10_000);
  }

  /** Opens the demo and signs in through the form. */
  async signIn(userId: string): Promise<this> {
    await this.page.goto(`${this.baseUrl}/`);
    await this.page.getByLabel('User ID', { exact: true }).fill(userId);
    await this.page.getByRole('button', { name: 'Sign in' }).click();
    await this.page.locator('#me-id', { hasText: userId }).waitFor();
    await this.page.getByText('Online as', { exact: false }).waitFor();
    return this;
  }

  async call(userIds: string[], media: 'Audio' | 'Video'): Promise<void> {
    await this.page.getByLabel('Call users', { exact: false }).fill(userIds.join(', '));
    await this.page.getByLabel(media, { exact: true }).check();
    await this.page.getByRole('button', { name: 'Call', exact: true }).click();
    await this.page.locator('#call-id').filter({ hasText: /\S/ }).waitFor();
  }

  /** Waits until this tab rings, and answers the ring text. */
  async ringing(): Promise<string> {
    await this.page.locator('#incoming').waitFor({ state: 'visible' });
    return (await this.page.locator('#incoming-text').textContent()) ?? '';
  }

  async click(name: string): Promise<void> {
    await this.page.getByRole('button', { name, exact: true }).click();
  }

  async connected(): Promise<void> {
    await this.page.locator('#call-status', { hasText: 'Connected' }).waitFor();
  }

  async callId(): Promise<string> {
    return (await this.page.locator('#call-id').textContent()) ?? '';
  }

  async roomId(): Promise<string> {
    return (await this.page.locator('#room-id').textContent()) ?? '';
  }

  /** The members list as "user: state" (state = the data-state attribute). */
  async members(): Promise<Record<string, string>> {
    return this.page.locator('#members li').evaluateAll((items) => Object.fromEntries(items.map((li) => [(li as HTMLElement).dataset.user, (li as HTMLElement).dataset.state])));
  }

  /** Waits for a member to reach a state in the members list. */
  async member(userId: string, state: string): Promise<void> {
    await this.page.locator(`#members li[data-user="${userId}"][data-state="${state}"]`).waitFor();
  }

  /** Waits for a line containing `text` in the event log. */
  async logged(text: string): Promise<void> {
    await this.page.locator('#log li', { hasText: text }).first().waitFor();
  }

  /** The signed-in user and the event log, oldest first (printed when a scenario fails). */
  async describe(): Promise<string> {
    const who = await this.page.locator('#me-id').textContent().catch(() => '?');
    const lines = await this.page.locator('#log li').allTextContents().catch(() => []);
    return `--- tab of ${who}:\n${lines.reverse().join('\n')}`;
  }

  async noCall(): Promise<void> {
    await this.page.locator('#call').waitFor({ state: 'hidden' });
  }
}
