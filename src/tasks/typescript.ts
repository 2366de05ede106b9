/**
 * Loads TypeScript task modules. Each .ts file is compiled to CommonJS on
 * require by the project's own `typescript` package (the one cosmiconfig
 * uses for a batchctl.config.ts), one file at a time and without type
 * checking, so a task may import the app's other .ts files by their
 * extensionless paths. Run `tsc` for type errors.
 */
import fs from "node:fs";
import { createRequire } from "node:module";

import { BatchctlError } from "../errors";

type TypeScript = typeof import("typescript");

const extensions = [".ts", ".cts", ".mts"];
let registered = false;

export function isTypeScript(file: string): boolean {
  return extensions.some((extension) => file.endsWith(extension));
}

/** Requires a .ts file, teaching require to compile .ts files first. */
export function requireTypeScript(file: string): unknown {
  if (!registered) {
    const ts = loadCompiler(file);
    const compile = (module: NodeJS.Module, filename: string) => {
      const source = fs.readFileSync(filename, "utf8");
      const { outputText } = ts.transpileModule(source, {
        fileName: filename,
        compilerOptions: {
          module: ts.ModuleKind.CommonJS,
          target: ts.ScriptTarget.ES2022,
          esModuleInterop: true,
          inlineSourceMap: true,
        },
      });
      (
        module as unknown as { _compile(code: string, file: string): void }
      )._compile(outputText, filename);
    };
    for (const extension of extensions) require.extensions[extension] = compile;
    registered = true;
  }
  return createRequire(file)(file);
}

/** The project's typescript first, then the one installed beside batchctl. */
function loadCompiler(file: string): TypeScript {
  for (const from of [file, __filename]) {
    try {
      return createRequire(from)("typescript") as TypeScript;
    } catch {
      // Not installed there; try the next place.
    }
  }
  throw new BatchctlError(
    "config",
    `${file} is TypeScript, and loading it needs the typescript package`,
    {
      hint: "npm install --save-dev typescript, or compile the task to JavaScript",
    },
  );
}
