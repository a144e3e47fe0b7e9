import { createRequire } from "node:module";

/**
 * jose, loaded when a token is first read or a JWT or OIDC provider is built: a node that takes no
 * tokens (the embedded default) need not carry it (docs/benchmarks.md: the idle node's memory).
 */
let loaded: typeof import("jose") | undefined;
export function jose(): typeof import("jose") {
  loaded ??= createRequire(import.meta.url)("jose") as typeof import("jose");
  return loaded;
}
