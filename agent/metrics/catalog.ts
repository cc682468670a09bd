// Every metric macos-agent emits is declared here, once: name, unit, instrument kind, attributes,
// description and the source that produces it. The instruments, docs/metrics.md and the
// Prometheus name translation all derive from this table; test/catalog.test.ts fails when the
// docs drift from it.
//
// Names follow the OpenTelemetry semantic conventions where one exists; `macos.` is our own
// prefix where none does.

/** How a metric is recorded. All values are observed absolute values (totals, levels). */
export type MetricKind =
  /** A sampled value (ObservableGauge). */
  | 'gauge'
  /** A monotonic cumulative total (ObservableCounter, exported as a cumulative monotonic sum). */
  | 'counter'
  /** A level that can go up and down (ObservableUpDownCounter, non-monotonic sum). */
  | 'updowncounter';

export type SourceName = 'powermetrics' | 'iostat' | 'vm_stat' | 'sysctl' | 'smc' | 'memory_pressure' | 'network' | 'thermal_pressure' | 'disk' | 'gpu' | 'battery' | 'agent';

export interface MetricSpec {
  readonly name: string;
  readonly unit: string;
  readonly kind: MetricKind;
  readonly attributes: readonly string[];
  readonly description: string;
  readonly source: SourceName;
  /** The source that reports this metric instead when `source` is turned off (never both at once). */
  readonly sourceWithoutRoot?: SourceName;
}

/** Attribute keys, so that a typo is a compile error rather than a new time series. */
export const ATTR = {
  hwId: 'hw.id',
  hwType: 'hw.type',
  hwName: 'hw.name',
  hwSensorLocation: 'hw.sensor_location',
  hwLimitType: 'hw.limit_type',
  cpuLogicalNumber: 'cpu.logical_number',
  cpuMode: 'cpu.mode',
  cpuCluster: 'macos.cpu.cluster',
  memoryState: 'system.memory.state',
  pagingState: 'system.paging.state',
  pagingDirection: 'system.paging.direction',
  compressorOperation: 'macos.memory.compressor.operation',
  pageKind: 'macos.memory.page.kind',
  pageOperation: 'macos.memory.page.operation',
  faultType: 'macos.memory.fault.type',
  device: 'system.device',
  sensorGroup: 'macos.sensor.group',
  dropReason: 'macos.agent.drop_reason',
  agentSource: 'macos.agent.source',
  errorType: 'error.type',
  exportOutcome: 'macos.agent.export.outcome',
  networkInterface: 'network.interface.name',
  networkDirection: 'network.io.direction',
  diskIoDirection: 'disk.io.direction',
  gpuEngine: 'macos.gpu.engine',
  batteryState: 'hw.battery.state',
  batteryCapacityType: 'macos.battery.capacity.type',
} as const;

const A = ATTR;

export const METRICS = {
  // --- powermetrics -----------------------------------------------------------------------------
  hwPower: {
    name: 'hw.power', unit: 'W', kind: 'gauge', attributes: [A.hwId, A.hwType], source: 'powermetrics',
    description: 'Power drawn by a component over the last powermetrics sample (hw.id: cpu, gpu, ane; package is their sum as powermetrics reports it, not a fourth part).',
  },
  hwEnergy: {
    name: 'hw.energy', unit: 'J', kind: 'counter', attributes: [A.hwId, A.hwType], source: 'powermetrics',
    description: 'Energy used by a component since the agent started, summed from the energy of each powermetrics sample.',
  },
  cpuFrequency: {
    name: 'system.cpu.frequency', unit: 'Hz', kind: 'gauge', attributes: [A.cpuLogicalNumber], source: 'powermetrics',
    description: 'Average frequency of a logical CPU over the last sample, weighted by its active residency.',
  },
  clusterFrequency: {
    name: 'macos.cpu.cluster.frequency', unit: 'Hz', kind: 'gauge', attributes: [A.cpuCluster], source: 'powermetrics',
    description: 'Average frequency of a CPU cluster (E0, P0, P1, M, S ... as the machine names them) over the last sample.',
  },
  clusterUtilization: {
    name: 'macos.cpu.cluster.utilization', unit: '1', kind: 'gauge', attributes: [A.cpuCluster], source: 'powermetrics',
    description: 'Active residency of a CPU cluster over the last sample (1 - idle ratio), from 0 to 1.',
  },
  gpuActiveResidency: {
    name: 'macos.gpu.active_residency', unit: '1', kind: 'gauge', attributes: [A.hwId], source: 'powermetrics',
    description: 'GPU active residency over the last powermetrics sample, from 0 to 1 (root only; hw.gpu.utilization, from the gpu source, is the utilisation Activity Monitor shows).',
  },
  gpuFrequency: {
    name: 'macos.gpu.frequency', unit: 'Hz', kind: 'gauge', attributes: [A.hwId], source: 'powermetrics',
    description: 'Average GPU frequency over the last sample.',
  },
  thermalPressure: {
    name: 'macos.thermal.pressure', unit: '1', kind: 'gauge', attributes: [], source: 'powermetrics', sourceWithoutRoot: 'thermal_pressure',
    description: 'Thermal pressure level: 0 nominal, 1 moderate, 2 heavy, 3 trapping, 4 sleeping. powermetrics\' thermal sampler reports it when it runs (the system service); otherwise the thermal_pressure source reads the same level, without root, from the notification the system posts it on (com.apple.system.thermalpressurelevel, where powermetrics takes it from). Only one of the two is ever on.',
  },

  // --- iostat -----------------------------------------------------------------------------------
  iostatDiskOperations: {
    name: 'macos.iostat.disk.operations', unit: '{operation}', kind: 'counter', attributes: [A.device], source: 'iostat',
    description: 'Transfers (reads and writes together) completed by a disk since boot, as iostat counts them. The disk source owns system.disk.*: per direction, from the I/O Registry.',
  },
  iostatDiskIo: {
    name: 'macos.iostat.disk.io', unit: 'By', kind: 'counter', attributes: [A.device], source: 'iostat',
    description: 'Bytes read and written together by a disk since boot, as iostat counts them (to 0.01 MB). The disk source owns system.disk.*: per direction, exact to the byte.',
  },
  cpuUtilization: {
    name: 'system.cpu.utilization', unit: '1', kind: 'gauge', attributes: [A.cpuMode], source: 'iostat',
    description: 'Share of CPU time spent in each mode (user, system, idle) over the last interval, from 0 to 1.',
  },
  loadAverage1m: {
    name: 'system.cpu.load_average.1m', unit: '{thread}', kind: 'gauge', attributes: [], source: 'iostat',
    description: 'Load average over the last minute.',
  },
  loadAverage5m: {
    name: 'system.cpu.load_average.5m', unit: '{thread}', kind: 'gauge', attributes: [], source: 'iostat',
    description: 'Load average over the last 5 minutes.',
  },
  loadAverage15m: {
    name: 'system.cpu.load_average.15m', unit: '{thread}', kind: 'gauge', attributes: [], source: 'iostat',
    description: 'Load average over the last 15 minutes.',
  },

  // --- vm_stat ----------------------------------------------------------------------------------
  memoryUsage: {
    name: 'system.memory.usage', unit: 'By', kind: 'updowncounter', attributes: [A.memoryState], source: 'vm_stat',
    description: 'Physical memory by state (free, active, inactive, speculative, wired, compressed); the states do not overlap.',
  },
  pagingOperations: {
    name: 'system.paging.operations', unit: '{operation}', kind: 'counter', attributes: [A.pagingDirection], source: 'vm_stat',
    description: 'Pages read from (in) and written to (out) backing store since boot (vm_stat Pageins/Pageouts).',
  },
  swapOperations: {
    name: 'macos.memory.swap.operations', unit: '{operation}', kind: 'counter', attributes: [A.pagingDirection], source: 'vm_stat',
    description: 'Pages swapped in and out since boot (vm_stat Swapins/Swapouts).',
  },
  compressorOperations: {
    name: 'macos.memory.compressor.operations', unit: '{operation}', kind: 'counter', attributes: [A.compressorOperation], source: 'vm_stat',
    description: 'Pages compressed and decompressed by the memory compressor since boot.',
  },
  compressorStored: {
    name: 'macos.memory.compressor.stored', unit: 'By', kind: 'updowncounter', attributes: [], source: 'vm_stat',
    description: 'Uncompressed size of the data held by the memory compressor (Pages stored in compressor).',
  },
  memoryPages: {
    name: 'macos.memory.pages', unit: 'By', kind: 'updowncounter', attributes: [A.pageKind], source: 'vm_stat',
    description: 'Overlapping page classes from vm_stat (purgeable, throttled, file_backed, anonymous), in bytes.',
  },
  memoryFaults: {
    name: 'macos.memory.faults', unit: '{fault}', kind: 'counter', attributes: [A.faultType], source: 'vm_stat',
    description: 'Faults since boot by type (translation, copy_on_write, zero_fill).',
  },
  pageOperations: {
    name: 'macos.memory.page.operations', unit: '{operation}', kind: 'counter', attributes: [A.pageOperation], source: 'vm_stat',
    description: 'Pages reactivated and purged since boot.',
  },

  // --- sysctl -----------------------------------------------------------------------------------
  memoryLimit: {
    name: 'system.memory.limit', unit: 'By', kind: 'updowncounter', attributes: [], source: 'sysctl',
    description: 'Physical memory installed (hw.memsize).',
  },
  pagingUsage: {
    name: 'system.paging.usage', unit: 'By', kind: 'updowncounter', attributes: [A.pagingState], source: 'sysctl',
    description: 'Swap space used and free (vm.swapusage).',
  },

  // --- memory_pressure --------------------------------------------------------------------------
  memoryPressureLevel: {
    name: 'macos.memory.pressure.level', unit: '{level}', kind: 'gauge', attributes: [], source: 'memory_pressure',
    description: 'The kernel\'s memory pressure level (kern.memorystatus_vm_pressure_level): 1 normal, 2 warning, 4 critical (3 is not used). The level apps are notified of (DISPATCH_SOURCE_TYPE_MEMORYPRESSURE) and the green, yellow and red of Activity Monitor\'s Memory Pressure graph; at critical the system may terminate processes to free memory. See docs/memory-pressure.md.',
  },
  memoryPressureFree: {
    name: 'macos.memory.pressure.free', unit: '1', kind: 'gauge', attributes: [], source: 'memory_pressure',
    description: 'Share of memory the kernel counts as available, from 0 to 1: kern.memorystatus_level, which `memory_pressure` prints as "System-wide memory free percentage". Pages the kernel can take back without compressing or swapping count as available, so it stays well above the free pages of vm_stat. The height of Activity Monitor\'s graph moves the other way (more pressure, less available). See docs/memory-pressure.md.',
  },

  // --- network ----------------------------------------------------------------------------------
  networkIo: {
    name: 'system.network.io', unit: 'By', kind: 'counter', attributes: [A.networkInterface, A.networkDirection], source: 'network',
    description: 'Bytes received and transmitted by an interface since it was attached (64-bit counters of the interface MIB).',
  },
  networkPackets: {
    name: 'system.network.packet.count', unit: '{packet}', kind: 'counter', attributes: [A.networkInterface, A.networkDirection], source: 'network',
    description: 'Packets received and transmitted by an interface since it was attached.',
  },
  networkErrors: {
    name: 'system.network.errors', unit: '{error}', kind: 'counter', attributes: [A.networkInterface, A.networkDirection], source: 'network',
    description: 'Input and output errors of an interface since it was attached.',
  },
  networkDropped: {
    name: 'system.network.packet.dropped', unit: '{packet}', kind: 'counter', attributes: [A.networkInterface, A.networkDirection], source: 'network',
    description: 'Packets dropped without an error: receive is the input queue drops (interface MIB only; netstat does not print them), transmit the send queue drops (netstat -d\'s Drop column).',
  },

  // --- smc --------------------------------------------------------------------------------------
  temperature: {
    name: 'hw.temperature', unit: 'Cel', kind: 'gauge', attributes: [A.hwId, A.hwName, A.hwSensorLocation], source: 'smc',
    description: 'Temperature of one SMC sensor (hw.id is the SMC key).',
  },
  temperatureMax: {
    name: 'macos.temperature.max', unit: 'Cel', kind: 'gauge', attributes: [A.sensorGroup], source: 'smc',
    description: 'Hottest sensor of a group (cpu, gpu, memory, battery, storage, airflow).',
  },
  temperatureMean: {
    name: 'macos.temperature.mean', unit: 'Cel', kind: 'gauge', attributes: [A.sensorGroup], source: 'smc',
    description: 'Mean of the sensors of a group (cpu, gpu, memory, battery, storage, airflow).',
  },
  fanSpeed: {
    name: 'hw.fan.speed', unit: 'rpm', kind: 'gauge', attributes: [A.hwId], source: 'smc',
    description: 'Current speed of a fan.',
  },
  fanSpeedLimit: {
    name: 'hw.fan.speed.limit', unit: 'rpm', kind: 'gauge', attributes: [A.hwId, A.hwLimitType], source: 'smc',
    description: 'Minimum and maximum speed of a fan.',
  },
  hostPower: {
    name: 'hw.host.power', unit: 'W', kind: 'gauge', attributes: [A.hwId], source: 'smc',
    description: 'Power drawn by the whole machine (SMC key PSTR).',
  },
  smcDroppedReadings: {
    name: 'macos.smc.readings.dropped', unit: '{reading}', kind: 'counter', attributes: [A.hwId, A.dropReason], source: 'smc',
    description: 'SMC readings not exported since the agent started, by reason: below_min, above_max, not_a_number (sentinels and glitches outside the plausibility window), unreadable (the key vanished or the read failed), undecodable (unknown type or size).',
  },

  // --- disk (IOBlockStorageDriver statistics; owns system.disk.*) ------------------------------
  diskIo: {
    name: 'system.disk.io', unit: 'By', kind: 'counter', attributes: [A.device, A.diskIoDirection], source: 'disk',
    description: 'Bytes read and written by a physical disk since boot (IOBlockStorageDriver Statistics).',
  },
  diskOperations: {
    name: 'system.disk.operations', unit: '{operation}', kind: 'counter', attributes: [A.device, A.diskIoDirection], source: 'disk',
    description: 'Read and write operations completed by a physical disk since boot.',
  },
  diskOperationTime: {
    name: 'system.disk.operation_time', unit: 's', kind: 'counter', attributes: [A.device, A.diskIoDirection], source: 'disk',
    description: 'Sum of the time each read and write operation took since boot (parallel operations each count). The registry keeps no busy wall time, so there is no system.disk.io_time.',
  },
  diskErrors: {
    name: 'macos.disk.errors', unit: '{error}', kind: 'counter', attributes: [A.device, A.diskIoDirection], source: 'disk',
    description: 'Read and write operations that failed since boot.',
  },
  diskRetries: {
    name: 'macos.disk.retries', unit: '{retry}', kind: 'counter', attributes: [A.device, A.diskIoDirection], source: 'disk',
    description: 'Read and write operations retried since boot.',
  },

  // --- gpu (IOAccelerator PerformanceStatistics; no root needed) ------------------------------
  gpuUtilization: {
    name: 'hw.gpu.utilization', unit: '1', kind: 'gauge', attributes: [A.hwId, A.hwName], source: 'gpu',
    description: 'GPU device utilisation from 0 to 1, as the driver reports it (Device Utilization %, what Activity Monitor shows). powermetrics\' active residency is macos.gpu.active_residency.',
  },
  gpuEngineUtilization: {
    name: 'macos.gpu.engine.utilization', unit: '1', kind: 'gauge', attributes: [A.hwId, A.hwName, A.gpuEngine], source: 'gpu',
    description: 'Utilisation of the GPU\'s renderer and tiler (macos.gpu.engine), from 0 to 1.',
  },
  gpuMemoryUsage: {
    name: 'hw.gpu.memory.usage', unit: 'By', kind: 'updowncounter', attributes: [A.hwId, A.hwName], source: 'gpu',
    description: 'System memory the GPU has in use (In use system memory).',
  },
  gpuMemoryAllocated: {
    name: 'macos.gpu.memory.allocated', unit: 'By', kind: 'updowncounter', attributes: [A.hwId, A.hwName], source: 'gpu',
    description: 'System memory allocated to the GPU (Alloc system memory), in use or not.',
  },

  // --- battery (AppleSmartBattery; pmset -g batt when the registry cannot be read) ---------------
  batteryCharge: {
    name: 'hw.battery.charge', unit: '1', kind: 'gauge', attributes: [A.hwId], source: 'battery',
    description: 'Remaining charge as a fraction of the full-charge capacity, from 0 to 1 (the percentage the menu bar shows).',
  },
  batteryTimeLeft: {
    name: 'hw.battery.time_left', unit: 's', kind: 'gauge', attributes: [A.hwId, A.batteryState], source: 'battery',
    description: 'Time until empty while discharging, until full while charging; absent while macOS is still estimating.',
  },
  batteryState: {
    name: 'macos.battery.state', unit: '1', kind: 'gauge', attributes: [A.hwId, A.batteryState], source: 'battery',
    description: '1 for the battery\'s current state, 0 for the others (hw.battery.state: charging, discharging, full, not_charging).',
  },
  batteryCapacity: {
    name: 'macos.battery.capacity', unit: 'mA.h', kind: 'updowncounter', attributes: [A.hwId, A.batteryCapacityType], source: 'battery',
    description: 'Charge held now (current), when full today (full_charge) and when new (design).',
  },
  batteryHealth: {
    name: 'macos.battery.health', unit: '1', kind: 'gauge', attributes: [A.hwId], source: 'battery',
    description: 'Full-charge capacity against design capacity (1 when new; Apple calls a battery worn below 0.8).',
  },
  batteryCycles: {
    name: 'macos.battery.cycles', unit: '{cycle}', kind: 'gauge', attributes: [A.hwId], source: 'battery',
    description: 'Charge cycles the battery has been through (CycleCount).',
  },
  batteryVoltage: {
    name: 'macos.battery.voltage', unit: 'V', kind: 'gauge', attributes: [A.hwId], source: 'battery',
    description: 'Voltage across the battery.',
  },
  batteryCurrent: {
    name: 'macos.battery.current', unit: 'A', kind: 'gauge', attributes: [A.hwId], source: 'battery',
    description: 'Current into the battery (positive, charging) or out of it (negative, discharging).',
  },
  batteryTemperature: {
    name: 'macos.battery.temperature', unit: 'Cel', kind: 'gauge', attributes: [A.hwId], source: 'battery',
    description: 'Temperature of the battery as its gas gauge reports it.',
  },

  // --- the agent itself -------------------------------------------------------------------------
  collectionDuration: {
    name: 'macos.agent.collection.duration', unit: 's', kind: 'gauge', attributes: [A.agentSource], source: 'agent',
    description: 'Wall time of the last collection of a source.',
  },
  collectionErrors: {
    name: 'macos.agent.collection.errors', unit: '{error}', kind: 'counter', attributes: [A.agentSource, A.errorType], source: 'agent',
    description: 'Failed collections and rejected input (error.type: missing, permission, failed, timeout, parse) since the agent started.',
  },
  sourceUp: {
    name: 'macos.agent.source.up', unit: '1', kind: 'gauge', attributes: [A.agentSource], source: 'agent',
    description: '1 when the last collection of a source produced data, 0 when it failed.',
  },
  childRestarts: {
    name: 'macos.agent.child.restarts', unit: '{restart}', kind: 'counter', attributes: [A.agentSource], source: 'agent',
    description: 'Restarts of a long-lived child process (crash, hang or scheduled recycle) since the agent started.',
  },
  exportRequests: {
    name: 'macos.agent.export.requests', unit: '{request}', kind: 'counter', attributes: [A.exportOutcome], source: 'agent',
    description: 'OTLP export attempts by outcome (success, failure, retry) since the agent started.',
  },
  exportQueueSize: {
    name: 'macos.agent.export.queue.size', unit: '{batch}', kind: 'updowncounter', attributes: [], source: 'agent',
    description: 'Export batches waiting to be sent (in memory and spooled to disk).',
  },
  exportQueueBytes: {
    name: 'macos.agent.export.queue.bytes', unit: 'By', kind: 'updowncounter', attributes: [], source: 'agent',
    description: 'Size of the export batches waiting to be sent.',
  },
  exportDroppedPoints: {
    name: 'macos.agent.export.dropped_points', unit: '{point}', kind: 'counter', attributes: [A.dropReason], source: 'agent',
    description: 'Data points dropped without being delivered (queue full, too old, rejected by the collector).',
  },
  processCpuTime: {
    name: 'process.cpu.time', unit: 's', kind: 'counter', attributes: [A.cpuMode], source: 'agent',
    description: 'CPU time used by the agent process (cpu.mode: user, system), children excluded.',
  },
  processMemoryUsage: {
    name: 'process.memory.usage', unit: 'By', kind: 'updowncounter', attributes: [], source: 'agent',
    description: 'Resident memory of the agent process.',
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricKey = keyof typeof METRICS;

export type AttributeValue = string | number;
export type Attributes = Readonly<Record<string, AttributeValue>>;

/** One observed value of one metric: what sources produce and the instruments report. */
export interface Point {
  readonly metric: MetricKey;
  readonly attributes: Attributes;
  readonly value: number;
}

/** The attribute keys metric M declares in the catalog. */
export type AttributeKeyOf<M extends MetricKey> = (typeof METRICS)[M]['attributes'][number];

/** Attributes a point of metric M may carry: the keys M declares, each optional. */
export type PointAttributes<M extends MetricKey> = { readonly [K in AttributeKeyOf<M>]?: AttributeValue };

/** A, with every key that is not among Allowed made impossible (a variable's extra keys included). */
type OnlyKeys<A, Allowed extends PropertyKey> = A & { readonly [K in Exclude<keyof A, Allowed>]: never };

/**
 * A point of metric M. Its attributes may use only the keys M declares in METRICS: a typo or a
 * key of another metric is a compile error, not a new time series.
 */
export function point<M extends MetricKey, A extends PointAttributes<M> = PointAttributes<M>>(
  metric: M, value: number, attributes?: OnlyKeys<A, AttributeKeyOf<M>>,
): Point {
  return { metric, value, attributes: attributes ?? {} };
}

export const ALL_METRICS: readonly MetricSpec[] = Object.values(METRICS);
