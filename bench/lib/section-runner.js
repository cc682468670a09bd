// `node bench/lib/section-runner.js NAME OUT.json`: runs one benchmark section in a process of its
// own (so one section's heap and JIT state never colour another's figures) and writes its rows.
import { writeFileSync } from 'node:fs';

const [name, out] = process.argv.slice(2);
const { run } = await import(`../sections/${name}.js`);
const rows = await run();
writeFileSync(out, JSON.stringify(rows));
