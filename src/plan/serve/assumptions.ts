import { sourced, type Sourced } from '../../catalog/source.ts';

/**
 * Efficiencies and engine settings the serving roofline assumes. Each is a published or
 * engine-default figure, chosen before comparing with data/serving.md; none is fitted to it.
 */
export interface ServingAssumptions {
  /** Fraction of dense peak FLOP/s that inference GEMMs reach (prefill and compute-bound decode). */
  readonly gemmEfficiency: Sourced;
  /** Fraction of HBM bandwidth that weight and KV-cache reads reach. */
  readonly hbmEfficiency: Sourced;
  /** Fraction of unidirectional NVLink bandwidth a tensor-parallel all-reduce reaches. */
  readonly nvlinkEfficiency: Sourced;
  /** Fixed latency of one NVLink collective (launch + synchronisation), seconds. */
  readonly collectiveLatencySeconds: Sourced;
  /** Scale-out NIC bandwidth per GPU (one 400 Gb/s NIC per GPU), for a replica larger than one NVLink domain. */
  readonly nicBytesPerSecondPerGpu: Sourced;
  /** Fixed latency of one collective that crosses nodes (RDMA), seconds. */
  readonly crossNodeCollectiveLatencySeconds: Sourced;
  /** Fraction of memory left after weights and workspaces that the engine gives the KV cache. */
  readonly kvCacheMemoryFraction: Sourced;
  /** CUDA context, cuBLAS/NCCL workspaces and allocator slack per GPU, bytes. */
  readonly runtimeOverheadBytes: Sourced;
  /** Tokens per forward pass (chunked prefill budget); sizes the activation workspace. */
  readonly maxTokensPerStep: Sourced;
  /** Largest decode batch an engine schedules (CUDA-graph batch ceiling). */
  readonly maxBatchSize: Sourced;
}

export const DEFAULT_ASSUMPTIONS: ServingAssumptions = {
  gemmEfficiency: sourced(0.5, 'shared/data/serving.md B4: prefill estimates "at 50% of H100 BF16" (roofline post, inference-engineering deep dive)', 'S'),
  hbmEfficiency: sourced(0.8, 'Databricks "LLM Inference Performance Engineering" (MBU of well-tuned decode ~60-80%); STREAM-like H100 copies reach ~2.6-3.0 of 3.35 TB/s', 'S', 'upper end of the published MBU band'),
  nvlinkEfficiency: sourced(0.8, 'nccl-tests all_reduce_perf on 8 x H100 NVSwitch: bus bandwidth ~360 GB/s of 450 GB/s unidirectional', 'S'),
  collectiveLatencySeconds: sourced(10e-6, 'nccl-tests small-message all-reduce latency on one NVSwitch node, ~10 us', 'S'),
  nicBytesPerSecondPerGpu: sourced(50e9, 'DGX H100: 8 x ConnectX-7 400 Gb/s, one per GPU (shared/data/hardware.md A2)', 'P', '400 Gb/s = 50 GB/s'),
  crossNodeCollectiveLatencySeconds: sourced(30e-6, 'OCI cluster network ~2-20 us per hop (shared/data/hardware.md A5/A6) plus NCCL protocol overhead', 'S', 'estimate'),
  kvCacheMemoryFraction: sourced(0.9, 'shared/data/serving.md B2: trtllm-bench kv-cache fraction 0.9-0.95; vLLM gpu_memory_utilization default 0.9', 'P'),
  runtimeOverheadBytes: sourced(2e9, 'vLLM memory profiling: non-torch memory (CUDA context, NCCL, cuBLAS) ~1-3 GB per GPU', 'S'),
  maxTokensPerStep: sourced(8192, 'TensorRT-LLM / vLLM default max_num_tokens / max_num_batched_tokens = 8,192', 'P'),
  maxBatchSize: sourced(2048, 'TensorRT-LLM default max_batch_size 2,048 (shared/data/serving.md B2: CUDA graphs up to 8,192)', 'P'),
};
