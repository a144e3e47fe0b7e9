import { describe, expect, it } from "vitest";
import { parseInt8, parseNumeric, parseTimestamp, parseTimestampTz } from "./values.js";

describe("PostgreSQL value parsers", () => {
  it.each([
    ["42", 42],
    ["-9007199254740991", -9007199254740991],
    ["9007199254740992", "9007199254740992"],
    ["9223372036854775807", "9223372036854775807"],
  ])("int8 %s → %j", (text, expected) => {
    expect(parseInt8(text)).toBe(expected);
  });

  it.each([
    ["1.50", 1.5],
    ["-0.001", -0.001],
    ["NaN", "NaN"],
    ["Infinity", "Infinity"],
  ])("numeric %s → %j", (text, expected) => {
    expect(parseNumeric(text)).toBe(expected);
  });

  it("timestamp → ISO 8601 without a zone", () => {
    expect(parseTimestamp("2024-01-02 03:04:05.123456")).toBe("2024-01-02T03:04:05.123456");
    expect(parseTimestamp("infinity")).toBe("infinity");
  });

  it.each([
    ["2024-01-02 03:04:05.123456+00", "2024-01-02T03:04:05.123456Z"],
    ["2024-01-02 03:04:05+02", "2024-01-02T03:04:05+02:00"],
    ["2024-01-02 03:04:05-03:30", "2024-01-02T03:04:05-03:30"],
  ])("timestamptz %s → %s", (text, expected) => {
    expect(parseTimestampTz(text)).toBe(expected);
  });
});
