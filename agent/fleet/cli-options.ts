import type { Command } from 'commander';
import { ConfigError } from '../config.js';
import { MIN_COLLECTOR_VERSION } from './components.js';
import type { CollectorFlags } from './options.js';

// The flags of `macos-agent collector-config`, declared here so agent/cli.ts only registers the
// command; the builders load when the command runs.

export const EXIT_VALIDATION_FAILED = 1;
export const EXIT_BAD_FLAGS = 2;
export const EXIT_NO_VALIDATOR = 3;

export function addCollectorConfigOptions(command: Command): Command {
  return command
    .description('generate the rest of the stack: OpenTelemetry Collector configs (node on each Mac, gateway for the fleet), a Grafana dashboard and Prometheus alert rules')
    .option('--role <role>', 'node (on each Mac: OTLP in, persistent queue, out to the gateway) or gateway (tail sampling, out to Prometheus, Loki and Tempo)')
    .option('--format <format>', 'collector (plain otelcol YAML) or operator (an OpenTelemetry Operator OpenTelemetryCollector resource)', 'collector')
    .option('--out <dir>', 'write the files into DIR instead of printing to stdout')
    .option('--validate', `run "otelcol-contrib validate" on the generated config when otelcol-contrib is on PATH`)
    .option('--dashboard', 'the Grafana dashboard JSON for a fleet of Macs')
    .option('--alerts', 'the Prometheus alert rules file')
    .option('--gateway <endpoint>', 'node: where to send, a tier that routes traces by trace ID (the cluster\'s node collector on its node port), host:port (plaintext unless --gateway-* TLS files) or http(s)://host:port; with --format operator the gateway Service as NAME.NAMESPACE:PORT, traces going to its headless Service')
    .option('--gateway-ca-file <path>', 'node: CA that signed the gateway\'s certificate')
    .option('--gateway-cert-file <path>', 'node: client certificate presented to the gateway (mTLS)')
    .option('--gateway-key-file <path>', 'node: key of --gateway-cert-file')
    .option('--storage-dir <path>', 'node: folder of the persistent export queue (default /opt/homebrew/var/lib/otelcol-contrib/queue; /var/lib/otelcol/queue with --format operator)')
    .option('--hostmetrics', 'node: also collect network and filesystem metrics, which macos-agent does not')
    .option('--prometheus-url <url>', 'gateway: Prometheus remote-write URL, e.g. http://prometheus:9090/api/v1/write (required)')
    .option('--loki-url <url>', 'gateway: Loki base URL, e.g. http://loki:3100 (logs go to its native OTLP endpoint, /otlp); no logs pipeline without it')
    .option('--tempo-endpoint <endpoint>', 'gateway: Tempo OTLP/gRPC, host:port or http(s)://host:port; no traces pipeline without it')
    .option('--backend-ca-file <path>', 'gateway: CA of the backends reached over https')
    .option('--backend-cert-file <path>', 'gateway: client certificate presented to the https backends (mTLS)')
    .option('--backend-key-file <path>', 'gateway: key of --backend-cert-file')
    .option('--slow-trace-threshold <duration>', 'gateway: keep every trace longer than this (default 1s)')
    .option('--sampling-percentage <percent>', 'gateway: share of the other traces kept (default 10)')
    .option('--otlp-grpc-listen <host:port>', 'OTLP/gRPC receiver (default 127.0.0.1:4317 on a node, 0.0.0.0:4317 on the gateway and in pods)')
    .option('--otlp-http-listen <host:port>', 'OTLP/HTTP receiver (default port 4318)')
    .option('--health-listen <host:port>', 'health_check extension (default port 13133)')
    .option('--telemetry-listen <host:port>', 'the Collector\'s own metrics for Prometheus to scrape (default port 8888)')
    .option('--tls-cert-file <path>', 'receiver TLS certificate')
    .option('--tls-key-file <path>', 'receiver TLS key')
    .option('--tls-client-ca-file <path>', 'CA of the client certificates the receiver requires (mTLS)')
    .option('--memory-limit-mib <mib>', 'memory the collector may use (the pod limit with --format operator); memory_limiter, GOMEMLIMIT and queue sizes derive from it (default 512 on a node, 2048 on the gateway)')
    .option('--bearer-token-file <path>', 'gateway: require the bearer token in this file on the OTLP receivers; node: send it to the gateway')
    .addHelpText('after', `
Needs otelcol-contrib ${MIN_COLLECTOR_VERSION} or later (the component names otlp_grpc, otlp_http,
resource_detection, load_balancing, host_metrics and prometheus_remote_write). See docs/fleet.md.

Examples:
  macos-agent collector-config --role node --gateway gateway.lan:4317 --out /opt/homebrew/etc/otelcol-contrib
  macos-agent collector-config --role gateway --prometheus-url http://prometheus:9090/api/v1/write \\
      --loki-url http://loki:3100 --tempo-endpoint tempo:4317 --format operator
  macos-agent collector-config --dashboard > macos-fleet.json
  macos-agent collector-config --alerts > macos-agent-rules.yaml

Exit codes: 0 written (and valid, with --validate); ${EXIT_VALIDATION_FAILED} otelcol-contrib validate rejected the config;
${EXIT_BAD_FLAGS} invalid or missing flags; ${EXIT_NO_VALIDATOR} --validate was asked but no otelcol-contrib is on PATH (the config is still written).`)
    // Flag errors commander finds itself (unknown option, missing value) exit 2 like every other flag error.
    .configureOutput({ outputError: () => undefined })
    .exitOverride((error) => {
      if (error.exitCode !== 0) throw new ConfigError(error.message.replace(/^error: /, ''));
    });
}

/** What commander hands the action: the collector flags plus the output switches. */
export interface CollectorConfigFlags extends CollectorFlags {
  out?: string;
  validate?: boolean;
  dashboard?: boolean;
  alerts?: boolean;
}
