// Builds the front-end assets into src/kam/static/vendor from node_modules (no CDN at run time).
import { build } from "esbuild";
import { cpSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "src/kam/static/vendor");
mkdirSync(out, { recursive: true });

const copies = [
  ["node_modules/bootstrap/dist/css/bootstrap.min.css", "bootstrap.min.css"],
  ["node_modules/bootstrap/dist/js/bootstrap.bundle.min.js", "bootstrap.bundle.min.js"],
  ["node_modules/bootstrap-icons/font/bootstrap-icons.min.css", "bootstrap-icons.min.css"],
  ["node_modules/bootstrap-icons/font/fonts", "fonts"],
  ["node_modules/htmx.org/dist/htmx.min.js", "htmx.min.js"],
  ["node_modules/echarts/dist/echarts.min.js", "echarts.min.js"],
  // The process designer (bpmn-js, with its bpmn.io watermark kept) and viewer.
  ["node_modules/bpmn-js/dist/bpmn-modeler.production.min.js", "bpmn-js/bpmn-modeler.production.min.js"],
  ["node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js", "bpmn-js/bpmn-navigated-viewer.production.min.js"],
  ["node_modules/bpmn-js/dist/assets", "bpmn-js/assets"],
];
for (const [from, to] of copies) {
  const src = join(root, from);
  if (!existsSync(src)) throw new Error(`missing ${from}: run npm ci`);
  cpSync(src, join(out, to), { recursive: true });
}

// Optional extra bundles (e.g. the process designer) register themselves here.
const entries = [];
for (const e of [["src/kam/static/js/app.js", "app.js"]]) {
  if (existsSync(join(root, e[0]))) entries.push(e);
}
for (const [entry, outfile] of entries) {
  await build({ entryPoints: [join(root, entry)], bundle: true, minify: true, outfile: join(out, outfile),
    format: "iife", target: ["chrome100"], logLevel: "warning" });
}
console.log("assets built in src/kam/static/vendor");
