import type { JWTVerifyOptions } from "jose";

/** The logging the provider chain does: pino's Logger fits. Messages never carry a credential. */
export interface AuthLogger {
  debug(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** What the providers share: injected for tests, defaults for production. */
export interface ProviderContext {
  logger: AuthLogger | undefined;
  /** For OIDC discovery and JWKS downloads. */
  fetch: typeof fetch;
  /** The verification options with the injected clock, if any. */
  verifyOptions(options: JWTVerifyOptions): JWTVerifyOptions;
}

export function providerContext(options: {
  logger?: AuthLogger | undefined;
  fetch?: typeof fetch | undefined;
  now?: (() => number) | undefined;
}): ProviderContext {
  const { now } = options;
  return {
    logger: options.logger,
    fetch: options.fetch ?? globalThis.fetch,
    // With the real clock jose reads Date.now itself: no Date per request.
    verifyOptions: now ? (o) => ({ ...o, currentDate: new Date(now()) }) : (o) => o,
  };
}
