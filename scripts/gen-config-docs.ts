// Generates docs/config.md and gyre.config.example.yaml from the zod schemas in
// config/schema.ts (the only place options are declared). `npm run docs:config`;
// scripts/gen-config-docs.test.ts fails when the committed files are stale.
import { writeFileSync } from "node:fs";
import { stringify } from "yaml";
import { z } from "zod";
import { configSchema } from "@/config/schema";

interface Option {
  path: string;
  type: string;
  default: unknown;
  description: string;
}

type AnySchema = z.ZodType & {
  _zod: {
    def: {
      type: string;
      innerType?: AnySchema;
      shape?: Record<string, AnySchema>;
      element?: AnySchema;
      options?: AnySchema[];
      entries?: Record<string, string>;
    };
  };
};

function unwrap(s: AnySchema): AnySchema {
  let cur = s;
  while (["default", "optional", "nullable", "prefault"].includes(cur._zod.def.type) && cur._zod.def.innerType) cur = cur._zod.def.innerType;
  return cur;
}

function typeName(s: AnySchema): string {
  const u = unwrap(s);
  const d = u._zod.def;
  switch (d.type) {
    case "enum":
      return Object.values(d.entries ?? {})
        .map((v) => JSON.stringify(v))
        .join(" \\| ");
    case "array":
      return `list of ${typeName(d.element!)}`;
    case "union":
      return (d.options ?? []).map(typeName).join(" or ");
    case "record":
      return "map";
    default:
      return d.type;
  }
}

function walk(schema: AnySchema, prefix: string, out: Option[]): void {
  const u = unwrap(schema);
  const shape = u._zod.def.shape;
  if (!shape) return;
  for (const [key, child] of Object.entries(shape)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const inner = unwrap(child);
    // An object with its own description is one option (shown as a block); one without is a section.
    if (inner._zod.def.type === "object" && !child.description && !inner.description) {
      walk(child, path, out);
      continue;
    }
    const parsed = child.safeParse(undefined);
    out.push({ path, type: typeName(child), default: parsed.success ? parsed.data : undefined, description: child.description ?? inner.description ?? "" });
  }
}

export function collectOptions(): Option[] {
  const out: Option[] = [];
  walk(configSchema as unknown as AnySchema, "", out);
  return out;
}

function fmtDefault(v: unknown): string {
  if (v === undefined) return "(unset)";
  const s = JSON.stringify(v);
  return s.length > 60 ? s.slice(0, 57) + "…" : s;
}

export function renderMarkdown(options: Option[]): string {
  const sections = new Map<string, Option[]>();
  for (const o of options) {
    const sec = o.path
      .split(".")
      .slice(0, o.path.startsWith("spawner.") || o.path.startsWith("auth.") ? 2 : 1)
      .join(".");
    if (!sections.has(sec)) sections.set(sec, []);
    sections.get(sec)!.push(o);
  }
  let md = "# Configuration reference\n\nGENERATED from config/schema.ts by `npm run docs:config`: do not edit.\n\n";
  md +=
    "Gyre reads `gyre.config.yaml` in the working directory (or the file named by `GYRE_CONFIG`). Every option can be overridden by an environment variable: `GYRE_` + the path in SCREAMING_SNAKE case with `__` between levels, e.g. `hub.port` → `GYRE_HUB__PORT=9000`, `spawner.local.createOsUsers` → `GYRE_SPAWNER__LOCAL__CREATE_OS_USERS=true`. Values that look like JSON (numbers, booleans, lists) are parsed as JSON. An unknown or invalid option stops hub and proxy with a message that names it.\n\n";
  for (const [sec, opts] of sections) {
    md += `## \`${sec}\`\n\n| option | type | default | description |\n|---|---|---|---|\n`;
    for (const o of opts)
      md += `| \`${o.path}\` | ${o.type} | \`${fmtDefault(o.default).replace(/\|/g, "\\|")}\` | ${o.description.replace(/\|/g, "\\|").replace(/\n/g, " ")} |\n`;
    md += "\n";
  }
  return md;
}

type Tree = Map<string, Tree | Option>;

export function renderExampleYaml(options: Option[]): string {
  const root: Tree = new Map();
  for (const o of options) {
    const parts = o.path.split(".");
    let node = root;
    for (const p of parts.slice(0, -1)) {
      if (!node.has(p)) node.set(p, new Map());
      node = node.get(p) as Tree;
    }
    node.set(parts[parts.length - 1], o);
  }
  const emit = (tree: Tree, depth: number): string => {
    const pad = "  ".repeat(depth);
    let out = "";
    for (const [key, val] of tree) {
      if (val instanceof Map) {
        // A section whose options are all unset would parse as null: comment its key out too.
        const body = emit(val, depth + 1);
        const empty = body.split("\n").every((l) => !l.trim() || l.trim().startsWith("#"));
        out += `${depth === 0 ? "\n" : ""}${pad}${empty ? "# " : ""}${key}:\n${body}`;
        continue;
      }
      out += `${pad}# ${val.description.replace(/\n/g, " ")}\n`;
      if (val.default === undefined) out += `${pad}# ${key}:\n`;
      else
        out +=
          stringify({ [key]: val.default }, { lineWidth: 0 })
            .trimEnd()
            .split("\n")
            .map((l) => pad + l)
            .join("\n") + "\n";
    }
    return out;
  };
  return (
    "# Every Gyre option with its default and help text.\n# GENERATED from config/schema.ts by `npm run docs:config`: copy to gyre.config.yaml and edit.\n" +
    emit(root, 0)
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const options = collectOptions();
  writeFileSync("docs/config.md", renderMarkdown(options));
  writeFileSync("gyre.config.example.yaml", renderExampleYaml(options));
  console.log(`wrote docs/config.md and gyre.config.example.yaml (${options.length} options)`);
}
