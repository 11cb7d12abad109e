// What holds a V8 heap snapshot (.heapsnapshot, as bench/hub-bench.ts writes with BENCH_HEAP_DIR or
// Chrome's DevTools saves): self size by kind of object, the JavaScript source texts and the
// functions compiled from them (SharedFunctionInfo and bytecode) by package, and the largest
// kinds of plain objects by constructor. Sizes in MB of the snapshot's self sizes (they add up to
// the live heap).
// Run: tsx bench/heap-summary.ts <file.heapsnapshot> [top]
import { readFileSync } from "node:fs";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const file = process.argv[2];
if (!file) throw new Error("usage: tsx bench/heap-summary.ts <file.heapsnapshot> [top]");
const TOP = Number(process.argv[3] ?? 15);
const snap = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
const { meta } = snap.snapshot;
const NF = meta.node_fields.length;
const EF = meta.edge_fields.length;
const [TYPE, NAME, SIZE, EDGES] = ["type", "name", "self_size", "edge_count"].map((f) => meta.node_fields.indexOf(f));
const [E_TYPE, E_NAME, E_TO] = ["type", "name_or_index", "to_node"].map((f) => meta.edge_fields.indexOf(f));
const nodeTypes = meta.node_types[0];
const edgeTypes = meta.edge_types[0];
const { nodes, edges, strings } = snap;
const count = nodes.length / NF;

// first edge of each node
const firstEdge = new Uint32Array(count + 1);
for (let i = 0, e = 0; i < count; i++) {
  firstEdge[i] = e;
  e += nodes[i * NF + EDGES] * EF;
}
firstEdge[count] = edges.length;

const typeOf = (i: number) => nodeTypes[nodes[i * NF + TYPE]];
const nameOf = (i: number) => strings[nodes[i * NF + NAME]];
const sizeOf = (i: number) => nodes[i * NF + SIZE];
/** the node an edge named `name` of node i points to, or -1 */
function edgeTo(i: number, name: string): number {
  for (let e = firstEdge[i]; e < firstEdge[i + 1]; e += EF) {
    const t = edgeTypes[edges[e + E_TYPE]];
    if ((t === "internal" || t === "property" || t === "context") && strings[edges[e + E_NAME]] === name) return edges[e + E_TO] / NF;
  }
  return -1;
}
const MB = (b: number) => (b / 2 ** 20).toFixed(1);

/** the package (or repo folder, or node's own code) a script URL belongs to */
function packageOf(url: string): string {
  if (!url) return "(no script)";
  if (url.startsWith("node:")) return "node (built-in JS)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.includes("/.next/")) return "next (build output .next/)";
  if (url.includes("/dist/hub/")) return "gyre (dist/hub bundle)";
  return url.replace(/^file:\/\//, "");
}

let total = 0;
const byType = new Map<string, number>();
const objects = new Map<string, { size: number; n: number }>();
for (let i = 0; i < count; i++) {
  const size = sizeOf(i);
  total += size;
  const t = typeOf(i);
  byType.set(t, (byType.get(t) ?? 0) + size);
  if (t === "object" || t === "array" || t === "closure") {
    const k = `${t} ${nameOf(i)}`;
    const o = objects.get(k) ?? { size: 0, n: 0 };
    o.size += size;
    o.n++;
    objects.set(k, o);
  }
}

// Scripts: their source text, and the code of the functions compiled from them.
const sourceBy = new Map<string, number>();
const codeBy = new Map<string, number>();
const scriptUrl = new Map<number, string>();
// a Script is a "code" node named by its URL with a "source" edge to its text
for (let i = 0; i < count; i++) {
  if (typeOf(i) !== "code") continue;
  const source = edgeTo(i, "source");
  if (source < 0 || !typeOf(source).includes("string")) continue;
  const url = nameOf(i);
  scriptUrl.set(i, url);
  sourceBy.set(packageOf(url), (sourceBy.get(packageOf(url)) ?? 0) + sizeOf(source));
}
const counted = new Set<number>();
for (let i = 0; i < count; i++) {
  if (typeOf(i) !== "code" || scriptUrl.has(i)) continue;
  // a SharedFunctionInfo points to its script
  const script = edgeTo(i, "script_or_debug_info");
  if (script < 0 || !scriptUrl.has(script)) continue;
  // with its bytecode (or the data to compile it lazily), counted once
  let size = sizeOf(i);
  const data = edgeTo(i, "function_data");
  if (data >= 0 && typeOf(data) === "code" && !counted.has(data)) {
    counted.add(data);
    size += sizeOf(data);
  }
  const pkg = packageOf(scriptUrl.get(script)!);
  codeBy.set(pkg, (codeBy.get(pkg) ?? 0) + size);
}

const table = (m: Map<string, number>) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP)
    .map(([k, v]) => `  ${MB(v).padStart(6)}  ${k}`)
    .join("\n");
const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

console.log(`${file}: ${MB(total)} MB in ${count} objects`);
console.log(`by kind:\n${table(byType)}`);
console.log(`JavaScript source text by package (${MB(sum(sourceBy))} MB):\n${table(sourceBy)}`);
console.log(`functions (SharedFunctionInfo and bytecode) by package (${MB(sum(codeBy))} MB):\n${table(codeBy)}`);
console.log(
  `largest objects, arrays and closures by constructor:\n${[...objects]
    .sort((a, b) => b[1].size - a[1].size)
    .slice(0, TOP)
    .map(([k, o]) => `  ${MB(o.size).padStart(6)}  ${k.slice(0, 80)} ×${o.n}`)
    .join("\n")}`,
);
