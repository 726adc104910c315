import { fileURLToPath } from 'node:url';

/** The repository root: where `package-lock.json` lives and what esbuild may read. */
export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** What each function's minified bundle may weigh at most (DESIGN.md "Scale": short cold starts). */
export const BUNDLE_BUDGET_BYTES = 400 * 1024;

/**
 * ESM bundles have no `require`; bundled CommonJS dependencies (parts of the AWS SDK) call it for
 * Node built-ins, which fails at load with "Dynamic require of ... is not supported" without this.
 */
export const ESM_REQUIRE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/**
 * Packages replaced in Lambda bundles by what Lambda makes unnecessary: the SDK's default credential
 * chain (Lambda puts credentials in the environment) and semver (jsonwebtoken's Node-version checks).
 */
export const BUNDLE_ALIASES: Record<string, string> = {
  '@aws-sdk/credential-provider-node': `${REPO_ROOT}lib/runtime/lambda-credentials.ts`,
  semver: `${REPO_ROOT}lib/runtime/semver-node22.ts`,
};

/** The esbuild settings of every function, shared by the stack and `npm run size`. */
export const ESBUILD_OPTIONS = {
  format: 'esm',
  platform: 'node',
  target: 'node22',
  minify: true,
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  alias: BUNDLE_ALIASES,
} as const;

/**
 * Functions that take the AWS SDK from the Lambda runtime instead of their bundle. The admin REST API
 * needs four SDK clients and JWT verification, which bundled together weigh more than the budget; it is
 * not on the signaling path, so its slower first import (the runtime's SDK) costs nobody a ring.
 */
export const SDK_FROM_RUNTIME: readonly string[] = ['http'];

/** Every Lambda entry point under `functions/`. */
export const FUNCTION_ENTRIES = ['ws-authorizer', 'ws-connect', 'ws-disconnect', 'ws-message', 'timers', 'sweeper', 'http', 'callbacks'] as const;
