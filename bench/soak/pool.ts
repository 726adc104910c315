import { SoakClient, type AppTarget, type DeviceSpec } from './client.ts';
import type { Ledger } from './ledger.ts';
import { mapLimit } from '../stats.ts';

/** `solo`: one device (Web). `multi`: three devices (Web, iOS, Mac) with multi-device ability on, so all ring. */
export type UserKind = 'solo' | 'multi';

/** A virtual user: her app, her device slots (what each logs in as) and the connections open on them. */
export interface VUser {
  id: string;
  app: AppTarget;
  kind: UserKind;
  slots: DeviceSpec[];
  devices: (SoakClient | undefined)[];
  /** Checked out by a scenario or a churn operation: nobody else touches her meanwhile. */
  busy: boolean;
}

/** What a scenario needs: users of one app, by kind. */
export interface Needs {
  app: 'multi' | 'single';
  solo: number;
  multi?: number;
}

const MULTI_PLATFORMS = ['Web', 'iOS', 'Mac'];

/** The virtual users, handed out exclusively to scenarios and churn operations. */
export class Pool {
  readonly users: VUser[] = [];

  constructor(
    private readonly rng: () => number,
    private readonly ledger: Ledger,
  ) {}

  /** Adds `n` users of a kind in an app (ids `<app>-<kind>-<i>`). */
  add(app: AppTarget, kind: UserKind, n: number): void {
    for (let i = 0; i < n; i++) {
      const id = `${app.name}-${kind}-${i}`;
      const platforms = kind === 'multi' ? MULTI_PLATFORMS : ['Web'];
      this.users.push({ id, app, kind, slots: platforms.map((platform, s) => ({ platform, deviceId: `${id}-d${s}` })), devices: platforms.map(() => undefined), busy: false });
    }
  }

  /** Checks out random free users as the scenario needs them (solo ones first), or none if too few are free. */
  take(needs: Needs): VUser[] | undefined {
    const pick = (kind: UserKind, n: number) => {
      const free = this.users.filter((u) => !u.busy && u.kind === kind && u.app.name === needs.app);
      if (free.length < n) return undefined;
      for (let i = free.length - 1; i > 0; i--) {
        const j = Math.floor(this.rng() * (i + 1));
        [free[i], free[j]] = [free[j]!, free[i]!];
      }
      return free.slice(0, n);
    };
    const solo = pick('solo', needs.solo);
    const multi = pick('multi', needs.multi ?? 0);
    if (!solo || !multi) return undefined;
    const users = [...solo, ...multi];
    for (const u of users) u.busy = true;
    return users;
  }

  /** Gives users back, at once or after a pause (after a failure the server first has to settle their calls). */
  release(users: readonly VUser[], afterMs = 0): void {
    const free = () => users.forEach((u) => (u.busy = false));
    if (afterMs > 0) setTimeout(free, afterMs).unref();
    else free();
  }

  /** Connects every slot of the user that has no open connection. */
  async online(user: VUser): Promise<void> {
    for (let s = 0; s < user.slots.length; s++) {
      const open = user.devices[s];
      if (open && !open.closed) continue;
      user.devices[s] = await this.connect(user, user.slots[s]!);
      // The profile flag persists, but a first login of a multi user has to set it once.
      if (user.kind === 'multi' && s === 0) {
        const on = await user.devices[s]!.request('enableMultiDeviceAbility', { enable: true });
        if (on.code !== 0) throw new Error(`enableMultiDeviceAbility for ${user.id}: ${on.code}`);
      }
    }
  }

  /** Opens one more connection for the user (not put in a slot). */
  async connect(user: VUser, spec: DeviceSpec): Promise<SoakClient> {
    this.ledger.count('connects');
    return SoakClient.connect(user.app, user.id, spec);
  }

  /** Cuts every connection of the user (after a failed scenario: start her over from nothing). */
  cut(user: VUser): void {
    for (const d of user.devices) d?.drop();
    user.devices = user.devices.map(() => undefined);
  }

  /** Logs every user in on all her slots, a few at a time. */
  async connectAll(): Promise<void> {
    await mapLimit(this.users, 8, (u) => this.online(u));
  }

  /** Closes every connection politely (the end of the run). */
  async closeAll(): Promise<void> {
    await mapLimit(this.users, 16, async (u) => {
      await Promise.all(u.devices.map((d) => d?.close()));
      u.devices = u.devices.map(() => undefined);
    });
  }
}
