import { createRequire } from "node:module";

/** The work node's version, reported at registration (from worker/package.json). */
export const WORKER_VERSION: string = (
  createRequire(import.meta.url)("../package.json") as { version: string }
).version;
