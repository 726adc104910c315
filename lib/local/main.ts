import { parseArgs } from 'node:util';
import { ConfigError, timingFromEnv } from '../config.ts';
import { PortInUseError } from './listen.ts';
import { startLocalRuntime } from './runtime.ts';

/** Default ports of `npm start`; the CLI finds the local table on DYNAMO_PORT. */
export const DEFAULT_PORTS = { http: 3000, ws: 3001, dynamo: 4567 };

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new ConfigError(`${name} must be a port number (0-65535), got "${raw}"`);
  return value;
}

function seconds(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`${name} must be a positive number of seconds, got "${raw}"`);
  return value;
}

/** The demo app's abuse limits, when set in the environment (local load tests raise them). */
function demoLimits(env: NodeJS.ProcessEnv): { callsPerMinute?: number; wsFramesPerSec?: number } {
  const limit = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0) throw new ConfigError(`${name} must be a positive integer, got "${raw}"`);
    return value;
  };
  const callsPerMinute = limit('DEMO_CALLS_PER_MINUTE');
  const wsFramesPerSec = limit('DEMO_WS_FRAMES_PER_SEC');
  return { ...(callsPerMinute ? { callsPerMinute } : {}), ...(wsFramesPerSec ? { wsFramesPerSec } : {}) };
}

async function main(): Promise<void> {
  // Node 20 works today; the SDK's notice about its 2027 releases is for the README, not every start.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { values } = parseArgs({ options: { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log('Usage: npm start [-- --data-dir DIR]\nEnv: HTTP_PORT (3000) WS_PORT (3001) DYNAMO_PORT (4567) HOST (127.0.0.1) DEMO_SDKAPPID DEMO_SECRET_KEY DEMO_CALLS_PER_MINUTE DEMO_WS_FRAMES_PER_SEC LOG_LEVEL and the timing variables in README.');
    return;
  }
  const sdkAppId = Number(process.env.DEMO_SDKAPPID ?? 1400000001);
  if (!Number.isSafeInteger(sdkAppId) || sdkAppId <= 0) throw new ConfigError(`DEMO_SDKAPPID must be a positive integer, got "${process.env.DEMO_SDKAPPID}"`);
  const runtime = await startLocalRuntime({
    host: process.env.HOST ?? '127.0.0.1',
    httpPort: port('HTTP_PORT', DEFAULT_PORTS.http),
    wsPort: port('WS_PORT', DEFAULT_PORTS.ws),
    dynamoPort: port('DYNAMO_PORT', DEFAULT_PORTS.dynamo),
    timing: timingFromEnv(process.env),
    connectionLimits: { idleTimeoutSec: seconds('WS_IDLE_TIMEOUT_SEC', 600), maxLifetimeSec: seconds('WS_MAX_LIFETIME_SEC', 7200) },
    demo: { sdkAppId, ...(process.env.DEMO_SECRET_KEY ? { secretKey: process.env.DEMO_SECRET_KEY } : {}), settings: demoLimits(process.env) },
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
    ...(process.env.LOG_LEVEL ? { logLevel: process.env.LOG_LEVEL } : {}),
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the local stack…`);
    await runtime.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  const app = runtime.demoApp;
  console.log(
    `CallSignal local stack ready: http ${runtime.httpUrl}  ws ${runtime.wsUrl}  sdkappid ${app.sdkAppId}  secret ${app.secretKeys[0]}  usersig: npx callsignal usersig --sdkappid ${app.sdkAppId} --userid alice`,
  );
  console.log(`  web demo: ${runtime.httpUrl}/   records dashboard: ${runtime.httpUrl}/dashboard`);
  console.log(`  connect a client: ${runtime.wsUrl}/?sdkappid=${app.sdkAppId}&userid=alice&usersig=<UserSig>   (Ctrl-C to stop)`);
}

main().catch((err: unknown) => {
  if (err instanceof PortInUseError || err instanceof ConfigError) {
    console.error(`callsignal: ${err.message}`);
  } else {
    console.error('callsignal: the local stack could not start:', err instanceof Error ? err.message : err);
  }
  process.exit(1);
});
