import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { printSortedSchema } from "../graphql/index.js";

/**
 * Writes (--write) or verifies (--check) worker/schema.graphql, the printed and sorted schema that
 * is committed so that every schema change shows up in review.
 */
const target = fileURLToPath(new URL("../../schema.graphql", import.meta.url));
const printed = printSortedSchema() + "\n";

if (process.argv.includes("--write")) {
  await writeFile(target, printed);
  process.stdout.write(`wrote ${target}\n`);
} else {
  const committed = await readFile(target, "utf8").catch(() => "");
  if (committed !== printed) {
    process.stderr.write(`${target} is stale: run 'make schema' and commit the result\n`);
    process.exit(1);
  }
}
