/** Who asks (the provider chain) and what their role may do (hugr's permissions). */
export { AuthFailure, forbidden, unauthenticated } from "./identity.js";
export type { CredentialStore, Identity, ManagedApiKey, RoleInfo } from "./identity.js";
export { permissionRule } from "./permissions/validation.js";
export { visibleSchema } from "./permissions/introspection.js";
export type { PermissionRow, RolePermissions } from "./permissions/rules.js";
export { createAuthStore, type AuthStore } from "./store.js";
export { createRequestAuthenticator, type RequestAuth, type RequestAuthenticator } from "./request.js";
