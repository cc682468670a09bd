import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseDuration } from '../agent/config.js';
import { buildAlertRules } from '../agent/fleet/alerts.js';
import { alertmanagerConfig } from '../agent/stack/alertmanager.js';
import { parseStackFlags, type StackFlags } from '../agent/stack/options.js';
import { buildStack, nextSteps } from '../agent/stack/stack.js';
import { REPO, runCli } from './helpers/cli.js';
import { chartDefaults, helmMerge } from './helpers/k8s-schemas.js';

// The Alertmanager config `macos-agent stack` generates. `amtool check-config` runs on it in
// `npm run check` (scripts/check.sh); here its structure is checked against the alert rules it
// routes and the chart it is given to.

const run = promisify(execFile);

type Node = Record<string, unknown>;
type Route = { receiver: string; matchers?: string[]; group_by?: string[]; repeat_interval?: string; routes?: Route[] };
type Config = { route: Route; inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[]; receivers: Node[] };

const WEBHOOK: Partial<StackFlags> = { alertWebhookUrl: 'https://alerts.example.com/hook', alertWebhookTokenSecret: 'alert-webhook-token' };

function alertmanagerValues(flags: Partial<StackFlags> = {}): Node {
  const files = buildStack(parseStackFlags({ out: '/tmp/unused', ...flags }));
  const chart = files.flatMap((f) => parseAllDocuments(f.text).map((d) => d.toJS() as Node))
    .find((o) => o['kind'] === 'HelmChart' && (o['metadata'] as Node)['name'] === 'kube-prometheus-stack')!;
  return (parse((chart['spec'] as Node)['valuesContent'] as string) as Node)['alertmanager'] as Node;
}

function config(flags: Partial<StackFlags> = {}): Config {
  return alertmanagerValues(flags)['config'] as Config;
}

const rules = buildAlertRules().groups.flatMap((g) => g.rules);

describe('routing the macos-agent alert rules', () => {
  const { route } = config(WEBHOOK);

  it('groups by alert and by the host label the rules carry', () => {
    expect(route.group_by).toEqual(['alertname', 'host_name']);
    // Every rule about one Mac names it by that label.
    const perHost = rules.filter((r) => r.alert !== 'MacAgentFleetSilent');
    for (const rule of perHost) expect(rule.annotations.summary, rule.alert).toContain('$labels.host_name');
  });

  it('sends a critical alert again sooner than a warning, and routes every severity the rules use', () => {
    const bySeverity = (severity: string): Route => route.routes!.find((r) => r.matchers?.includes(`severity = ${severity}`))!;
    for (const severity of new Set(rules.map((r) => r.labels.severity))) {
      expect(bySeverity(severity), severity).toBeDefined();
      expect(bySeverity(severity).receiver).toBe('macos-agent-webhook');
    }
    expect(parseDuration(bySeverity('critical').repeat_interval!)!).toBeLessThan(parseDuration(bySeverity('warning').repeat_interval!)!);
  });

  it('sends the chart\'s Watchdog and InfoInhibitor heartbeats to the receiver that sends nothing, before any other route', () => {
    expect(route.routes![0]).toEqual({ receiver: 'null', matchers: ['alertname =~ "Watchdog|InfoInhibitor"'] });
    expect(config(WEBHOOK).receivers).toContainEqual({ name: 'null' });
  });

  it('silences a warning while the critical of the same alert on the same Mac fires', () => {
    expect(config().inhibit_rules).toContainEqual({ source_matchers: ['severity = critical'], target_matchers: ['severity = warning'], equal: ['alertname', 'host_name'] });
  });

  it('is what Alertmanager runs: Helm\'s merge over the chart\'s default config changes nothing', () => {
    const defaults = (chartDefaults('kube-prometheus-stack') as { alertmanager: { config: unknown } }).alertmanager.config;
    for (const flags of [{}, WEBHOOK]) expect(helmMerge(defaults, config(flags))).toEqual(config(flags));
  });
});

describe('the webhook receiver', () => {
  it('posts to the URL with the bearer token Alertmanager reads from the Secret\'s mount, never a literal', () => {
    const values = alertmanagerValues(WEBHOOK);
    const receiver = (values['config'] as Config).receivers.find((r) => r['name'] === 'macos-agent-webhook')!;
    expect(receiver['webhook_configs']).toEqual([{
      url: 'https://alerts.example.com/hook',
      send_resolved: true,
      http_config: { authorization: { type: 'Bearer', credentials_file: '/etc/alertmanager/secrets/alert-webhook-token/token' } },
    }]);
    expect(values['alertmanagerSpec']).toEqual({ secrets: ['alert-webhook-token'] });
    // kube-prometheus-stack mounts each of alertmanagerSpec.secrets at /etc/alertmanager/secrets/NAME.
    const chartValues = readFileSync(join(REPO, 'test', 'fixtures', 'stack-schemas', 'charts', 'kube-prometheus-stack', 'values.yaml'), 'utf8');
    expect(chartValues).toContain('The Secrets are mounted into /etc/alertmanager/secrets/.\n    ##\n    secrets: []');
    const text = buildStack(parseStackFlags({ out: '/tmp/unused', ...WEBHOOK })).map((f) => f.text).join('\n');
    expect(text).not.toMatch(/\bcredentials:/);
  });

  it('without a token Secret sends no authorization', () => {
    const receiver = config({ alertWebhookUrl: 'http://alerts.lan:9000/' }).receivers.find((r) => r['name'] === 'macos-agent-webhook')!;
    expect(receiver['webhook_configs']).toEqual([{ url: 'http://alerts.lan:9000/', send_resolved: true }]);
  });

  it('without a URL: the default receiver sends nothing, and the next steps say so', () => {
    const plain = config();
    expect(plain.receivers).toEqual([{ name: 'null' }]);
    expect(plain.route.receiver).toBe('null');
    expect(alertmanagerValues()).not.toHaveProperty('alertmanagerSpec');
    expect(nextSteps(parseStackFlags({ out: 'observability' }))).toContain('Alerts go nowhere: Alertmanager\'s default receiver sends nothing (give --alert-webhook-url URL');
    expect(nextSteps(parseStackFlags({ out: 'observability', ...WEBHOOK }))).toContain('kubectl -n observability create secret generic alert-webhook-token --from-file=token=PATH_TO_A_TOKEN_FILE');
  });
});

describe('macos-agent stack --alert-webhook-url (the command)', () => {
  it('scripts/alertmanager-config.mjs writes the config the written stack carries (what npm run check gives amtool)', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'macos-agent-alerts-'));
    const result = await runCli(['stack', '--out', join(parent, 'out'), '--alert-webhook-url', WEBHOOK.alertWebhookUrl!, '--alert-webhook-token-secret', WEBHOOK.alertWebhookTokenSecret!]);
    expect(result.code).toBe(0);
    const out = join(parent, 'webhook.alertmanager.yaml');
    await run(process.execPath, [join(REPO, 'scripts', 'alertmanager-config.mjs'), join(parent, 'out'), out]);
    expect(parse(readFileSync(out, 'utf8'))).toEqual(alertmanagerConfig({ url: WEBHOOK.alertWebhookUrl!, tokenSecret: WEBHOOK.alertWebhookTokenSecret! }));
  });
});
