// Reads the deployment files as Kubernetes and Docker read them: the YAML
// documents of k8s-cronjob.yaml, the stages of the Dockerfile, and the
// command line and environment a container of the CronJob's pod gets.
import fs from "node:fs";
import path from "node:path";

import ts from "typescript";
import { parseAllDocuments } from "yaml";

import { BIN, ROOT } from "./cli";

export const MANIFEST = path.join(ROOT, "k8s-cronjob.yaml");
export const DOCKERFILE = path.join(ROOT, "Dockerfile");

// Only the fields the tests read; the schema is checked by kubernetes-models.
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
  };
}
export interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  volumeMounts?: { name: string; mountPath: string }[];
  securityContext?: Record<string, unknown>;
}
export interface PodSpec {
  initContainers?: Container[];
  containers: Container[];
  securityContext?: { runAsUser?: number };
  volumes?: { name: string; configMap?: { name: string } }[];
}
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: { jobTemplate: { spec: { template: { spec: PodSpec } } } };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

/** Every document of a multi-document YAML file; YAML errors throw. */
export function readManifests(file = MANIFEST): Manifest[] {
  const documents = parseAllDocuments(fs.readFileSync(file, "utf8"));
  return documents.map((document) => {
    const problem = document.errors[0] ?? document.warnings[0];
    if (problem) throw problem;
    return document.toJS() as Manifest;
  });
}

export function find(manifests: Manifest[], kind: string, name?: string) {
  const found = manifests.find(
    (doc) => doc.kind === kind && (!name || doc.metadata.name === name),
  );
  if (!found) throw new Error(`no ${kind} ${name ?? ""} in the manifest`);
  return found;
}

export function podSpec(cronJob: Manifest): PodSpec {
  const spec = cronJob.spec?.jobTemplate.spec.template.spec;
  if (!spec) throw new Error(`${cronJob.metadata.name} has no pod template`);
  return spec;
}

const typeModules: Record<string, [string, string]> = {
  "v1 Secret": ["kubernetes-models/v1", "ISecret"],
  "v1 ConfigMap": ["kubernetes-models/v1", "IConfigMap"],
  "batch/v1 CronJob": ["kubernetes-models/batch/v1", "ICronJob"],
};

let lastProgram: ts.Program | undefined;

/**
 * Type-checks documents as object literals of kubernetes-models' interfaces.
 * Its schema validator lets unknown fields through, as JSON Schema does by
 * default; TypeScript's excess property check names them, so a misspelt
 * `readOnlyRootFilesystem` cannot pass unnoticed. Returns the messages.
 */
export function typeErrors(manifests: Manifest[]): string[] {
  const file = path.join(ROOT, "test", "manifest-types.generated.ts");
  const source = manifests
    .map((doc, index) => {
      const entry = typeModules[`${doc.apiVersion} ${doc.kind}`];
      if (!entry) return `export const doc${index}: never = "${doc.kind}";`;
      const [module, type] = entry;
      return [
        `import type { ${type} as T${index} } from "${module}";`,
        `export const doc${index}: T${index} = ${JSON.stringify(doc)};`,
      ].join("\n");
    })
    .join("\n");

  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    lib: ["lib.es5.d.ts"],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) =>
    name === file ? source : readFile.call(host, name);
  host.getSourceFile = (name, language, ...rest) =>
    name === file
      ? ts.createSourceFile(name, source, language)
      : getSourceFile.call(host, name, language, ...rest);

  // The declarations stay the same from one check to the next.
  const program = ts.createProgram([file], options, host, lastProgram);
  lastProgram = program;
  return ts
    .getPreEmitDiagnostics(program, program.getSourceFile(file))
    .map((diagnostic) =>
      ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"),
    );
}

export interface Instruction {
  keyword: string;
  args: string;
}
export interface Stage {
  name: string | null;
  instructions: Instruction[];
}

/** The Dockerfile's build stages, each a list of its instructions. */
export function readDockerfile(file = DOCKERFILE): Stage[] {
  const lines = fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => !/^\s*#/.test(line))
    .join("\n")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);

  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword = "", args = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args };
    if (instruction.keyword === "FROM") {
      const name = /\sAS\s+(\S+)$/i.exec(args)?.[1] ?? null;
      stages.push({ name, instructions: [] });
    }
    // ARGs before the first FROM belong to no stage.
    stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

export function instructions(stage: Stage, keyword: string): string[] {
  return stage.instructions
    .filter((instruction) => instruction.keyword === keyword)
    .map((instruction) => instruction.args);
}

/** The exec-form ENTRYPOINT of the image (its last stage). */
export function entrypoint(stages: Stage[]): string[] {
  const image = stages.at(-1);
  const value = image ? instructions(image, "ENTRYPOINT").at(-1) : undefined;
  const argv: unknown = value ? JSON.parse(value) : undefined;
  if (!Array.isArray(argv) || !argv.every((arg) => typeof arg === "string")) {
    throw new Error(`ENTRYPOINT ${value} is not a JSON array of strings`);
  }
  return argv;
}

/** The image's working directory: the repository's layout lives there. */
export function imageRoot(stages: Stage[]): string {
  const image = stages.at(-1);
  const workdir = image ? instructions(image, "WORKDIR").at(-1) : undefined;
  if (!workdir) throw new Error("the image stage sets no WORKDIR");
  return workdir;
}

/**
 * A container's command line as Kubernetes builds it: `command` replaces the
 * image's ENTRYPOINT and `args` its CMD.
 */
export function commandLine(container: Container, stages: Stage[]): string[] {
  return [
    ...(container.command ?? entrypoint(stages)),
    ...(container.args ?? []),
  ];
}

export interface PodContext {
  podName: string;
  jobName: string;
  /** Values of `secretKeyRef`s, by `<secret>/<key>`. */
  secrets: Record<string, string>;
  /** ConfigMaps by name, written out where their volumes are mounted. */
  configMaps: Record<string, Manifest>;
  /** A temp folder that stands for the container's root filesystem. */
  root: string;
}

/**
 * The environment a container gets: literal values, Secret keys and the
 * downward API fields, with paths under a ConfigMap volume's mount moved
 * into `context.root`, where the ConfigMap's files are written. A variable
 * of any other kind throws, so a new one in the manifest needs a look here.
 */
export function containerEnv(
  container: Container,
  pod: PodSpec,
  context: PodContext,
): Record<string, string> {
  const mounts = (container.volumeMounts ?? []).flatMap((mount) => {
    const volume = pod.volumes?.find(({ name }) => name === mount.name);
    const configMap = volume?.configMap
      ? context.configMaps[volume.configMap.name]
      : undefined;
    if (!configMap) return [];
    const dir = path.join(context.root, mount.mountPath);
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(configMap.data ?? {})) {
      fs.writeFileSync(path.join(dir, name), text);
    }
    return [{ mountPath: mount.mountPath, dir }];
  });
  const fields: Record<string, string> = {
    "metadata.name": context.podName,
    "metadata.labels['batch.kubernetes.io/job-name']": context.jobName,
  };

  const env: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    const { secretKeyRef, fieldRef } = variable.valueFrom ?? {};
    let value: string | undefined;
    if (variable.value !== undefined) {
      const mount = mounts.find(({ mountPath }) =>
        variable.value?.startsWith(`${mountPath}/`),
      );
      value = mount
        ? path.join(mount.dir, variable.value.slice(mount.mountPath.length))
        : variable.value;
    } else if (secretKeyRef) {
      value = context.secrets[`${secretKeyRef.name}/${secretKeyRef.key}`];
    } else if (fieldRef) {
      value = fields[fieldRef.fieldPath];
    }
    if (value === undefined) {
      throw new Error(
        `no test value for ${container.name} env ${variable.name}`,
      );
    }
    env[variable.name] = value;
  }
  return env;
}

/**
 * The arguments to batchctl in an image command line, which must run the
 * built CLI: `node` there is this Node.js, and paths under the image's
 * working directory are the repository's, so `runCli` can run them here.
 */
export function batchctlArgs(argv: string[], workdir: string): string[] {
  const local = argv.map((arg) =>
    arg.startsWith(`${workdir}/`)
      ? path.join(ROOT, arg.slice(workdir.length + 1))
      : arg,
  );
  const [first, ...rest] = local;
  if (first === "node" && rest[0] === BIN) return rest.slice(1);
  if (first === BIN) return rest;
  throw new Error(`${argv.join(" ")} does not run ${workdir}/bin/batchctl`);
}
