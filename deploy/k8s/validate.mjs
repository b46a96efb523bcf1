// validate.mjs FILE...: every document of the Kubernetes manifests checked
// against the Kubernetes API's JSON schemas, as compiled for the ajv
// validator by the npm package kubernetes-models (one class per apiVersion
// and kind; validate() throws on a missing required field, a wrong type, an
// unknown enum value or a malformed quantity). An unknown apiVersion/kind
// is an error. Run by deploy/k8s/validate.sh, which installs the packages
// into the folder named by IFED_K8S_MODULES (its node_modules).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const modules = process.env.IFED_K8S_MODULES;
if (!modules) {
  console.error('validate.mjs: set IFED_K8S_MODULES to the node_modules folder');
  process.exit(2);
}
const load = (rel) => import(pathToFileURL(path.join(modules, rel)).href);
const YAML = (await load('yaml/dist/index.js')).default;

let failures = 0;
let checked = 0;
for (const file of process.argv.slice(2)) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'));
  for (const [i, doc] of docs.entries()) {
    const where = `${file}: document ${i + 1}`;
    if (doc.errors.length) {
      console.error(`${where}: YAML: ${doc.errors[0].message}`);
      failures++;
      continue;
    }
    const obj = doc.toJS();
    if (obj === null) continue;  // an empty document (a trailing ---)
    const { apiVersion, kind } = obj;
    let Model;
    try {
      Model = (await load(`kubernetes-models/${apiVersion}/index.js`))[kind];
    } catch (e) {
      Model = undefined;
    }
    if (typeof Model !== 'function') {
      console.error(`${where}: unknown apiVersion/kind ${apiVersion}/${kind}`);
      failures++;
      continue;
    }
    try {
      new Model(obj).validate();
      checked++;
      console.log(`ok   ${kind} ${obj.metadata && obj.metadata.name} (${file})`);
    } catch (e) {
      console.error(`FAIL ${kind} ${obj.metadata && obj.metadata.name} (${where}): ${e.message}`);
      failures++;
    }
  }
}
console.log(`${checked} valid, ${failures} invalid`);
process.exit(failures ? 1 : 0);
