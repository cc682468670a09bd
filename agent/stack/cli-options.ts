import type { Command } from 'commander';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../config.js';
import { COLLECTOR_VERSION } from '../fleet/components.js';
import { PACKAGE_ROOT } from '../version.js';
import type { StackFlags } from './options.js';

// The flags of `macos-agent stack`, declared here so agent/cli.ts only registers the command; the
// stack module loads when the command runs.

export function addStackOptions(command: Command): Command {
  return command
    .description('write the whole observability stack for K3s as numbered manifests: the OpenTelemetry Operator, Prometheus, Alertmanager, Grafana, Loki, Tempo, node and gateway collectors, auto-instrumentation and network policies')
    .requiredOption('--out <dir>', 'folder to write the manifests into (new or empty)')
    .option('--namespace <name>', 'namespace of the stack (default observability)')
    .option('--gateway-replicas <n>', 'gateway collector replicas, 1 to 50 (default 2)')
    .option('--storage-class <name>', 'StorageClass of the backends\' volumes (default: the cluster\'s default, local-path on K3s)')
    .option('--prometheus-size <size>', 'Prometheus volume (default 300Gi: the design\'s 6 nodes × 30 days)')
    .option('--loki-size <size>', 'Loki volume (default 150Gi)')
    .option('--tempo-size <size>', 'Tempo volume (default 50Gi)')
    .option('--head-sampling-percentage <percent>', 'share of traces auto-instrumented applications record (default 10)')
    .option('--sampling-percentage <percent>', 'gateway: share of the traces neither failed nor slow kept (default 10)')
    .option('--slow-trace-threshold <duration>', 'gateway: keep every trace longer than this (default 1s)')
    .option('--gateway-memory-mib <mib>', 'gateway pod memory limit; memory_limiter, GOMEMLIMIT and queues derive from it (default 2048)')
    .option('--node-memory-mib <mib>', 'node collector pod memory limit (default 512)')
    .option('--ca-file <path>', 'mTLS on every collector hop: the CA (with --cert-file and --key-file; written into a Secret)')
    .option('--cert-file <path>', 'the collectors\' certificate (server and client)')
    .option('--key-file <path>', 'its key')
    .option('--tls-secret <name>', 'instead of the files: a Secret in the namespace holding ca.crt, tls.crt and tls.key')
    .option('--bearer-token-secret <name>', 'require a bearer token on the gateway\'s OTLP receivers: a Secret with the key "token"')
    .option('--alert-webhook-url <url>', 'Alertmanager sends the alerts to this http(s) webhook (default: nowhere, they stay in Alertmanager)')
    .option('--alert-webhook-token-secret <name>', 'the webhook\'s bearer token: a Secret with the key "token", read by Alertmanager from its mount')
    .option('--mac-hosts <hosts>', 'comma-separated Mac host names: also write macs/HOST/otelcol-node.yaml for each')
    .option('--validate', 'run "otelcol-contrib validate" on the node and gateway configs when otelcol-contrib is on PATH')
    .addHelpText('after', `
Collectors run otelcol-contrib ${COLLECTOR_VERSION}, the version the pinned Operator chart ships. See docs/fleet.md.

Exit codes: 0 written (and valid, with --validate); 1 otelcol-contrib validate rejected a config;
2 invalid flags or an unusable --out (nothing is written); 3 --validate was asked but no otelcol-contrib is on PATH.`)
    .configureOutput({ outputError: () => undefined })
    .exitOverride((error) => {
      if (error.exitCode !== 0) throw new ConfigError(error.message.replace(/^error: /, ''));
    });
}

export type StackCommandFlags = StackFlags;

/**
 * The stack command from its own bundle, dist/macos-agent-stack.js (scripts/bundle.mjs): the
 * generator is never part of the file the daemon runs.
 */
export async function loadStackCommand(): Promise<typeof import('../commands/stack.js')> {
  return await import(pathToFileURL(join(PACKAGE_ROOT, 'dist', 'macos-agent-stack.js')).href) as typeof import('../commands/stack.js');
}
