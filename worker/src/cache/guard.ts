import type { Logger } from "@hugr/common";
import type { CacheMetrics } from "./metrics.js";

/** The L2 operations, as counted in `hugr_cache_l2_errors_total{op}`. */
export type L2Op = "get" | "set" | "ttl" | "invalidate" | "publish" | "connect";

/**
 * Keeps L2 failures away from callers. Until a Redis client first connects, operations are skipped
 * (L2 is not there yet; that is not an outage). An operation that fails (refused, timed out, closed) is
 * counted, marks L2 down and gives its fallback; while down, operations are skipped outright (a hung
 * server costs one command timeout per retry window, not one per request) until the retry time, the
 * client reporting its connection ready again, or an operation succeeding. One log line per outage:
 * a warning, or an error when the server refused the credentials; one info line when it is back.
 */
export interface L2Guard {
  run<T>(op: L2Op, action: () => Promise<T>, fallback: T): Promise<T>;
  /** A connection error reported by the client (not by an operation). */
  connectionFailed(error: unknown): void;
  /** The client reports its connection (re)established and usable. */
  connectionReady(): void;
}

export interface L2GuardOptions {
  backend: "redis" | "memcached";
  /** How the logs name the L2, e.g. "redis at 10.0.0.5:6379" (addresses only, never credentials). */
  target: string;
  logger: Logger;
  metrics: CacheMetrics;
  /** How long L2 is skipped after a failure before it is tried again. */
  retryAfterMs: number;
  /** Strings never to log (the password), replaced in error messages should a server echo them. */
  secrets: readonly string[];
  /**
   * True for a client that reports its connection (Redis): operations wait for its first report
   * rather than fail while it connects. False for one that connects on demand (memjs).
   */
  waitForConnection: boolean;
  /** Called when L2 comes back after an outage (replays the invalidations it missed). */
  onRecovered: () => void;
}

/** Server replies that mean wrong credentials rather than an unreachable server. */
const AUTH_ERROR =
  /WRONGPASS|NOAUTH|invalid password|invalid username-password|without any password|authentication fail/i;

export function createL2Guard(options: L2GuardOptions): L2Guard {
  const { logger, metrics, backend, target } = options;
  /** Until the client first connects or fails, operations are skipped silently: starting is no outage. */
  let connecting = options.waitForConnection;
  let down = false;
  let authReported = false;
  let retryAt = 0;

  const describe = (error: unknown): string => safeMessage(error, options.secrets);

  const markDown = (op: L2Op, error: unknown): void => {
    connecting = false;
    metrics.l2Errors.inc({ backend, op });
    retryAt = Date.now() + options.retryAfterMs;
    const message = describe(error);
    if (AUTH_ERROR.test(message) && !authReported) {
      authReported = true;
      down = true;
      logger.error(
        { l2: target, err: message },
        `the L2 cache (${target}) refused the credentials: check CACHE_L2_USERNAME and CACHE_L2_PASSWORD; ` +
          "queries are served from L1 and the data sources meanwhile",
      );
      return;
    }
    if (down) {
      logger.debug({ l2: target, op, err: message }, "L2 cache still unavailable");
      return;
    }
    down = true;
    logger.warn(
      { l2: target, op, err: message },
      `the L2 cache (${target}) is unavailable; queries are served from L1 and the data sources until it is back`,
    );
  };

  const markUp = (): void => {
    connecting = false;
    if (!down) return;
    down = false;
    authReported = false;
    retryAt = 0;
    logger.info({ l2: target }, `the L2 cache (${target}) is available again`);
    options.onRecovered();
  };

  return {
    async run(op, action, fallback) {
      if (connecting || (down && Date.now() < retryAt)) return fallback;
      try {
        const result = await action();
        markUp();
        return result;
      } catch (error) {
        markDown(op, error);
        return fallback;
      }
    },
    connectionFailed(error) {
      markDown("connect", error);
    },
    connectionReady() {
      markUp();
    },
  };
}

/** An error's message (never its attached command or arguments) with any secret replaced. */
export function safeMessage(error: unknown, secrets: readonly string[]): string {
  let message = error instanceof Error ? error.message : String(error);
  if (message === "" && error instanceof AggregateError) {
    message = error.errors.map((inner) => safeMessage(inner, [])).join("; ");
  }
  for (const secret of secrets) {
    if (secret !== "") message = message.split(secret).join("[redacted]");
  }
  return message;
}
