import { defineConfig } from "vitest/config";

// Two tiers: "unit" is pure logic (no processes, no services); "integration" talks to real
// PostgreSQL, PGlite and real worker processes over HTTP.
export default defineConfig({
  // graphql ships CJS (main) and ESM (module) builds; Node loads the CJS one for yoga, so our code must
  // get the same copy, or `instanceof GraphQLError` and schema realm checks fail only under vitest.
  resolve: { alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }] },
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["worker/src/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["worker/test/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
