// Writes the Alertmanager config a `macos-agent stack --out DIR` folder carries (the
// kube-prometheus-stack HelmChart's `alertmanager.config` value) to a file, so `npm run check` can
// run `amtool check-config` on what the current code generates. Needs the build (npm run build).
//
//   node scripts/alertmanager-config.mjs STACK_DIR OUT.alertmanager.yaml
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { KUBE_PROMETHEUS_STACK_CHART } from '../dist/agent/stack/charts.js';

const RELEASE = KUBE_PROMETHEUS_STACK_CHART.release;

const [dir, out] = process.argv.slice(2);
if (dir === undefined || out === undefined) {
  process.stderr.write('usage: node scripts/alertmanager-config.mjs STACK_DIR OUT.alertmanager.yaml\n');
  process.exit(2);
}
const charts = readdirSync(dir)
  .filter((name) => name.endsWith('.yaml'))
  // YAML 1.1, as kubectl and Helm read the manifests.
  .flatMap((name) => parseAllDocuments(readFileSync(join(dir, name), 'utf8'), { version: '1.1' }).map((doc) => doc.toJS()))
  .filter((object) => object?.kind === 'HelmChart' && object.metadata?.name === RELEASE);
if (charts.length !== 1) {
  process.stderr.write(`${dir} holds ${charts.length} HelmChart ${RELEASE} (expected one): give the folder macos-agent stack --out wrote\n`);
  process.exit(1);
}
const config = parse(charts[0].spec.valuesContent, { version: '1.1' })?.alertmanager?.config;
if (config === undefined) {
  process.stderr.write(`the HelmChart ${RELEASE} in ${dir} sets no alertmanager.config\n`);
  process.exit(1);
}
writeFileSync(out, stringify(config, { lineWidth: 0 }));
