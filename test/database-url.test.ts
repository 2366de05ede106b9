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

  test("a password in the query string is masked too", () => {
    const target = parseDatabase(
      "postgres://app@db:5432/app?sslmode=disable&password=Sup3rS3cret",
      "/",
    );
    expect(target.display).toBe(
      "postgres://app@db:5432/app?sslmode=disable&password=****",
    );
    expect(redact("connect failed: password=Sup3rS3cret")).toBe(
      "connect failed: password=****",
    );
  });

  test("a short password is masked as a password, not wherever it appears", () => {
    parseDatabase("postgres://app:1@db:5432/app", "/");
    expect(redact("run 1 of 2026-12-01 at postgres://app:1@db:5432/app")).toBe(
      "run 1 of 2026-12-01 at postgres://app:****@db:5432/app",
    );
    expect(redact("other postgres://u:x@h/db?password=1")).toBe(
      "other postgres://u:****@h/db?password=****",
    );
  });

  test.each([
    "postgres:/app:Sup3rS3cret@db:5432/app",
    "postgres//app:Sup3rS3cret@db:5432/app",
    " postgres://app:Sup3rS3cret@db:5432/app",
    "postgresql:app",
  ])("%j is a config error that does not show it", (value) => {
    expect(() => parseDatabase(value, "/")).toThrow(
      "the database URL is neither a postgres:// URL nor a SQLite path",
    );
  });

  test("a SQLite file may be named after the database", () => {
    expect(parseDatabase("postgres.sqlite", "/srv")).toMatchObject({
      dialect: "sqlite",
      file: "/srv/postgres.sqlite",
    });
  });

  test("an unsupported scheme is a config error naming it", () => {
    expect(() => parseDatabase("mysql://root@localhost/test", "/")).toThrow(
      "database URLs of type mysql:// are not supported",
    );
  });
});
