// Real captures for the benchmark come from test/fixtures/** (copied there with their provenance
// in test/fixtures/SOURCES.md); a capture is found by its file name wherever it sits in that tree.
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { REPO } from './paths.js';

const FIXTURES = join(REPO, 'test', 'fixtures');

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

let index;

/** The path of the capture named `name` under test/fixtures, or undefined. */
export function findFixture(name) {
  index ??= new Map([...walk(FIXTURES)].map((p) => [basename(p), p]));
  return index.get(name);
}

/** Like findFixture, but says which capture is missing and where it should come from. */
export function requireFixture(name) {
  const path = findFixture(name);
  if (path === undefined) throw new Error(`capture ${name} is not under test/fixtures — copy it in with its provenance line in test/fixtures/SOURCES.md`);
  return path;
}
