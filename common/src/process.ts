import type { Logger } from "pino";
import { ConfigError } from "./env/errors.js";

/** Exit code for invalid configuration, distinct from runtime failures (1). */
export const EXIT_CONFIG = 2;

/**
 * Reads the configuration; on a ConfigError prints it (naming the variable, never a secret value)
 * and exits with code 2. Anything else is a bug and propagates.
 */
export function configureOrExit<T>(program: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${program}: invalid configuration: ${error.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw error;
  }
}

/**
 * On SIGTERM or SIGINT (once), runs `close` and exits 0, or 1 when closing failed. Kubernetes sends
 * SIGTERM and waits the grace period; closing is where a program drains and says goodbye.
 */
export function exitOnSignals(logger: Logger, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "error while shutting down");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
