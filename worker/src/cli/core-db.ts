import { stat } from "node:fs/promises";
import { parseArgs } from "node:util";
import { ConfigError, readCoreDb, readDataDir, type Env } from "@hugr/common";
import {
  checkExportTarget,
  exportCoreDb,
  openCoreDb,
  type CoreDb,
  type CoreDbConfig,
  type CoreDbLogger,
} from "@hugr/coredb";

const PROGRAM = "hugr-worker core-db";

const USAGE = "Usage: hugr-worker core-db export --to <file.duckdb>";

const CORE_DB_HELP = `${USAGE}

Copies the core database this node is configured with into a new DuckDB file, which nodes then
open with CORE_DB_PATH=<file.duckdb> (read-only in a cluster: CORE_DB_READONLY=true).

The source is read from the node's variables: CORE_DB_PATH (a PostgreSQL URL, an embedded
database folder, a DuckDB file; unset: the node's default, HUGR_DATA_DIR/core.duckdb, or the
embedded folder HUGR_DATA_DIR/core-db an earlier version made). It is opened read-only and never
changed; it must have this build's schema (start a node of this build on it once). Stop the node
first when the source is an embedded database folder: one process at a time may open it.

Copied: data_sources, catalog_sources, data_source_catalogs, roles, permissions, api_keys,
object_storages. Not copied: cluster_nodes and cluster_data_sources, the state of the running
cluster, kept by its management node.

The file is written under a temporary name in the same folder and renamed once complete: a
failure leaves nothing behind, and an existing file is never replaced.

Options:
  --to <file.duckdb>  the file to create; it must not exist, its folder must
  -h, --help          show this text

Exit status: 0 exported, 1 the export failed, 2 wrong arguments or configuration.
`;

/** How long to wait for a PostgreSQL source that does not answer. */
const CONNECT_TIMEOUT_MS = 10_000;

/** Exit status of wrong arguments or configuration, as for the node itself. */
const EXIT_USAGE = 2;
const EXIT_INTERRUPTED = 130;

/**
 * `hugr-worker core-db <command>`: `args` are the words after "core-db". Prints progress and errors
 * to stderr and resolves with the exit status.
 */
export async function runCoreDbCommand(args: readonly string[], env: Env): Promise<number> {
  const parsed = parseCommandLine(args);
  if (parsed.kind === "wrong") {
    process.stderr.write(`${PROGRAM}: ${parsed.problem}\n${USAGE}\nMore: ${PROGRAM} --help\n`);
    return EXIT_USAGE;
  }
  if (parsed.kind === "help") {
    process.stdout.write(CORE_DB_HELP);
    return 0;
  }
  let source: CoreDbConfig;
  try {
    source = { ...readCoreDb(env, readDataDir(env)), readOnly: true };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${PROGRAM}: invalid configuration: ${error.message}\n`);
    return EXIT_USAGE;
  }
  return exportTo(source, parsed.to);
}

type CommandLine = { kind: "export"; to: string } | { kind: "help" } | { kind: "wrong"; problem: string };

function parseCommandLine(args: readonly string[]): CommandLine {
  const [command, ...rest] = args;
  if (command === undefined || command === "-h" || command === "--help") return { kind: "help" };
  if (command !== "export") return { kind: "wrong", problem: `unknown command "${command}"` };
  try {
    const { values } = parseArgs({
      args: rest,
      options: { to: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) return { kind: "help" };
    if (values.to === undefined || values.to === "") {
      return { kind: "wrong", problem: "--to <file.duckdb> is required" };
    }
    return { kind: "export", to: values.to };
  } catch (error) {
    return { kind: "wrong", problem: (error as Error).message };
  }
}

async function exportTo(config: CoreDbConfig, to: string): Promise<number> {
  const controller = new AbortController();
  const abort = (): void => controller.abort(new Error("interrupted"));
  process.once("SIGINT", abort);
  process.once("SIGTERM", abort);
  try {
    await checkExportTarget(to);
    await refuseMissingFolder(config);
    const opening = openCoreDb(config, { logger: stderrLogger(), connectTimeoutMs: CONNECT_TIMEOUT_MS });
    // An interruption while the source is still connecting ends the command at once: nothing has
    // been written yet, and the process exits with the connection attempt.
    const db = await Promise.race([opening, rejectWhenAborted(controller.signal)]);
    try {
      await exportFrom(db, to, controller.signal);
      return 0;
    } finally {
      await db.close();
    }
  } catch (error) {
    process.stderr.write(`${PROGRAM}: export failed: ${describe(error)}\n`);
    return controller.signal.aborted ? EXIT_INTERRUPTED : 1;
  } finally {
    process.off("SIGINT", abort);
    process.off("SIGTERM", abort);
  }
}

async function exportFrom(db: CoreDb, to: string, signal: AbortSignal): Promise<void> {
  process.stderr.write(`${PROGRAM}: exporting the ${db.kind} core database to ${to}\n`);
  const started = performance.now();
  await exportCoreDb(db, {
    to,
    signal,
    onTable: (table, rows) => process.stderr.write(`  ${table}: ${rows} row${rows === 1 ? "" : "s"}\n`),
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stderr.write(`${PROGRAM}: wrote ${to} in ${seconds} s\n`);
}

function rejectWhenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
  });
}

/**
 * Opening an embedded database folder that does not exist would create an empty database there:
 * an export must change nothing, so a missing folder is a mistake to report.
 */
async function refuseMissingFolder(config: CoreDbConfig): Promise<void> {
  if (config.kind !== "pglite" || config.dir.startsWith("memory://")) return;
  const folder = await stat(config.dir).catch(() => undefined);
  if (!folder?.isDirectory()) {
    throw new Error(`CORE_DB_PATH: the embedded database folder ${config.dir} does not exist`);
  }
}

/** The core database's retries and warnings, as lines on stderr; its other news is noise here. */
function stderrLogger(): CoreDbLogger {
  return {
    info: () => undefined,
    warn: (details, message) => {
      const fields = Object.entries(details).map(([key, value]) => `${key}: ${String(value)}`);
      process.stderr.write(`${PROGRAM}: ${message} (${fields.join(", ")})\n`);
    },
  };
}

/** The message with its causes, which say what the driver or the file system refused. */
function describe(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  while (current instanceof Error) {
    parts.push(current.message);
    current = current.cause;
  }
  if (typeof current === "string") parts.push(current);
  return parts.join(": ");
}
