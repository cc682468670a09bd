import { hostname, arch, cpus } from 'node:os';
import type { Attributes } from './metrics/catalog.js';
import type { AgentConfig } from './config.js';
import { VERSION } from './version.js';

/** Maps Node's arch names to the semantic conventions' host.arch values. */
const HOST_ARCH: Record<string, string> = { arm64: 'arm64', x64: 'amd64', arm: 'arm32', ia32: 'x86', ppc64: 'ppc64', s390x: 's390x' };

/** Parses `k=v,k2=v2` (OTEL_RESOURCE_ATTRIBUTES), percent-decoding values as the spec says. */
export function parseResourceAttributes(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const i = pair.indexOf('=');
    if (i <= 0) continue;
    const key = pair.slice(0, i).trim();
    const raw = pair.slice(i + 1).trim();
    try {
      out[key] = decodeURIComponent(raw);
    } catch {
      out[key] = raw;
    }
  }
  return out;
}

/** The resource attributes that need no command: enough for `--once`. */
export function basicResource(config: AgentConfig): Attributes {
  return {
    'service.name': config.resource.service_name,
    'service.version': VERSION,
    'host.name': hostname(),
    'host.arch': HOST_ARCH[arch()] ?? arch(),
    ...(cpus()[0]?.model ? { 'host.cpu.model.name': cpus()[0]!.model.trim() } : {}),
    'os.type': process.platform === 'darwin' ? 'darwin' : process.platform,
    ...parseResourceAttributes(config.resource.attributes),
  };
}
