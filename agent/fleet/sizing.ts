// The byte and memory bounds every generated collector shares, derived in one place so a batch
// always fits the receiving side's gRPC limit and the queues always fit the memory they live in.

export const MIB = 1024 * 1024;

/** gRPC's default maximum message size, which every OTLP receiver here states explicitly. */
export const GRPC_MAX_RECV_MSG_SIZE_MIB = 4;

/**
 * The largest export batch, in bytes of the uncompressed OTLP request: 1 MiB of headroom below
 * the receiver's limit for the request envelope, so a full batch is never RESOURCE_EXHAUSTED
 * (which otlp_grpc does not retry: the batch would be dropped).
 */
export const BATCH_MAX_BYTES = (GRPC_MAX_RECV_MSG_SIZE_MIB - 1) * MIB;

/** A batch is sent when it reaches this size or when flush_timeout passes, whichever is first. */
export const BATCH_MIN_BYTES = 256 * 1024;

/** The share of a pod's memory limit the memory_limiter refuses data above. */
const LIMITER_SHARE = 0.8;
/** The share of the limiter's limit kept for a spike between two checks. */
const SPIKE_SHARE = 0.2;
/** The share of a pod's memory limit the gateway's exporter queues may hold together. */
const QUEUE_SHARE = 0.25;

/** How a collector uses the memory it is given. */
export interface MemoryBudget {
  /** The container's memory limit. */
  readonly podLimitMib: number;
  /** memory_limiter `limit_mib`: above it, receivers are refused data. */
  readonly limiterMib: number;
  /** memory_limiter `spike_limit_mib`: the soft limit is `limiterMib - spikeMib`. */
  readonly spikeMib: number;
  /** GOMEMLIMIT: the Go GC works hard from the limiter's soft limit, before data is refused. */
  readonly goMemLimitMib: number;
  /** What all in-memory exporter queues together may hold, in bytes. */
  readonly queueBytes: number;
}

/** Derives memory_limiter, GOMEMLIMIT and the queue budget from a memory limit. */
export function memoryBudget(podLimitMib: number): MemoryBudget {
  const limiterMib = Math.floor(podLimitMib * LIMITER_SHARE);
  const spikeMib = Math.floor(limiterMib * SPIKE_SHARE);
  return {
    podLimitMib,
    limiterMib,
    spikeMib,
    goMemLimitMib: limiterMib - spikeMib,
    queueBytes: Math.floor(podLimitMib * QUEUE_SHARE) * MIB,
  };
}
