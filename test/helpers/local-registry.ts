import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface LocalRegistry {
  /** The registry URL, on 127.0.0.1. */
  readonly url: string;
  /** The paths npm asked for, in order. */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

interface LockEntry {
  readonly version: string;
  readonly integrity?: string;
  readonly dev?: boolean;
  readonly link?: boolean;
  readonly [field: string]: unknown;
}

/** What npm reads of a version in a packument, besides `dist`, as package-lock.json records it. */
const MANIFEST_FIELDS = ['dependencies', 'optionalDependencies', 'peerDependencies', 'peerDependenciesMeta', 'bin', 'engines', 'os', 'cpu', 'license'];

/** Where cacache keeps the bytes of a sha512 integrity (`npm config get cache`/_cacache/content-v2/...). */
function cachedTarball(cacheDir: string, integrity: string): string {
  const hex = Buffer.from(integrity.replace(/^sha512-/, ''), 'base64').toString('hex');
  return join(cacheDir, '_cacache', 'content-v2', 'sha512', hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
}

/**
 * An npm registry on 127.0.0.1 serving the production dependencies package-lock.json pins, from
 * the npm cache that `npm install` filled: a test can install the packed package as a user would,
 * with no network. Throws, naming the package, when the cache lacks one.
 */
export async function startLocalRegistry(opts: { readonly lockfile: string; readonly cacheDir: string }): Promise<LocalRegistry> {
  const lock = JSON.parse(readFileSync(opts.lockfile, 'utf8')) as { packages: Record<string, LockEntry> };
  const packuments = new Map<string, { name: string; 'dist-tags': { latest: string }; versions: Record<string, unknown> }>();
  const tarballs = new Map<string, string>();
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    requests.push(path);
    const tarball = tarballs.get(path);
    const packument = packuments.get(path.slice(1));
    if (tarball !== undefined) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(tarball));
    } else if (packument !== undefined) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(packument));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `${path}: not a production dependency in package-lock.json` }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path.includes('node_modules/') || entry.dev === true || entry.link === true || entry.integrity === undefined) continue;
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const file = cachedTarball(opts.cacheDir, entry.integrity);
    if (!existsSync(file)) {
      server.close();
      throw new Error(`${name}@${entry.version} is not in the npm cache (${opts.cacheDir}): run npm install first`);
    }
    const tarballPath = `/-/${Buffer.from(entry.integrity).toString('base64url')}.tgz`;
    tarballs.set(tarballPath, file);
    const packument = packuments.get(name) ?? { name, 'dist-tags': { latest: entry.version }, versions: {} };
    const manifest = Object.fromEntries(MANIFEST_FIELDS.filter((f) => entry[f] !== undefined).map((f) => [f, entry[f]]));
    packument.versions[entry.version] = { name, version: entry.version, ...manifest, dist: { integrity: entry.integrity, tarball: `${url}${tarballPath.slice(1)}` } };
    packuments.set(name, packument);
  }
  return {
    url,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
