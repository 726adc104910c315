import type { RestRoute } from './route.ts';
import { v1CallbackRoutes } from './v1-callback.ts';
import { v1RecordRoutes } from './v1-records.ts';
import { v4AccountRoutes } from './v4-accounts.ts';
import { v4CallbackRoutes } from './v4-callback.ts';
import { v4CallRoutes } from './v4-calls.ts';
import { v4DeviceRoutes } from './v4-devices.ts';
import { v4ProfileRoutes } from './v4-profile.ts';
import { v4StatsRoutes } from './v4-stats.ts';
import { v4DeadLetterRoutes } from './v4-dead-letters.ts';

/** Every admin REST endpoint the HTTP API serves (and `/openapi.json` describes). */
export const ALL_ROUTES: readonly RestRoute[] = [...v4CallRoutes, ...v4CallbackRoutes, ...v4AccountRoutes, ...v4DeviceRoutes, ...v4ProfileRoutes, ...v4StatsRoutes, ...v4DeadLetterRoutes, ...v1RecordRoutes, ...v1CallbackRoutes];
