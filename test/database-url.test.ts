import path from "node:path";

import { describe, expect, test } from "vitest";

import { parseDatabase } from "../src/db/url";
import { redact } from "../src/redact";

describe("parseDatabase", () => {
  test("no database means batchctl.sqlite in the working directory", () => {
    expect(parseDatabase(undefined, "/etc/batchctl")).toMatchObject({
      dialect: "sqlite",
      file: path.resolve("batchctl.sqlite"),
    });
  });

  test.each([
    ["sqlite:data/app.db", "/srv/app/data/app.db"],
    ["sqlite:///var/lib/app.db", "/var/lib/app.db"],
    ["file:app.db", "/srv/app/app.db"],
    ["app.sqlite", "/srv/app/app.sqlite"],
    ["/abs/app.sqlite", "/abs/app.sqlite"],
  ])("%s is a SQLite file", (value, file) => {
    expect(parseDatabase(value, "/srv/app")).toMatchObject({
      dialect: "sqlite",
      file,
    });
  });

  test("a PostgreSQL URL is shown with its password masked", () => {
    const target = parseDatabase(
      "postgres://app:p%40ss%3Aw%2Frd@db:5432/app",
      "/",
    );
    expect(target).toMatchObject({
      dialect: "postgres",
      display: "postgres://app:****@db:5432/app",
    });
    expect(redact("login failed for p@ss:w/rd and p%40ss%3Aw%2Frd")).toBe(
      "login failed for **** and ****",
    );
  });

  test("an unsupported scheme is a config error naming it", () => {
    expect(() => parseDatabase("mysql://root@localhost/test", "/")).toThrow(
      "database URLs of type mysql:// are not supported",
    );
  });
});
