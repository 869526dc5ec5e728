// The simulator's public surface for edges (CLI, bench, web).
export { simulate } from './simulate.ts';
export { formatReport } from './format.ts';
export { grokWorkload, GROK_MIX } from './grok.ts';
export { pretrainWorkload } from './pretrain.ts';
export { twinSizing, type TwinSizing } from './sizing.ts';
export { parseTrace, TRACE_ADAPTERS } from './traces.ts';
export { parseWorkloadArg, WORKLOAD_HELP, type WorkloadArg } from './workload-arg.ts';
export { DEFAULT_FAILURE_MODEL, sparesNeeded, type FailureModel } from './failures.ts';
export { DEFAULT_SIM, type SimOptions, type Workload, type RecoveryMode } from './types.ts';
export type { SimReport } from './report.ts';
