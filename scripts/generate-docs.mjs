// Writes docs/metrics.md from the compiled metric catalog (run through `npm run docs`).
import { writeFileSync } from 'node:fs';
import { renderMetricsDoc } from '../dist/agent/metrics/docs.js';

writeFileSync(new URL('../docs/metrics.md', import.meta.url), renderMetricsDoc());
