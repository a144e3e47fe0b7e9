/**
 * A catalog that cannot be read or does not describe a valid model. The message names the catalog, or
 * the file and `line:column`, and says what to change: it is shown to the user who registered the
 * data source, so it never carries more than what that user wrote.
 */
export class CatalogError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CatalogError";
  }
}
