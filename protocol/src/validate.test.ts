import { describe, expect, it } from "vitest";
import { BadRequest, cacheInvalidation } from "./validate.js";

describe("cacheInvalidation", () => {
  it("takes a tags or an all message", () => {
    expect(cacheInvalidation({ origin: "c1", scope: "tags", tags: ["object:orders"] })).toEqual({
      origin: "c1",
      scope: "tags",
      tags: ["object:orders"],
    });
    expect(cacheInvalidation({ origin: "c1", scope: "all", tags: ["ignored"] })).toEqual({
      origin: "c1",
      scope: "all",
    });
  });

  it.each([
    [null, /expected a JSON object|object/],
    [{ scope: "all" }, /origin/],
    [{ origin: "c1", scope: "some" }, /scope/],
    [{ origin: "c1", scope: "tags" }, /tags/],
    [{ origin: "c1", scope: "tags", tags: [] }, /tags/],
    [{ origin: "c1", scope: "tags", tags: [""] }, /tags/],
    [{ origin: "c1", scope: "tags", tags: [42] }, /tags/],
    [{ origin: "x".repeat(300), scope: "all" }, /origin/],
  ])("refuses %j naming the field", (body, message) => {
    expect(() => cacheInvalidation(body)).toThrow(BadRequest);
    expect(() => cacheInvalidation(body)).toThrow(message);
  });
});
