import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderCrdDocs } from "../api/docs.js";
import {
  CRD_DIRECTORIES,
  crdManifestFiles,
  rbacManifestFiles,
  type GeneratedFile,
} from "../api/manifests.js";

/**
 * Writes the CRDs generated from operator/src/api into crds/, config/crd/ and the Helm chart's
 * crds/, their field reference into docs/crds.md, and the operator's RBAC (rbac.ts) into
 * config/rbac/ and the Helm chart's files/. With --check it writes nothing and exits 1 naming every
 * stale file, so CI fails when a schema or a rule change was not regenerated.
 */
const root = fileURLToPath(new URL("../../../", import.meta.url));
const files: GeneratedFile[] = [
  ...crdManifestFiles(),
  ...rbacManifestFiles(),
  { path: "docs/crds.md", content: renderCrdDocs() },
];

/** YAML files in the CRD folders that no CRD produces any more (a kind renamed or removed). */
async function leftovers(): Promise<string[]> {
  const expected = new Set(files.map((file) => file.path));
  const listed = await Promise.all(
    CRD_DIRECTORIES.map(async (dir) => {
      const names = await readdir(join(root, dir)).catch((): string[] => []);
      return names.filter((name) => name.endsWith(".yaml")).map((name) => `${dir}/${name}`);
    }),
  );
  return listed.flat().filter((path) => !expected.has(path));
}

async function check(): Promise<string[]> {
  const stale: string[] = [];
  for (const file of files) {
    const current = await readFile(join(root, file.path), "utf8").catch(() => undefined);
    if (current !== file.content) stale.push(file.path);
  }
  return [...stale, ...(await leftovers())];
}

async function write(): Promise<void> {
  for (const file of files) {
    await mkdir(dirname(join(root, file.path)), { recursive: true });
    await writeFile(join(root, file.path), file.content);
  }
  for (const path of await leftovers()) await rm(join(root, path));
  process.stdout.write(`wrote ${files.length} files generated from operator/src/api\n`);
}

if (process.argv.includes("--check")) {
  const stale = await check();
  if (stale.length > 0) {
    process.stderr.write(
      `generated files are stale; run 'make generate' and commit the result:\n${stale.map((p) => `  ${p}\n`).join("")}`,
    );
    process.exit(1);
  }
} else {
  await write();
}
