import { describe, expect, it } from 'vitest';
import { ALL_METRICS, METRICS } from '../agent/metrics/catalog.js';
import { emittedPrometheusNames, HOST_LABEL, prometheusLabelName, prometheusMetricName } from '../agent/fleet/prometheus-names.js';

describe('prometheusMetricName (OTLP -> remote write, suffixes on)', () => {
  it('turns dots into underscores and appends the unit word of UCUM units', () => {
    expect(prometheusMetricName(METRICS.hwPower)).toBe('hw_power_watts');
    expect(prometheusMetricName(METRICS.temperature)).toBe('hw_temperature_celsius');
    expect(prometheusMetricName(METRICS.clusterFrequency)).toBe('macos_cpu_cluster_frequency_hertz');
    expect(prometheusMetricName(METRICS.memoryUsage)).toBe('system_memory_usage_bytes');
    expect(prometheusMetricName(METRICS.collectionDuration)).toBe('macos_agent_collection_duration_seconds');
  });

  it('ends monotonic sums with _total, after the unit', () => {
    expect(prometheusMetricName(METRICS.hwEnergy)).toBe('hw_energy_joules_total');
    expect(prometheusMetricName(METRICS.diskIo)).toBe('system_disk_io_bytes_total');
    expect(prometheusMetricName(METRICS.processCpuTime)).toBe('process_cpu_time_seconds_total');
  });

  it('drops curly-brace annotations instead of appending them', () => {
    expect(prometheusMetricName(METRICS.diskOperations)).toBe('system_disk_operations_total');
    expect(prometheusMetricName(METRICS.loadAverage1m)).toBe('system_cpu_load_average_1m');
    expect(prometheusMetricName(METRICS.exportQueueSize)).toBe('macos_agent_export_queue_size');
  });

  it('appends _ratio to gauges of unit 1 only', () => {
    expect(prometheusMetricName(METRICS.sourceUp)).toBe('macos_agent_source_up_ratio');
    expect(prometheusMetricName(METRICS.thermalPressure)).toBe('macos_thermal_pressure_ratio');
    expect(prometheusMetricName(METRICS.memoryPressureLevel)).toBe('macos_memory_pressure_level');
    expect(prometheusMetricName(METRICS.memoryPressureFree)).toBe('macos_memory_pressure_free_ratio');
    expect(prometheusMetricName(METRICS.networkIo)).toBe('system_network_io_bytes_total');
    expect(prometheusMetricName(METRICS.networkPackets)).toBe('system_network_packet_count_total');
    expect(prometheusMetricName(METRICS.networkErrors)).toBe('system_network_errors_total');
    expect(prometheusMetricName(METRICS.networkDropped)).toBe('system_network_packet_dropped_total');
    expect(prometheusMetricName({ name: 'x.level', unit: '1', kind: 'updowncounter' })).toBe('x_level');
    expect(prometheusMetricName({ name: 'x.hits', unit: '1', kind: 'counter' })).toBe('x_hits_total');
  });

  it('appends other units as written', () => {
    expect(prometheusMetricName(METRICS.fanSpeed)).toBe('hw_fan_speed_rpm');
  });

  it('does not repeat a unit word or a suffix the name already has', () => {
    expect(prometheusMetricName(METRICS.exportQueueBytes)).toBe('macos_agent_export_queue_bytes');
    expect(prometheusMetricName({ name: 'requests.total', unit: '{request}', kind: 'counter' })).toBe('requests_total');
    expect(prometheusMetricName({ name: 'cache.ratio', unit: '1', kind: 'gauge' })).toBe('cache_ratio');
  });

  it('spells out "per" units and prefixes a leading digit', () => {
    expect(prometheusMetricName({ name: 'disk.throughput', unit: 'By/s', kind: 'gauge' })).toBe('disk_throughput_bytes_per_second');
    expect(prometheusMetricName({ name: 'jobs.rate', unit: '{job}/h', kind: 'gauge' })).toBe('jobs_rate_per_hour');
    expect(prometheusMetricName({ name: '5xx.responses', unit: '{response}', kind: 'counter' })).toBe('_5xx_responses_total');
  });

  it('gives every catalog metric a distinct, valid Prometheus name', () => {
    const names = ALL_METRICS.map(prometheusMetricName);
    for (const name of names) expect(name).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
    expect(new Set(names).size).toBe(ALL_METRICS.length);
    expect(emittedPrometheusNames().size).toBe(ALL_METRICS.length);
  });
});

describe('prometheusLabelName', () => {
  it('turns attribute keys into label names', () => {
    expect(prometheusLabelName('host.name')).toBe('host_name');
    expect(prometheusLabelName('macos.agent.source')).toBe('macos_agent_source');
    expect(prometheusLabelName('9lives')).toBe('key_9lives');
    expect(HOST_LABEL).toBe('host_name');
  });
});
