/** Invalid filter / order_by input (unknown field or operator, null operand, too deep, ...). */
export class FilterError extends Error {
  override name = "FilterError";
}
