#!/usr/bin/env node
import { configureOrExit, createLogger, exitOnSignals } from "@hugr/common";
import { parseWorkerConfig } from "./config/index.js";
import { startWorker } from "./server.js";

const USAGE = `Usage: hugr-worker                 run a work node, configured by environment variables
       hugr-worker core-db export    copy the core database into a DuckDB file (--help for more)
`;

const [command, ...args] = process.argv.slice(2);
if (command === "core-db") {
  // Imported only here: the node itself never needs the tools.
  const { runCoreDbCommand } = await import("./cli/core-db.js");
  process.exit(await runCoreDbCommand(args, process.env));
}
if (command === "-h" || command === "--help") {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (command !== undefined) {
  process.stderr.write(`hugr-worker: unknown command "${command}"\n\n${USAGE}`);
  process.exit(2);
}

const config = configureOrExit("hugr-worker", () => parseWorkerConfig(process.env));
const logger = createLogger(config.logLevel);
const worker = await startWorker(config, { logger }).catch((error: unknown) => {
  logger.fatal({ err: error }, "work node failed to start");
  process.exit(1);
});
exitOnSignals(logger, () => worker.close());
