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
  /** a field of a list item, a map value or an object option ("spawner.batch.profiles[].queue"): documented, not in the example */
  nested?: boolean;
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
      in?: AnySchema;
      valueType?: AnySchema;
    };
  };
};

function unwrap(s: AnySchema): AnySchema {
  let cur = s;
  for (;;) {
    const d = cur._zod.def;
    if (["default", "optional", "nullable", "prefault"].includes(d.type) && d.innerType) cur = d.innerType;
    // a transform (memory sizes: number or "4G" → bytes) is documented by what it accepts
    else if (d.type === "pipe" && d.in) cur = d.in;
    else return cur;
  }
}

/** {min, max}: shown as one "range" option rather than two. */
function isRange(s: AnySchema): boolean {
  const shape = unwrap(s)._zod.def.shape;
  return !!shape && Object.keys(shape).join(",") === "min,max";
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
      return unwrap(d.valueType!)._zod.def.type === "object" ? "map of name → object" : "map";
    case "object":
      return isRange(u) ? `range {min, max} of ${typeName(d.shape!.min)}` : "object";
    default:
      return d.type;
  }
}

function walk(schema: AnySchema, prefix: string, out: Option[], nested = false): void {
  const u = unwrap(schema);
  const shape = u._zod.def.shape;
  if (!shape) return;
  for (const [key, child] of Object.entries(shape)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const inner = unwrap(child);
    // An object with its own description is one option (shown as a block); one without is a section.
    if (inner._zod.def.type === "object" && !child.description && !inner.description) {
      walk(child, path, out, nested);
      continue;
    }
    const parsed = nested ? { success: false as const } : child.safeParse(undefined);
    const ownDefault = nested ? defaultOf(child) : undefined;
    out.push({
      path,
      type: typeName(child),
      default: parsed.success ? parsed.data : ownDefault,
      description: describedBy(child),
      ...(nested ? { nested } : {}),
    });
    // The fields inside an option: of each list item ("profiles[].queue"), of each named entry
    // ("clusters.<name>.scheduler"), of an object option ("logRetention.keepPerUser").
    const d = inner._zod.def;
    if (d.type === "object" && !isRange(inner)) walk(inner, path, out, true);
    else if (d.type === "array" && unwrap(d.element!)._zod.def.type === "object") walk(d.element!, `${path}[]`, out, true);
    else if (d.type === "record" && unwrap(d.valueType!)._zod.def.type === "object") walk(d.valueType!, `${path}.<name>`, out, true);
  }
}

/** The first description on the way from an option to its inner type (a wrapper or a transform may carry it). */
function describedBy(s: AnySchema): string {
  let cur: AnySchema | undefined = s;
  while (cur) {
    if (cur.description) return cur.description;
    const d: AnySchema["_zod"]["def"] = cur._zod.def;
    cur = d.innerType ?? (d.type === "pipe" ? d.in : undefined);
  }
  return "";
}

/** The default a field of a nested object has of its own (undefined when it has none). */
function defaultOf(s: AnySchema): unknown {
  let cur = s;
  while (["optional", "nullable"].includes(cur._zod.def.type) && cur._zod.def.innerType) cur = cur._zod.def.innerType;
  if (cur._zod.def.type !== "default") return undefined;
  const r = cur.safeParse(undefined);
  return r.success ? r.data : undefined;
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
    for (const o of opts) {
      const def = o.nested && o.default === undefined ? "" : `\`${fmtDefault(o.default).replace(/\|/g, "\\|")}\``;
      md += `| \`${o.path}\` | ${o.type} | ${def} | ${o.description.replace(/\|/g, "\\|").replace(/\n/g, " ")} |\n`;
    }
    md += "\n";
  }
  return md;
}

type Tree = Map<string, Tree | Option>;

export function renderExampleYaml(options: Option[]): string {
  const root: Tree = new Map();
  for (const o of options.filter((x) => !x.nested)) {
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
