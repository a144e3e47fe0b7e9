/** Who is asking: the provider chain of hugr's auth (API keys, JWT, secret key, OIDC, anonymous). */
export { createAuthenticator, type Authenticator, type AuthenticatorOptions } from "./authenticator.js";
export type { AuthLogger } from "./context.js";
export { MAX_CREDENTIAL_LENGTH } from "./request.js";
