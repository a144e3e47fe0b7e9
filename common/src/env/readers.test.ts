import { describe, expect, it } from "vitest";
import {
  MAX_TIMER_MS,
  readAddresses,
  readBool,
  readChoice,
  readDuration,
  readHttpUrl,
  readInt,
  readList,
  readRaw,
  readSecret,
  readString,
  required,
  splitHostPort,
} from "./readers.js";
import { configError, expectConfigError } from "./test-fixtures.js";

describe("readString and readRaw", () => {
  it("trims, and treats empty and blank values as unset", () => {
    expect(readString({ A: "  x y \n" }, "A")).toBe("x y");
    expect(readString({ A: "" }, "A")).toBeUndefined();
    expect(readString({ A: " \t" }, "A")).toBeUndefined();
    expect(readString({}, "A")).toBeUndefined();
  });

  it("readRaw keeps the value verbatim; only an empty value is unset", () => {
    expect(readRaw({ A: " pass word \n" }, "A")).toBe(" pass word \n");
    expect(readRaw({ A: " " }, "A")).toBe(" ");
    expect(readRaw({ A: "" }, "A")).toBeUndefined();
    expect(readRaw({}, "A")).toBeUndefined();
  });
});

describe("readSecret", () => {
  const secret = "hunter2-Sup3rS3cret";

  it("takes the value verbatim; empty is unset", () => {
    expect(readSecret({ TOKEN: secret }, "TOKEN")).toBe(secret);
    expect(readSecret({ TOKEN: "a b" }, "TOKEN")).toBe("a b");
    expect(readSecret({ TOKEN: "" }, "TOKEN")).toBeUndefined();
    expect(readSecret({}, "TOKEN")).toBeUndefined();
  });

  it.each([`${secret}\n`, ` ${secret}`, `\t${secret} `, " "])(
    "refuses surrounding whitespace without showing the value (%#)",
    (value) => {
      const error = configError(() => readSecret({ MANAGEMENT_TOKEN: value }, "MANAGEMENT_TOKEN"));
      expectConfigError(error, "MANAGEMENT_TOKEN", "has leading or trailing whitespace");
      expect(error.message).toContain("(value hidden)");
      expect(error.message).not.toContain(secret);
    },
  );
});

describe("readBool", () => {
  it.each([
    ["true", true],
    ["TRUE", true],
    ["True", true],
    ["1", true],
    ["yes", true],
    ["YES", true],
    [" true ", true],
    ["false", false],
    ["False", false],
    ["0", false],
    ["no", false],
    ["No", false],
  ])("%j is %s", (text, value) => {
    expect(readBool({ FLAG: text }, "FLAG", !value)).toBe(value);
  });

  it("falls back when unset or blank", () => {
    expect(readBool({}, "FLAG", true)).toBe(true);
    expect(readBool({ FLAG: " " }, "FLAG", false)).toBe(false);
  });

  it.each(["on", "off", "y", "t", "2", "enabled"])("refuses %j", (text) => {
    expectConfigError(
      configError(() => readBool({ FLAG: text }, "FLAG", true)),
      "FLAG",
      "must be true/false, 1/0 or yes/no",
    );
  });
});

describe("readInt", () => {
  it("reads plain decimal digits, falling back when unset", () => {
    expect(readInt({ N: " 42 " }, "N", 7, 1)).toBe(42);
    expect(readInt({ N: "0" }, "N", 7, 0)).toBe(0);
    expect(readInt({}, "N", 7, 1)).toBe(7);
  });

  it.each([
    ["0", 1, "must be a positive integer"],
    ["-1", 0, "must be an integer of at least 0"],
    ["1.5", 1, "positive integer"],
    ["0x10", 1, "positive integer"],
    ["1e3", 1, "positive integer"],
    ["99999999999999999999", 1, "positive integer"],
    ["4", 5, "must be an integer of at least 5"],
  ])("refuses %j with min %d", (text, min, fragment) => {
    expectConfigError(
      configError(() => readInt({ N: text }, "N", 7, min)),
      "N",
      fragment,
    );
  });
});

describe("readDuration", () => {
  it("reads Go-style durations in milliseconds, falling back when unset", () => {
    expect(readDuration({ T: "1m30s" }, "T", "5s")).toBe(90_000);
    expect(readDuration({}, "T", "5s")).toBe(5_000);
    expect(readDuration({ T: " " }, "T", "250ms")).toBe(250);
  });

  it("accepts exactly the maximum", () => {
    expect(readDuration({ T: `${MAX_TIMER_MS}ms` }, "T", "5s", MAX_TIMER_MS)).toBe(MAX_TIMER_MS);
  });

  it.each([
    ["10", "missing unit"],
    ["5 minutes", "is not a valid duration"],
    ["-1s", "negative durations are not allowed"],
    ["0", "must be greater than zero"],
    ["0s", "must be greater than zero"],
  ])("refuses %j", (text, fragment) => {
    expectConfigError(
      configError(() => readDuration({ T: text }, "T", "5s")),
      "T",
      fragment,
    );
  });

  it("refuses a fallback that is not a valid duration, naming the variable", () => {
    expectConfigError(
      configError(() => readDuration({}, "T", "soon")),
      "T",
      "is not a valid duration",
    );
  });

  it("states the maximum, in days when it is that long", () => {
    expect(configError(() => readDuration({ T: "600h" }, "T", "5s", MAX_TIMER_MS)).message).toBe(
      'T: must be at most 2147483647 ms (about 24.8 days) (got "600h")',
    );
    expect(configError(() => readDuration({ T: "2s" }, "T", "1s", 1_000)).message).toBe(
      'T: must be at most 1000 ms (got "2s")',
    );
  });
});

describe("readChoice", () => {
  const choices = ["redis", "memcached"] as const;

  it("matches in any case; undefined when unset", () => {
    expect(readChoice({ C: " Memcached " }, "C", choices)).toBe("memcached");
    expect(readChoice({ C: "REDIS" }, "C", choices)).toBe("redis");
    expect(readChoice({}, "C", choices)).toBeUndefined();
  });

  it("lists the choices when the value is none of them", () => {
    expect(configError(() => readChoice({ C: "valkey" }, "C", choices)).message).toBe(
      'C: must be one of redis, memcached (got "valkey")',
    );
  });
});

describe("readHttpUrl", () => {
  it.each(["http://management:14000", "https://10.0.0.7:15000/", "https://idp.example/realms/hugr/"])(
    "keeps %s as written",
    (url) => {
      expect(readHttpUrl({ U: url }, "U")).toBe(url);
    },
  );

  it("is undefined when unset", () => {
    expect(readHttpUrl({ U: "" }, "U")).toBeUndefined();
  });

  it.each(["management:14000", "ftp://host", "http://", "not a url"])("refuses %j", (text) => {
    expectConfigError(
      configError(() => readHttpUrl({ U: text }, "U")),
      "U",
      "must be an http:// or https:// URL",
    );
  });
});

describe("readList and readAddresses", () => {
  it("splits on commas, trimming and dropping empty entries", () => {
    expect(readList({ L: " a , ,b,, c ," }, "L")).toEqual(["a", "b", "c"]);
    expect(readList({ L: ",," }, "L")).toEqual([]);
    expect(readList({}, "L")).toEqual([]);
  });

  it("reads host:port addresses", () => {
    expect(readAddresses({ A: "redis:6379, 10.0.0.5:11211,[fd00::5]:11211" }, "A")).toEqual([
      "redis:6379",
      "10.0.0.5:11211",
      "[fd00::5]:11211",
    ]);
  });

  it.each([
    ["redis:6379,redis2", 'address "redis2" is invalid: expected "host:port"'],
    [":6379", "the host is missing"],
    ["redis:0", "the port must be from 1 to 65535"],
    ["redis://redis:6379", "is invalid"],
  ])("refuses %j", (text, fragment) => {
    expectConfigError(
      configError(() => readAddresses({ A: text }, "A")),
      "A",
      fragment,
    );
  });
});

describe("required", () => {
  it("passes a value through and names the variable when it is missing", () => {
    expect(required("X", "x", "in cluster mode")).toBe("x");
    const error = configError(() => required("X", undefined, "in cluster mode"));
    expect(error.message).toBe("X: is required in cluster mode");
    expect(error.variable).toBe("X");
  });
});

describe("splitHostPort", () => {
  it.each([
    [":15000", "", 15000],
    ["[::1]:0", "::1", 0],
    ["db.example:5432", "db.example", 5432],
  ])("splits %j", (text, host, port) => {
    expect(splitHostPort(text)).toEqual({ host, port });
  });

  it.each([
    ["15000", 'expected "host:port"'],
    ["::1:15000", "IPv6 hosts must be in brackets"],
    ["[localhost]:80", "not a valid host"],
    [":65536", "from 0 to 65535"],
  ])("describes what is wrong with %j", (text, fragment) => {
    const result = splitHostPort(text);
    expect(typeof result).toBe("string");
    expect(result).toContain(fragment);
  });
});
