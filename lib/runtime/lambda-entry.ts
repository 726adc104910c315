/**
 * Builds a Lambda handler's dependencies once: at cold start inside Lambda (so a bad configuration
 * fails fast, naming the variable), lazily elsewhere (the local runtime imports `makeHandler` only).
 */
export function lambdaEntry<E, R>(build: () => (event: E) => Promise<R>): (event: E) => Promise<R> {
  let handler = process.env.AWS_LAMBDA_FUNCTION_NAME ? build() : undefined;
  return (event: E) => (handler ??= build())(event);
}
