export { CatalogError } from "./errors.js";
export { readCatalogDocuments } from "./read.js";
export type { CatalogDocument, ReadCatalogOptions } from "./read.js";
export { parseCatalog } from "./parse.js";
export { printCatalog } from "./print.js";
export { introspectCatalog } from "./introspect.js";
export type { IntrospectOptions } from "./introspect.js";
export type { CatalogModel, FieldModel, ObjectModel, RelationModel, ScalarName } from "./model.js";
