import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { DynamoAppStore } from '../adapters/dynamo-app-store.ts';
import { newApp, type App } from '../apps/app.ts';
import { addAdmin, AppChangeError, removeAdmin, retireOldKey, rotateKey } from '../apps/app-changes.ts';
import { genUserSig } from '../auth/usersig.ts';
import { isValidUserId, USER_ID_RULE } from '../auth/user-id.ts';
import { documentClient } from '../wiring.ts';

const USAGE = `Usage: callsignal <command> [options]

Commands:
  app create [--sdkappid N] [--name NAME] [--secret KEY]   create an app (prints it, with its secret key)
  app show --sdkappid N                                    show an app's settings and keys
  app set --sdkappid N [--login-policy multi|single] [--max-devices N] [--group-join-policy open|invited]
          [--retention-days N] [--name NAME]
          [--calls-per-minute N] [--ws-frames-per-sec N]
          [--ws-refusals-before-close N]                    change an app's settings
  admin add|remove --sdkappid N --userid ID              manage the app's REST admins (at most 10; administrator stays)
  key rotate --sdkappid N [--secret KEY]                   a new signing key; the old one still verifies
  key retire --sdkappid N                                  only the newest key verifies
  callback-secret rotate --sdkappid N                      a new secret for signing callbacks (app show prints it)
  dead-letters list|replay --sdkappid N [--url HTTP_API]   callbacks that failed every attempt (through the REST API,
                                                           default the local stack's http://127.0.0.1:3000)
  usersig --sdkappid N --userid ID [--expire SECONDS]      print a UserSig (default validity 180 days)

Where the apps live:
  (default)            the local stack of \`npm start\` (DynamoDB at http://127.0.0.1:$DYNAMO_PORT, default 4567)
  --endpoint URL       another DynamoDB-compatible endpoint
  --region R --table T a deployed stack's table on AWS (usual AWS credential chain)
  --stack NAME [--region R]  the table of a deployed stack, found from its TableName output`;

/** A mistake in how the command was called or what it found; printed without a stack trace. */
class CliError extends Error {}

const OPTIONS = {
  sdkappid: { type: 'string' },
  userid: { type: 'string' },
  expire: { type: 'string' },
  name: { type: 'string' },
  'login-policy': { type: 'string' },
  'max-devices': { type: 'string' },
  'group-join-policy': { type: 'string' },
  'retention-days': { type: 'string' },
  'calls-per-minute': { type: 'string' },
  'ws-frames-per-sec': { type: 'string' },
  'ws-refusals-before-close': { type: 'string' },
  secret: { type: 'string' },
  endpoint: { type: 'string' },
  url: { type: 'string' },
  region: { type: 'string' },
  table: { type: 'string' },
  stack: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Options = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function positiveInt(raw: string | undefined, name: string): number {
  const n = Number(raw);
  if (raw === undefined || !Number.isSafeInteger(n) || n <= 0) throw new CliError(`--${name} must be a positive integer${raw === undefined ? ' (it is required)' : `, got "${raw}"`}`);
  return n;
}

/** The table of a deployed stack, from its `TableName` output. */
async function tableOfStack(stack: string, region: string | undefined): Promise<string> {
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const cfn = new CloudFormationClient(region ? { region } : {});
  const out = await cfn.send(new DescribeStacksCommand({ StackName: stack })).catch((err: unknown) => {
    throw new CliError(`cannot read stack ${stack}: ${err instanceof Error ? err.message : String(err)}`);
  });
  const table = out.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === 'TableName')?.OutputValue;
  if (!table) throw new CliError(`stack ${stack} has no TableName output`);
  return table;
}

async function store(values: Options): Promise<{ apps: DynamoAppStore; where: string }> {
  const aws = (values.region !== undefined || values.stack !== undefined) && values.endpoint === undefined;
  const endpoint = aws ? undefined : (values.endpoint ?? `http://127.0.0.1:${process.env.DYNAMO_PORT ?? 4567}`);
  const table = values.stack ? await tableOfStack(values.stack, values.region) : (values.table ?? 'callsignal');
  const db = documentClient({ ...(values.region ? { region: values.region } : {}), ...(endpoint ? { dynamoEndpoint: endpoint, local: !values.region } : {}) });
  return { apps: new DynamoAppStore(db, table), where: endpoint ? `${endpoint} (table ${table})` : `table ${table} in ${values.region}` };
}

/** The app settings given on the command line, checked. */
function settingsFrom(values: Options): Partial<App> {
  const oneOf = <T extends string>(raw: string | undefined, name: string, allowed: readonly T[]): T | undefined => {
    if (raw === undefined) return undefined;
    if (!allowed.includes(raw as T)) throw new CliError(`--${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
    return raw as T;
  };
  const settings: Partial<App> = {
    loginPolicy: oneOf(values['login-policy'], 'login-policy', ['multi', 'single'] as const),
    groupJoinPolicy: oneOf(values['group-join-policy'], 'group-join-policy', ['open', 'invited'] as const),
    ...(values['max-devices'] ? { maxDevicesPerPlatform: positiveInt(values['max-devices'], 'max-devices') } : {}),
    ...(values['retention-days'] ? { recordRetentionDays: positiveInt(values['retention-days'], 'retention-days') } : {}),
    ...(values['calls-per-minute'] ? { callsPerMinute: positiveInt(values['calls-per-minute'], 'calls-per-minute') } : {}),
    ...(values['ws-frames-per-sec'] ? { wsFramesPerSec: positiveInt(values['ws-frames-per-sec'], 'ws-frames-per-sec') } : {}),
    ...(values['ws-refusals-before-close'] ? { wsRefusalsBeforeClose: positiveInt(values['ws-refusals-before-close'], 'ws-refusals-before-close') } : {}),
    ...(values.name ? { name: values.name } : {}),
  };
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
}

const userIdOf = (values: Options): string => {
  if (!isValidUserId(values.userid)) throw new CliError(`--userid is required and must be ${USER_ID_RULE}`);
  return values.userid;
};

/** Commands that change an app by one of its rules (lib/apps/app-changes.ts). */
const CHANGES: Record<string, (app: App, values: Options) => App> = {
  'admin add': (app, values) => addAdmin(app, userIdOf(values)),
  'admin remove': (app, values) => removeAdmin(app, userIdOf(values)),
  'key rotate': (app, values) => rotateKey(app, values.secret ?? randomBytes(32).toString('hex')),
  'key retire': (app) => retireOldKey(app),
  'callback-secret rotate': (app) => ({ ...app, callbackSecret: randomBytes(32).toString('hex') }),
};

/** Calls the admin REST API as `administrator`, signing with the app's key; the answer's `Response`, or a CliError. */
async function adminRequest(base: string, app: App, path: string): Promise<unknown> {
  const usersig = genUserSig({ sdkAppId: app.sdkAppId, userId: 'administrator', key: app.secretKeys[0] ?? '', expireSec: 300 });
  const q = new URLSearchParams({ sdkappid: String(app.sdkAppId), identifier: 'administrator', usersig, random: String(Math.floor(Math.random() * 2 ** 32)), contenttype: 'json' });
  let res: Response;
  try {
    res = await fetch(`${base.replace(/\/$/, '')}/${path}?${q}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  } catch {
    throw new CliError(`cannot reach the HTTP API at ${base} (--url)`);
  }
  const body = (await res.json()) as { ErrorCode?: number; ErrorInfo?: string; Response?: unknown };
  if (body.ErrorCode !== 0) throw new CliError(`${path}: ${body.ErrorCode} ${body.ErrorInfo}`);
  return body.Response;
}

async function requireApp(apps: DynamoAppStore, sdkAppId: number): Promise<App> {
  const app = await apps.getApp(sdkAppId);
  if (!app) throw new CliError(`no app with SDKAppID ${sdkAppId}`);
  return app;
}

async function run(argv: string[]): Promise<void> {
  // Node 20 works today; the SDK's notice about its 2027 releases is for the README, not every start.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const command = positionals.join(' ');
  if (values.help || command === '') return console.log(USAGE);
  const { apps, where } = await store(values);
  try {
    if (command === 'app create') {
      const sdkAppId = values.sdkappid ? positiveInt(values.sdkappid, 'sdkappid') : 1400000000 + Math.floor(Math.random() * 99_999_999);
      const app = newApp({ sdkAppId, name: values.name ?? `app ${sdkAppId}`, secretKey: values.secret ?? randomBytes(32).toString('hex'), callbackSecret: randomBytes(32).toString('hex'), now: Date.now() });
      if (!(await apps.createApp(app))) throw new CliError(`an app with SDKAppID ${sdkAppId} already exists`);
      return console.log(JSON.stringify(app, null, 2));
    }
    if (command === 'app set') {
      const app = await requireApp(apps, positiveInt(values.sdkappid, 'sdkappid'));
      const updated = { ...app, ...settingsFrom(values) };
      await apps.putApp(updated);
      return console.log(JSON.stringify(updated, null, 2));
    }
    const change = CHANGES[command];
    if (change) {
      const app = await requireApp(apps, positiveInt(values.sdkappid, 'sdkappid'));
      let updated: App;
      try {
        updated = change(app, values);
      } catch (err) {
        throw err instanceof AppChangeError ? new CliError(err.message) : err;
      }
      await apps.putApp(updated);
      return console.log(JSON.stringify(updated, null, 2));
    }
    if (command === 'dead-letters list' || command === 'dead-letters replay') {
      const app = await requireApp(apps, positiveInt(values.sdkappid, 'sdkappid'));
      const path = command.endsWith('list') ? 'list_dead_letters' : 'replay_dead_letters';
      return console.log(JSON.stringify(await adminRequest(values.url ?? 'http://127.0.0.1:3000', app, `v4/callsignal_callback_svc/${path}`), null, 2));
    }
    if (command === 'app show') return console.log(JSON.stringify(await requireApp(apps, positiveInt(values.sdkappid, 'sdkappid')), null, 2));
    if (command === 'usersig') {
      const app = await requireApp(apps, positiveInt(values.sdkappid, 'sdkappid'));
      const userId = userIdOf(values);
      const expireSec = values.expire ? positiveInt(values.expire, 'expire') : 180 * 86400;
      return console.log(genUserSig({ sdkAppId: app.sdkAppId, userId, key: app.secretKeys[0] ?? '', expireSec }));
    }
  } catch (err) {
    if (err instanceof Error && /ECONNREFUSED|fetch failed|connect/i.test(`${err.message} ${String((err as { code?: string }).code)}`)) {
      throw new CliError(`cannot reach ${where}: is the local stack running (npm start)?`);
    }
    throw err;
  }
  throw new CliError(`unknown command "${command}"\n\n${USAGE}`);
}

run(process.argv.slice(2)).catch((err: unknown) => {
  const message = err instanceof CliError || (err instanceof TypeError && 'code' in err) ? err.message : err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  console.error(`callsignal: ${message}`);
  process.exit(1);
});
