import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";

describe("createLogger", () => {
  it("drops the statement and bound values a driver error carries", () => {
    let written = "";
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        written += chunk.toString();
        done();
      },
    });
    const error = Object.assign(new Error("duplicate key"), {
      query: "INSERT INTO data_sources VALUES ($1)",
      parameters: ["postgres://u:hunter2@h/db"],
      code: "23505",
    });
    createLogger("info", "test", sink).error({ err: error }, "failed");
    expect(written).toContain('"code":"23505"');
    expect(written).toContain('"component":"test"');
    expect(written).not.toMatch(/hunter2|INSERT INTO/);
  });

  it("writes an error given as its message as that string, not character by character", () => {
    let written = "";
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        written += chunk.toString();
        done();
      },
    });
    createLogger("info", "test", sink).warn({ err: "connect ECONNREFUSED" }, "heartbeat failed");
    expect(JSON.parse(written)).toMatchObject({ err: "connect ECONNREFUSED", msg: "heartbeat failed" });
  });
});
