import { createRequire } from "node:module";

/**
 * jose, loaded when a token is first read or a JWT or OIDC provider is built: a node that takes no
 * tokens (the embedded default) need not carry it (some 9 MB resident).
 */
let loaded: typeof import("jose") | undefined;
export function jose(): typeof import("jose") {
  loaded ??= createRequire(import.meta.url)("jose") as typeof import("jose");
  return loaded;
}
