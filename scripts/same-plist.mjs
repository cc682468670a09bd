// Exits 0 when two property list files hold the same values (as the `plist` package reads them),
// else 1 naming the first top-level key that differs: `npm run check` compares a launchd plist with
// its round trip through libplist.
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'plist';

const [expectedFile, actualFile] = process.argv.slice(2);
if (expectedFile === undefined || actualFile === undefined) {
  process.stderr.write('usage: node scripts/same-plist.mjs EXPECTED.plist ACTUAL.plist\n');
  process.exit(2);
}
const expected = parse(readFileSync(expectedFile, 'utf8'));
const actual = parse(readFileSync(actualFile, 'utf8'));
if (!isDeepStrictEqual(expected, actual)) {
  const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
  const differs = [...keys].find((k) => !isDeepStrictEqual(expected[k], actual[k]));
  process.stderr.write(`${actualFile} differs from ${expectedFile} at ${differs}: ${JSON.stringify(expected[differs])} became ${JSON.stringify(actual[differs])}\n`);
  process.exit(1);
}
process.stdout.write(`${actualFile}: the same values as ${expectedFile}\n`);
