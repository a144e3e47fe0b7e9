export type DataSourceErrorCode =
  "DATA_SOURCE_NOT_FOUND" | "DATA_SOURCE_DISABLED" | "DATA_SOURCE_LOAD_FAILED";

/** A load or unload that cannot be done, with the reason a user can act on. */
export class DataSourceError extends Error {
  readonly code: DataSourceErrorCode;

  constructor(code: DataSourceErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DataSourceError";
    this.code = code;
  }
}
