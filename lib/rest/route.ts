import type * as v from 'valibot';
import type { App } from '../apps/app.ts';
import type { Deps } from '../usecases/deps.ts';
import type { Generation } from './errors.ts';

/** What a REST endpoint knows about the request it serves. */
export interface RestContext {
  deps: Deps;
  app: App;
  /** The admin who called. */
  identifier: string;
  generation: Generation;
  sourceIp: string;
}

/** A JSON Schema fragment (for the OpenAPI description). */
export type JsonSchema = Record<string, unknown>;

/** One admin REST endpoint: where it lives, how often it may be called, its body, and what it does. */
export interface RestRoute<S extends v.GenericSchema = v.GenericSchema> {
  generation: Generation;
  /** `service/command` (v4) or `kind/command` (v1). */
  path: string;
  summary: string;
  /** Documented maximum call frequency, per app and endpoint. */
  ratePerSec: number;
  body: S;
  /** The endpoint's own code for a body that does not match `body` (101002, 100002, 70001, 70402…). */
  invalidCode: number;
  /** The success payload: v4 fields next to the envelope (e.g. `{ Response }`), v1 the `data` value. */
  response: JsonSchema;
  handle(ctx: RestContext, body: v.InferOutput<S>): Promise<unknown>;
}

/** Declares a route with its body type inferred from its schema. */
export function route<S extends v.GenericSchema>(r: RestRoute<S>): RestRoute {
  return r as unknown as RestRoute;
}
