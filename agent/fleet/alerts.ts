import { METRICS, type MetricKey } from '../metrics/catalog.js';
import { assertKnownMetrics } from './promql-names.js';
import { emittedPrometheusNames, HOST_LABEL, prometheusLabelName, prometheusMetricName } from './prometheus-names.js';

// Prometheus alerting rules for a fleet of Macs, built from the metric catalog like the dashboard.

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly severity: 'warning' | 'critical' };
  readonly annotations: { readonly summary: string; readonly description: string };
}

export interface RulesFile {
  readonly groups: readonly { readonly name: string; readonly rules: readonly AlertRule[] }[];
}

/** Thermal pressure level from which a Mac is throttling hard (2 = heavy). */
export const HEAVY_THERMAL_PRESSURE = 2;
/** Apple Silicon dies throttle around 100-110 °C; 95 °C held for minutes means no headroom left. */
export const TEMPERATURE_LIMIT_CELSIUS = 95;
/** Apple recommends service for a battery that holds less than 80 % of its design capacity. */
export const BATTERY_HEALTH_MIN = 0.8;

function metric(key: MetricKey): string {
  return prometheusMetricName(METRICS[key]);
}

const host = HOST_LABEL;
const source = prometheusLabelName('macos.agent.source');
const sensorGroup = prometheusLabelName('macos.sensor.group');
const errorType = prometheusLabelName('error.type');

function rules(): AlertRule[] {
  return [
    {
      alert: 'MacThermalPressureHeavy',
      expr: `max by (${host}) (${metric('thermalPressure')}) >= ${HEAVY_THERMAL_PRESSURE}`,
      for: '10m',
      labels: { severity: 'warning' },
      annotations: {
        summary: `{{ $labels.${host} }} has been under heavy thermal pressure for 10 minutes`,
        description: 'Thermal pressure level {{ $value }} (2 heavy, 3 trapping, 4 sleeping): the Mac is throttling. Check its airflow, fans and workload.',
      },
    },
    {
      alert: 'MacTemperatureNearLimit',
      expr: `max by (${host}, ${sensorGroup}) (${metric('temperatureMax')}{${sensorGroup}=~"cpu|gpu"}) > ${TEMPERATURE_LIMIT_CELSIUS}`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: `{{ $labels.${host} }} {{ $labels.${sensorGroup} }} is above ${TEMPERATURE_LIMIT_CELSIUS} °C`,
        description: `The hottest {{ $labels.${sensorGroup} }} sensor has read {{ $value }} °C for 5 minutes, close to where the chip throttles.`,
      },
    },
    {
      // Reported within the last day, nothing in the last 5 minutes (Prometheus' lookback).
      alert: 'MacAgentStoppedReporting',
      expr: `max by (${host}) (max_over_time(${metric('sourceUp')}[1d])) unless max by (${host}) (${metric('sourceUp')})`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: {
        summary: `{{ $labels.${host} }} has stopped reporting`,
        description: `No data from macos-agent on {{ $labels.${host} }} for over 10 minutes. Check that the Mac is up, the agent runs and its node collector reaches the gateway.`,
      },
    },
    {
      alert: 'MacAgentFleetSilent',
      expr: `absent(${metric('sourceUp')})`,
      for: '10m',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'No Mac is reporting',
        description: 'Prometheus has no macos-agent data at all: check the gateway collector and its remote write to Prometheus.',
      },
    },
    {
      alert: 'MacAgentExportQueueGrowing',
      expr: `deriv(${metric('exportQueueSize')}[15m]) > 0 and ${metric('exportQueueSize')} > 10`,
      for: '15m',
      labels: { severity: 'warning' },
      annotations: {
        summary: `The export queue of {{ $labels.${host} }} keeps growing`,
        description: `macos-agent on {{ $labels.${host} }} has queued export batches for 15 minutes and the queue still grows: its node collector is not accepting data.`,
      },
    },
    {
      // A source with nothing to read on this Mac (error.type missing: a desktop's battery) is
      // absent, not failing: the log says why once, and no alert repeats it.
      alert: 'MacAgentSourceDown',
      expr: `max by (${host}, ${source}) (max_over_time(${metric('sourceUp')}[15m])) == 0`
        + ` unless on (${host}, ${source}) max by (${host}, ${source}) (increase(${metric('collectionErrors')}{${errorType}="missing"}[15m])) > 0`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: `The {{ $labels.${source} }} source on {{ $labels.${host} }} keeps failing`,
        description: `Every collection of {{ $labels.${source} }} has failed for 15 minutes. See the agent log or run macos-agent --once on the Mac.`,
      },
    },
    {
      alert: 'MacAgentCollectionErrors',
      expr: `sum by (${host}, ${source}, ${errorType}) (increase(${metric('collectionErrors')}{${errorType}!="missing"}[15m])) > 5`,
      for: '15m',
      labels: { severity: 'warning' },
      annotations: {
        summary: `{{ $labels.${source} }} on {{ $labels.${host} }} keeps failing with {{ $labels.${errorType} }}`,
        description: `{{ $value }} failed collections of {{ $labels.${source} }} ({{ $labels.${errorType} }}) in 15 minutes.`,
      },
    },
    {
      // Health moves over weeks: an hour below the line is not a glitch of the gas gauge.
      alert: 'MacBatteryHealthLow',
      expr: `max by (${host}) (${metric('batteryHealth')}) < ${BATTERY_HEALTH_MIN}`,
      for: '60m',
      labels: { severity: 'warning' },
      annotations: {
        summary: `The battery of {{ $labels.${host} }} holds less than ${BATTERY_HEALTH_MIN * 100} % of its design capacity`,
        description: 'Full-charge capacity is {{ $value | humanizePercentage }} of design capacity: Apple recommends servicing the battery.',
      },
    },
    ...memoryAndNetworkRules(),
  ];
}

/** kern.memorystatus_vm_pressure_level at critical: the system may be terminating processes. */
export const CRITICAL_MEMORY_PRESSURE = 4;
/** Interface errors per second, sustained, beyond the odd corrupted frame a healthy link sees. */
export const NETWORK_ERRORS_PER_SECOND = 1;

function memoryAndNetworkRules(): AlertRule[] {
  const iface = prometheusLabelName('network.interface.name');
  const direction = prometheusLabelName('network.io.direction');
  return [
    {
      alert: 'MacMemoryPressureCritical',
      expr: `max by (${host}) (${metric('memoryPressureLevel')}) >= ${CRITICAL_MEMORY_PRESSURE}`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: {
        summary: `{{ $labels.${host} }} has been under critical memory pressure for 5 minutes`,
        description: 'The kernel\'s memory pressure level is critical (4): the Mac is short of memory and may be terminating processes. See docs/memory-pressure.md; check what holds memory (Activity Monitor, footprint).',
      },
    },
    {
      alert: 'MacNetworkInterfaceErrors',
      expr: `sum by (${host}, ${iface}, ${direction}) (rate(${metric('networkErrors')}[5m])) > ${NETWORK_ERRORS_PER_SECOND}`,
      for: '10m',
      labels: { severity: 'warning' },
      annotations: {
        summary: `{{ $labels.${iface} }} on {{ $labels.${host} }} keeps erroring ({{ $labels.${direction} }})`,
        description: `{{ $value }} {{ $labels.${direction} }} errors per second on {{ $labels.${iface} }} for 10 minutes: check the cable, the switch port or the Wi-Fi signal.`,
      },
    },
  ];
}

/** Builds the rules file; throws when a rule names a metric the agent does not emit. */
export function buildAlertRules(): RulesFile {
  const list = rules();
  const known = emittedPrometheusNames();
  for (const rule of list) assertKnownMetrics(`alert ${rule.alert}`, rule.expr, known);
  return { groups: [{ name: 'macos-agent', rules: list }] };
}
