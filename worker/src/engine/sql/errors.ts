/** Invalid filter, order_by or paging input (unknown field or operator, null operand, too deep, ...). */
export class FilterError extends Error {
  override name = "FilterError";
}

/** Mutation data that cannot be written: an unknown field, a value of the wrong type, empty data. */
export class DataInputError extends Error {
  readonly code = "INVALID_DATA";

  constructor(message: string) {
    super(message);
    this.name = "DataInputError";
  }
}

/** A write the request's role may not make: an input field it may not set, a table it may not change. */
export class AccessDeniedError extends Error {
  readonly code = "FORBIDDEN";

  constructor(message: string) {
    super(message);
    this.name = "AccessDeniedError";
  }
}
