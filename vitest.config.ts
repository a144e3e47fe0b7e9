import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";

const source = (pkg: string): string => fileURLToPath(new URL(`./${pkg}/src/index.ts`, import.meta.url));

// Tiers: "unit" is pure logic (no processes, no services); "integration" talks to real PostgreSQL,
// PGlite, real worker processes over HTTP and a real kube-apiserver (operator/test); "kind" checks the
// kind suite's own tooling on the host, as root (make test-kind runs it before the offline suite).
export default defineConfig({
  // graphql ships CJS (main) and ESM (module) builds; Node loads the CJS one for yoga, so our code must
  // get the same copy, or `instanceof GraphQLError` and schema realm checks fail only under vitest.
  // Workspace packages resolve to their sources, so tests never run against a stale dist/.
  resolve: {
    alias: [
      { find: /^graphql$/, replacement: "graphql/index.js" },
      { find: /^@hugr\/protocol$/, replacement: source("protocol") },
      { find: /^@hugr\/coredb$/, replacement: source("coredb") },
      { find: /^@hugr\/common$/, replacement: source("common") },
    ],
  },
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: [
            "protocol/src/**/*.test.ts",
            "coredb/src/**/*.test.ts",
            "common/src/**/*.test.ts",
            "operator/src/**/*.test.ts",
            "worker/src/**/*.test.ts",
          ],
        },
      },
      {
        test: {
          name: "integration",
          include: ["worker/test/**/*.test.ts", "operator/test/**/*.test.ts", "e2e/**/*.test.ts"],
          exclude: [...configDefaults.exclude, "e2e/kind/**"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "kind",
          include: ["e2e/kind/**/*.test.ts"],
          testTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
