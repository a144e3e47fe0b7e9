#!/usr/bin/env node
import { ConfigError, createLogger } from "@hugr/common";
import { parseManagementConfig, selectMode, type ManagementConfig, type Mode } from "./config/index.js";
import { startManagement } from "./server.js";

/** Exit code for invalid configuration, distinct from runtime failures (1). */
const EXIT_CONFIG = 2;

const explicitMode = process.argv.some((arg) => arg.startsWith("--mode"));

function configure(): { mode: Mode; config: ManagementConfig } {
  try {
    const mode = selectMode(process.argv.slice(2), process.env);
    if (mode === "kubernetes" && explicitMode) {
      throw new ConfigError(
        "--mode",
        "kubernetes mode is not available in this version; use --mode standalone",
        "kubernetes",
      );
    }
    return { mode, config: parseManagementConfig(process.env) };
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`hugr-operator: invalid configuration: ${error.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw error;
  }
}

const { mode, config } = configure();
const logger = createLogger(config.logLevel, "management");
if (mode === "kubernetes") {
  logger.warn(
    "a Kubernetes configuration was found, but this version runs standalone only: using the environment",
  );
}
const management = await startManagement(config, logger).catch((error: unknown) => {
  logger.fatal({ err: error }, "management node failed to start");
  process.exit(1);
});

let stopping = false;
const stop = (signal: NodeJS.Signals): void => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "shutting down");
  management.close().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: error }, "error while shutting down");
      process.exit(1);
    },
  );
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
