// Checks an IoT Edge deployment manifest against the published schema:
//   node validate.js SCHEMA MANIFEST  → exit 0 if valid, else 1 with the errors.
// Beside the schema it checks what IoT Edge itself refuses but the schema
// leaves open: createOptions must be JSON, each piece at most 512 characters.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(new URL("../browser/package.json", import.meta.url));
const Ajv = require("ajv-draft-04");

const [schemaFile, manifestFile] = process.argv.slice(2);
const schema = JSON.parse(readFileSync(schemaFile, "utf8"));
const manifest = JSON.parse(readFileSync(manifestFile, "utf8"));
const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(schema);
const problems = [];
if (!validate(manifest))
  for (const e of validate.errors) problems.push(`${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);

const agent = manifest?.modulesContent?.$edgeAgent?.["properties.desired"] ?? {};
const all = { ...(agent.systemModules ?? {}), ...(agent.modules ?? {}) };
for (const [name, m] of Object.entries(all)) {
  const settings = m.settings ?? {};
  const pieces = Object.keys(settings).filter((k) => /^createOptions\d*$/.test(k)).sort();
  for (const k of pieces)
    if (settings[k].length > 512) problems.push(`${name}.settings.${k}: longer than 512 characters`);
  const joined = pieces.map((k) => settings[k]).join("");
  if (joined) {
    try {
      JSON.parse(joined);
    } catch (e) {
      problems.push(`${name}.settings.createOptions: not JSON once joined (${e.message})`);
    }
  }
}
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`${manifestFile}: valid against ${schema.id}`);
