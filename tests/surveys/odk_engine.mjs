// Load an XForm in ODK's own form engine (@getodk/xforms-engine, the engine of ODK Web
// Forms), set answers, and print what the engine says of each: null when it accepts the
// answer, else its constraint message. Usage: node odk_engine.mjs form.xml answers.json,
// where answers.json is [["age", "5"], ["age", "34"], ...]; prints a JSON list.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

// The engine is built for browsers: its XPath parser's loader wants CommonJS globals and
// the engine a DOM, which jsdom provides.
const entry = fileURLToPath(import.meta.resolve("@getodk/xforms-engine"));
globalThis.__dirname = dirname(entry);
globalThis.__filename = entry;
globalThis.require = createRequire(entry);
const { JSDOM } = await import("jsdom");
const { window } = new JSDOM("");
for (const name of ["DOMParser", "XMLSerializer", "Node", "Element", "Document", "XPathResult", "NodeFilter", "document"]) {
  globalThis[name] = window[name];
}
const { createInstance } = await import("@getodk/xforms-engine");

const form = await createInstance(readFileSync(process.argv[2], "utf8"), {
  instance: { stateFactory: (object) => object },
});

function find(node, name) {
  if (node.currentState?.reference?.endsWith("/" + name) && node.validationState) return node;
  for (const child of node.currentState?.children ?? []) {
    const found = find(child, name);
    if (found) return found;
  }
  return null;
}

const said = [];
for (const [name, value] of JSON.parse(readFileSync(process.argv[3], "utf8"))) {
  const node = find(form.root, name);
  if (!node) throw new Error(`no question ${name} in the form`);
  if (node.nodeType === "select") node.selectValues(Array.isArray(value) ? value : [value]);
  else node.setValue(value);
  const violation = node.validationState.violation;
  said.push(violation ? violation.message?.asString ?? violation.condition : null);
}
console.log(JSON.stringify(said));
