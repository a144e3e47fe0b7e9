#!/usr/bin/env node
import { ConfigError, configureOrExit, createLogger, exitOnSignals } from "@hugr/common";
import { parseManagementConfig, selectMode } from "./config/index.js";
import { startManagement } from "./server.js";

const { mode, config } = configureOrExit("hugr-operator", () => {
  const selected = selectMode(process.argv.slice(2), process.env);
  if (selected === "kubernetes" && process.argv.some((arg) => arg.startsWith("--mode"))) {
    throw new ConfigError(
      "--mode",
      "kubernetes mode is not available in this version; use --mode standalone",
      "kubernetes",
    );
  }
  return { mode: selected, config: parseManagementConfig(process.env) };
});
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
exitOnSignals(logger, () => management.close());
