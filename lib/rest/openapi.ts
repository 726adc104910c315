import { toJsonSchema } from '@valibot/to-json-schema';
import type { RestRoute } from './route.ts';

const QUERY = [
  { name: 'sdkappid', required: true, description: 'The app (SDKAppID).', schema: { type: 'integer' } },
  { name: 'identifier', required: true, description: 'An App administrator of the app.', schema: { type: 'string' } },
  { name: 'usersig', required: true, description: "The administrator's UserSig (or a JWT).", schema: { type: 'string' } },
  { name: 'random', required: false, description: 'A random 32-bit unsigned integer.', schema: { type: 'integer', minimum: 0, maximum: 4294967295 } },
  { name: 'contenttype', required: false, description: 'Always json.', schema: { const: 'json' } },
].map((p) => ({ ...p, in: 'query' }));

const ENVELOPES = {
  v4: {
    type: 'object',
    required: ['ActionStatus', 'ErrorInfo', 'ErrorCode', 'RequestId'],
    properties: { ActionStatus: { enum: ['OK', 'FAIL'] }, ErrorInfo: { type: 'string' }, ErrorCode: { type: 'integer' }, RequestId: { type: 'string' } },
  },
  v1: {
    type: 'object',
    required: ['errorCode', 'errorMessage', 'requestId', 'data'],
    properties: { errorCode: { type: 'integer' }, errorMessage: { type: 'string' }, requestId: { type: 'string' }, data: {} },
  },
};

/** The OpenAPI 3.1 description of the HTTP API, generated from the very routes that serve it. */
export function openApiDocument(routes: readonly RestRoute[]): Record<string, unknown> {
  const paths: Record<string, unknown> = {
    '/health': { get: { summary: 'Liveness check.', responses: { '200': { description: 'Up.' } } } },
    '/openapi.json': { get: { summary: 'This document.', responses: { '200': { description: 'OpenAPI 3.1.' } } } },
  };
  for (const r of routes) {
    const { $schema: _ignored, ...body } = toJsonSchema(r.body, { errorMode: 'ignore' }) as Record<string, unknown>;
    const payload = r.generation === 'v4' ? { allOf: [ENVELOPES.v4, r.response] } : { allOf: [ENVELOPES.v1, { type: 'object', properties: { data: r.response } }] };
    paths[`/${r.generation}/${r.path}`] = {
      post: {
        operationId: `${r.generation}_${r.path.replace('/', '_')}`,
        summary: r.summary,
        description: `At most ${r.ratePerSec} requests per second per app. Invalid bodies answer ${r.invalidCode}.`,
        parameters: QUERY,
        requestBody: { required: true, content: { 'application/json': { schema: body } } },
        responses: { '200': { description: 'Always HTTP 200; the outcome is in the envelope.', content: { 'application/json': { schema: payload } } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'CallSignal admin REST API', version: '1', description: 'Tencent-compatible v4 and legacy v1 call APIs, plus account, presence and device administration.' },
    paths,
  };
}
