#!/usr/bin/env node
import { configureOrExit, createLogger, exitOnSignals } from "@hugr/common";
import { parseWorkerConfig } from "./config/index.js";
import { startWorker } from "./server.js";

const config = configureOrExit("hugr-worker", () => parseWorkerConfig(process.env));
const logger = createLogger(config.logLevel);
const worker = await startWorker(config, { logger }).catch((error: unknown) => {
  logger.fatal({ err: error }, "work node failed to start");
  process.exit(1);
});
exitOnSignals(logger, () => worker.close());
