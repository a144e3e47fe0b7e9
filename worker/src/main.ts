#!/usr/bin/env node
import { createLogger } from "@hugr/common";
import { ConfigError, parseWorkerConfig } from "./config/index.js";
import { startWorker } from "./server.js";

/** Exit code for invalid configuration, distinct from runtime failures (1). */
const EXIT_CONFIG = 2;

async function main(): Promise<void> {
  let config;
  try {
    config = parseWorkerConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`hugr-worker: invalid configuration: ${error.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const worker = await startWorker(config, { logger }).catch((error: unknown) => {
    logger.fatal({ err: error }, "work node failed to start");
    process.exit(1);
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down: draining in-flight requests");
    worker.close().then(
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

await main();
