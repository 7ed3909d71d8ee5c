// Fill an XForm with ODK's own form engine (@getodk/xforms-engine), as a tablet would.
//
// Reads JSON on stdin: {"xform": "<h:html ...>", "language": "Russian (ru)" or null,
// "interviews": [{"age": 34, "region": "almaty_city", "impress": ["goods", "cuisine"]}, ...]}.
// For each interview a new instance of the form is created and each answer entered into
// the question of that name when the form shows it (the engine evaluates skip logic as
// answers go in). Writes a JSON list on stdout, one entry per interview: the payload's
// status ("ready" when no constraint or required answer is violated), the violations
// (node paths), the languages, the answers whose questions stayed hidden, and the
// instance XML the engine would send as `xml_submission_file`. A roster's answer is a list
// of entries, each answers by name: the engine makes as many entries and fills each.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

// The engine parses XML with the DOM's own parser; Node has none, jsdom provides it.
const { window } = new JSDOM('');
for (const name of ['DOMParser', 'XMLSerializer', 'Node', 'Element', 'Document', 'XMLDocument', 'Attr', 'Text', 'NodeFilter', 'document']) {
  if (!(name in globalThis)) globalThis[name] = window[name];
}
// Its XPath parser (tree-sitter, compiled to WebAssembly) asks where its script lives.
globalThis.__dirname = process.cwd();
const { createInstance } = await import('@getodk/xforms-engine');

const input = JSON.parse(readFileSync(0, 'utf8'));
const nameOf = (node) => node.definition.nodeset.split('/').pop();

async function interview(answers) {
  const { root } = await createInstance(input.xform, {
    instance: { preloadProperties: { deviceID: 'odk-engine-test' } },
  });
  if (input.language) {
    const language = root.languages.find((l) => l.language === input.language);
    if (!language) throw new Error(`no language ${input.language}`);
    root.setLanguage(language);
  }
  const hidden = [];
  const fill = (node, answers) => {
    for (const child of node.currentState.children ?? []) {
      const name = nameOf(child);
      if (!child.currentState.relevant) {
        if (name in answers) hidden.push(name);
        continue;
      }
      if (child.nodeType === 'group') {
        fill(child, answers);
      } else if (child.nodeType === 'repeat-range:uncontrolled') {
        // A roster: as many entries as the interview lists, each filled in turn.
        const entries = answers[name] ?? [];
        while (child.currentState.children.length < entries.length) child.addInstances();
        const extra = child.currentState.children.length - entries.length;
        if (extra > 0) child.removeInstances(entries.length, extra);
        child.currentState.children.forEach((entry, i) => fill(entry, entries[i]));
      } else if (name in answers) {
        const value = answers[name];
        if (child.nodeType === 'select') {
          if (Array.isArray(value)) child.selectValues(value.map(String));
          else child.selectValue(String(value));
        } else if (child.nodeType === 'input') {
          child.setValue(typeof value === 'number' ? value : String(value));
        } else {
          throw new Error(`${name} is a ${child.nodeType}, which this client does not fill`);
        }
      }
    }
  };
  fill(root, answers);
  const payload = await root.prepareInstancePayload();
  const file = payload.data[0].get('xml_submission_file');
  return {
    status: payload.status,
    violations: (payload.violations ?? []).map((v) => v.nodeId ?? v.reference ?? String(v)),
    languages: root.languages.map((l) => l.language),
    hidden,
    xml: await file.text(),
  };
}

const results = [];
for (const answers of input.interviews) results.push(await interview(answers));
process.stdout.write(JSON.stringify(results));
