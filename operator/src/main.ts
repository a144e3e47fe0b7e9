#!/usr/bin/env node
import { configureOrExit, createLogger, exitOnSignals } from "@hugr/common";
import { parseManagementConfig, parseOperatorConfig, selectMode } from "./config/index.js";
import { loadKubeConfig } from "./kube/index.js";
import { startOperator } from "./controller-manager/index.js";
import { startManagement } from "./server.js";

const mode = configureOrExit("hugr-operator", () => selectMode(process.argv.slice(2), process.env));

if (mode === "kubernetes") {
  const config = configureOrExit("hugr-operator", () => parseOperatorConfig(process.env));
  const logger = createLogger(config.logLevel, "operator");
  const operator = await Promise.resolve()
    .then(() => startOperator(config, loadKubeConfig(process.env), logger))
    .catch((error: unknown) => {
      logger.fatal({ err: error }, "operator failed to start");
      process.exit(1);
    });
  exitOnSignals(logger, () => operator.close());
} else {
  const config = configureOrExit("hugr-operator", () => parseManagementConfig(process.env));
  const logger = createLogger(config.logLevel, "management");
  const management = await startManagement(config, logger).catch((error: unknown) => {
    logger.fatal({ err: error }, "management node failed to start");
    process.exit(1);
  });
  exitOnSignals(logger, () => management.close());
}
