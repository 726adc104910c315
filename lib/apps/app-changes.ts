import type { App } from './app.ts';

/** At most 10 admins per app (accounts-auth.md §4). */
export const MAX_ADMINS = 10;
/** The admin every app keeps. */
export const BUILT_IN_ADMIN = 'administrator';

/** A change to an app that its rules refuse, with the reason in words. */
export class AppChangeError extends Error {
  override readonly name = 'AppChangeError';
}

/** The app with one more admin (idempotent); refused past 10 admins. */
export function addAdmin(app: App, userId: string): App {
  if (app.admins.includes(userId)) return app;
  if (app.admins.length >= MAX_ADMINS) throw new AppChangeError(`an app has at most ${MAX_ADMINS} admins`);
  return { ...app, admins: [...app.admins, userId] };
}

/** The app without that admin; `administrator` always stays. */
export function removeAdmin(app: App, userId: string): App {
  if (userId === BUILT_IN_ADMIN) throw new AppChangeError(`${BUILT_IN_ADMIN} cannot lose its admin status`);
  if (!app.admins.includes(userId)) throw new AppChangeError(`${userId} is not an admin of app ${app.sdkAppId}`);
  return { ...app, admins: app.admins.filter((a) => a !== userId) };
}

/**
 * Starts a key rotation: the new key signs from now on, the previous one still verifies
 * (UserSigs already handed out keep working) until `retireOldKey`.
 */
export function rotateKey(app: App, newKey: string): App {
  return { ...app, secretKeys: [newKey, ...app.secretKeys.slice(0, 1)] };
}

/** Ends a rotation: only the current key verifies. */
export function retireOldKey(app: App): App {
  return { ...app, secretKeys: app.secretKeys.slice(0, 1) };
}
