import { ApiGatewayManagementApiClient, GetConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiGatewayConnections } from '../../lib/adapters/apigw-connections.ts';
import { LOCAL_STAGE, type LocalRuntime } from '../../lib/local/runtime.ts';
import { LOCAL_CREDENTIALS } from '../../lib/wiring.ts';
import { RawClient } from '../support/raw-client.ts';
import { startTestStack, wsUrlFor } from '../support/local-stack.ts';

let rt: LocalRuntime;
let client: ApiGatewayManagementApiClient;
let connections: ApiGatewayConnections;

beforeAll(async () => {
  rt = await startTestStack();
  const port = new URL(rt.wsUrl).port;
  client = new ApiGatewayManagementApiClient({ endpoint: `http://127.0.0.1:${port}/${LOCAL_STAGE}`, region: 'local', credentials: LOCAL_CREDENTIALS });
  connections = new ApiGatewayConnections(client);
});
afterAll(async () => {
  client?.destroy();
  await rt?.close();
});

/** The connection id the gateway gave this user's socket (read back from the device the login stored). */
async function connectionIdOf(userId: string): Promise<string> {
  const view = await rt.deps.users.getUser(rt.demoApp.sdkAppId, userId);
  return view.devices[0]!.connectionId;
}

describe('the local @connections endpoint, through the real AWS SDK client', () => {
  it('posts a frame to an open connection', async () => {
    const c = await RawClient.login(wsUrlFor(rt, 'ce-a'), 'ce-a');
    const id = await connectionIdOf('ce-a');
    expect(await connections.post(id, JSON.stringify({ type: 'event', event: 'onError', data: { code: 1, message: 'hi' } }))).toBe('sent');
    expect((await c.event('onError')).data.message).toBe('hi');
    await c.close();
  });

  it('describes a connection (GET) with its identity', async () => {
    const c = await RawClient.login(wsUrlFor(rt, 'ce-b'), 'ce-b');
    const out = await client.send(new GetConnectionCommand({ ConnectionId: await connectionIdOf('ce-b') }));
    expect(out.Identity?.SourceIp).toBe('127.0.0.1');
    expect(out.ConnectedAt).toBeInstanceOf(Date);
    await c.close();
  });

  it('closes a connection (DELETE), which then runs $disconnect and answers 410 to later posts', async () => {
    const c = await RawClient.login(wsUrlFor(rt, 'ce-c'), 'ce-c');
    const id = await connectionIdOf('ce-c');
    const closed = c.closed();
    await connections.close(id);
    await closed;
    await expect.poll(async () => (await rt.deps.users.getUser(rt.demoApp.sdkAppId, 'ce-c')).devices.length).toBe(0);
    expect(await connections.post(id, '{}')).toBe('gone');
    await expect(connections.close(id)).resolves.toBeUndefined();
  });

  it('answers GoneException for a connection that never existed', async () => {
    expect(await connections.post('bm9uZXhpc3Rpbmc=', '{}')).toBe('gone');
  });
});
