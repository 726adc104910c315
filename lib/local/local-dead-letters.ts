import { appOf } from '../adapters/dead-letters.ts';
import type { DeadLetters } from '../ports/dead-letters.ts';
import type { LocalQueue } from './local-queue.ts';

/** Dead letters on the local runtime's in-process queue. */
export class LocalDeadLetters implements DeadLetters {
  constructor(private readonly queue: LocalQueue) {}

  async add(body: string): Promise<void> {
    await this.queue.send(body);
  }

  async list(sdkAppId: number, limit: number): Promise<string[]> {
    return this.queue.peek().filter((m) => appOf(m.body) === sdkAppId).slice(0, limit).map((m) => m.body);
  }

  async replay(sdkAppId: number, replay: (body: string) => Promise<void>): Promise<number> {
    const all = this.queue.drain();
    let n = 0;
    for (const m of all) {
      if (appOf(m.body) === sdkAppId) {
        await replay(m.body);
        n += 1;
      } else {
        await this.queue.send(m.body);
      }
    }
    return n;
  }
}
