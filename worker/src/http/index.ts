export { createApp } from "./app.js";
export type { AppOptions } from "./app.js";
export { createReadiness } from "./readiness.js";
export type { Phase, Readiness } from "./readiness.js";
