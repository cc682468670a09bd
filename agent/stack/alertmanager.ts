import { HOST_LABEL } from '../fleet/prometheus-names.js';
import type { StackOptions } from './options.js';

// kube-prometheus-stack's Alertmanager: how the macos-agent alert rules (agent/fleet/alerts.ts)
// are grouped, repeated, inhibited and sent. Every top-level key and route key the chart's default
// `alertmanager.config` has is set here, so Helm's merge over that default changes nothing and the
// file `amtool check-config` checks (scripts/alertmanager-config.mjs) is the one Alertmanager runs.

/** Where kube-prometheus-stack's `alertmanagerSpec.secrets` mounts each Secret, in a folder of its name. */
export const ALERTMANAGER_SECRETS_DIR = '/etc/alertmanager/secrets';
/** The key of the webhook's bearer token in its Secret. */
export const WEBHOOK_TOKEN_KEY = 'token';
/** The receiver that sends nothing: the chart's name for it. */
export const NULL_RECEIVER = 'null';
export const WEBHOOK_RECEIVER = 'macos-agent-webhook';

/**
 * How often an alert still firing is sent again: a critical one (a Mac silent, memory exhausted)
 * hourly, a warning twice a day.
 */
export const REPEAT_INTERVAL = { critical: '1h', warning: '12h' } as const;

/** A webhook that receives the alerts, its bearer token in a Secret. */
export interface AlertWebhook {
  readonly url: string;
  /** A Secret in the namespace holding the token under the key "token". */
  readonly tokenSecret: string | undefined;
}

export function webhookTokenFile(secretName: string): string {
  return `${ALERTMANAGER_SECRETS_DIR}/${secretName}/${WEBHOOK_TOKEN_KEY}`;
}

function webhookReceiver(webhook: AlertWebhook): Record<string, unknown> {
  return {
    name: WEBHOOK_RECEIVER,
    webhook_configs: [{
      url: webhook.url,
      send_resolved: true,
      // Alertmanager reads the token from the mounted Secret: the manifests never hold it.
      ...(webhook.tokenSecret === undefined ? {} : { http_config: { authorization: { type: 'Bearer', credentials_file: webhookTokenFile(webhook.tokenSecret) } } }),
    }],
  };
}

/** The Alertmanager configuration file (kube-prometheus-stack `alertmanager.config`). */
export function alertmanagerConfig(webhook: AlertWebhook | undefined): Record<string, unknown> {
  const receiver = webhook === undefined ? NULL_RECEIVER : WEBHOOK_RECEIVER;
  return {
    global: { resolve_timeout: '5m' },
    inhibit_rules: [
      // A critical alert silences the warning of the same alert on the same Mac.
      { source_matchers: ['severity = critical'], target_matchers: ['severity = warning'], equal: ['alertname', HOST_LABEL] },
      // The chart's InfoInhibitor only exists to silence info alerts; it is never sent itself.
      { source_matchers: ['alertname = InfoInhibitor'], target_matchers: ['severity = info'], equal: ['namespace'] },
    ],
    route: {
      group_by: ['alertname', HOST_LABEL],
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: REPEAT_INTERVAL.warning,
      receiver,
      routes: [
        // The chart's always-firing Watchdog and its InfoInhibitor are heartbeats, not news.
        { receiver: NULL_RECEIVER, matchers: ['alertname =~ "Watchdog|InfoInhibitor"'] },
        { receiver, matchers: ['severity = critical'], repeat_interval: REPEAT_INTERVAL.critical },
        { receiver, matchers: ['severity = warning'], repeat_interval: REPEAT_INTERVAL.warning },
      ],
    },
    receivers: [{ name: NULL_RECEIVER }, ...(webhook === undefined ? [] : [webhookReceiver(webhook)])],
    templates: ['/etc/alertmanager/config/*.tmpl'],
  };
}

/** kube-prometheus-stack's `alertmanager` values: the config, and the webhook token's Secret mounted. */
export function alertmanagerValues(opts: StackOptions): Record<string, unknown> {
  const secret = opts.alertWebhook?.tokenSecret;
  return {
    enabled: true,
    config: alertmanagerConfig(opts.alertWebhook),
    ...(secret === undefined ? {} : { alertmanagerSpec: { secrets: [secret] } }),
  };
}
