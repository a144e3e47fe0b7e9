import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { printSortedSchema } from "../graphql/index.js";

/**
 * Writes (--write) or verifies (--check) the printed, sorted schemas that are committed so that
 * every schema change shows up in review: worker/schema.graphql (a single node) and
 * worker/schema.cluster.graphql (cluster mode, with core.cluster).
 */
const variants = [
  { file: "../../schema.graphql", cluster: false },
  { file: "../../schema.cluster.graphql", cluster: true },
];

let stale = false;
for (const variant of variants) {
  const target = fileURLToPath(new URL(variant.file, import.meta.url));
  const printed = printSortedSchema({ cluster: variant.cluster }) + "\n";
  if (process.argv.includes("--write")) {
    await writeFile(target, printed);
    process.stdout.write(`wrote ${target}\n`);
  } else if ((await readFile(target, "utf8").catch(() => "")) !== printed) {
    process.stderr.write(`${target} is stale: run 'make schema' and commit the result\n`);
    stale = true;
  }
}
if (stale) process.exit(1);
