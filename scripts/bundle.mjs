// Bundles the compiled agent (dist/agent/cli.js and everything it imports, node_modules included)
// into the one file the installed command and the launchd job run: dist/macos-agent.js.
//
// Why: the daemon stays resident on the Mac it watches. V8 keeps the source text of every module it
// loads, and the agent's ~340 files (comments included) cost ~3–4 MB of resident memory more than
// one whitespace-minified file, and ~0.3 ms of CPU per cycle more (bench/README.md). Identifiers are
// kept, so a log's stack trace still names its functions; dist/macos-agent.js.map maps it back to
// dist/agent/ under `node --enable-source-maps`.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Resolves every @opentelemetry package to its CommonJS build. The ES build of
 * @opentelemetry/otlp-grpc-exporter-base imports @grpc/grpc-js but also loads it, for credentials and
 * metadata, through a require() it creates at run time, which no bundler can follow: bundled, the
 * two would be separate copies, each rejecting the other's objects ("Channel credentials must be a
 * ChannelCredentials object"). The CommonJS build loads it with plain require() calls, bundled into
 * one copy; the agent's own imports go the same way, so each package is bundled once.
 */
const openTelemetryAsCommonJs = {
  name: 'opentelemetry-as-commonjs',
  setup(b) {
    b.onResolve({ filter: /^@opentelemetry\// }, (args) => {
      if (args.kind !== 'import-statement' || args.pluginData === 'commonjs') return undefined;
      return b.resolve(args.path, { kind: 'require-call', resolveDir: args.resolveDir, importer: args.importer, pluginData: 'commonjs' });
    });
  },
};

const options = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22.15',
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  legalComments: 'eof',
  logLevel: 'warning',
  // The CommonJS dependencies (pino, yaml) call require() for Node's own modules; an ES module has none.
  plugins: [openTelemetryAsCommonJs],
  // The version check runs before any dependency's top-level code, which may need Node 22 (execa
  // calls Set.prototype.union) and would otherwise fail with a TypeError that names no cause.
  banner: {
    js: [
      "import { createRequire as __macosAgentRequire } from 'node:module'; const require = __macosAgentRequire(import.meta.url);",
      "{ const [major, minor] = process.versions.node.split('.').map(Number); if (major < 22 || (major === 22 && minor < 15)) { process.stderr.write(`macos-agent needs Node.js 22.15 or later; this is ${process.version} (${process.execPath}) \\u2014 install Node.js 24 LTS, or in the project run it with npm run agent --, which brings its own\\n`); process.exit(1); } }",
    ].join('\n'),
  },
};

/**
 * Fails the build when a bundle holds a byte outside ASCII. V8 keeps a module's source text for as
 * long as the process runs, as one byte per character only if every character fits: a single em
 * dash (esbuild escapes those in code, but not in the banner) made the daemon's 2.2 MB source a
 * two-byte string, 3 MB more resident memory (bench/README.md).
 */
function assertAscii(file) {
  const bytes = readFileSync(file);
  const at = bytes.findIndex((b) => b > 0x7f);
  if (at !== -1) {
    const line = bytes.subarray(0, at).toString('latin1').split('\n').length;
    throw new Error(`${file}:${line}: a byte outside ASCII (0x${bytes[at].toString(16)}); write it as a \\u escape in scripts/bundle.mjs's banner or the source`);
  }
}

for (const [entry, outfile] of [
  [join(root, 'dist', 'agent', 'cli.js'), join(root, 'dist', 'macos-agent.js')],
  // `macos-agent stack` loads its generator from a bundle of its own, so the daemon's file (whose
  // whole source text V8 keeps resident) does not carry it.
  [join(root, 'dist', 'agent', 'commands', 'stack.js'), join(root, 'dist', 'macos-agent-stack.js')],
]) {
  await build({ ...options, entryPoints: [entry], outfile });
  assertAscii(outfile);
}
