export { createServedSchema } from "./served-schema.js";
export type { SchemaLease, ServedSchema, ServedSource } from "./served-schema.js";
