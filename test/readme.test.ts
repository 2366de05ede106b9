// The README prints the example tasks; test/examples.test.ts runs the
// files. This keeps the two the same, so what is printed is what is run.
import fs from "node:fs";
import path from "node:path";

import { expect, test } from "vitest";

const ROOT = path.resolve(__dirname, "..");
const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

test.each([
  "examples/tasks/batchctl.config.yaml",
  "examples/tasks/purge-sessions.ts",
  "examples/tasks/schema.sql",
  "examples/inline/batchctl.config.ts",
])("the README prints %s as it is", (file) => {
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  expect(readme).toMatch(new RegExp("```\\w*\\n" + escape(text) + "```"));
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
