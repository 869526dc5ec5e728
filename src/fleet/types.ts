import type { GpuSpec } from '../catalog/gpus.ts';
import type { NodeType } from '../catalog/nodes.ts';

/** A node type (defined in the catalog layer, which may not import fleet). */
export type { NodeType };

/**
 * A fleet as described in YAML (`gigafactory fleet show FILE`): owned halls plus rented pools,
 * one scale-out network, facility figures. The YAML uses snake_case keys; the loader maps them.
 */
export interface FleetSpec {
  readonly name: string;
  readonly description?: string;
  readonly halls: readonly HallSpec[];
  readonly pools: readonly PoolSpec[];
  readonly network: NetworkSpec;
  readonly facility: FacilitySpec;
  /** Node types defined by the fleet itself (e.g. the detected `local` machine), by id; looked up before the catalog. */
  readonly nodeTypes?: Readonly<Record<string, NodeType>>;
}

/** Owned capacity: a data hall of identical nodes. */
export interface HallSpec {
  readonly name: string;
  /** Node type id from the node catalog (e.g. `hgx-h100`). */
  readonly nodeType: string;
  readonly nodes: number;
  /** Nodes per rack; default: the node type's nodesPerRack. */
  readonly nodesPerRack?: number;
}

/** Rented capacity from a cloud provider (e.g. OCI BM.GPU.H100.8). */
export interface PoolSpec {
  readonly name: string;
  readonly provider: string;
  readonly nodeType: string;
  /** Most nodes that can be rented at once. */
  readonly maxNodes: number;
  readonly pricePerGpuHourUsd: number;
  /** Time from request to usable node. */
  readonly leadTimeHours: number;
  /** Minimum rental per node, hours (billing granularity / commitment). */
  readonly minimumHours: number;
  /**
   * The provider's own parameters, as the fleet file gives them (snake_case keys): for
   * `provider: oracle`, compartment_id, availability_domain, shape, subnet_id, image_id and
   * oci_auth / oci_config_file / oci_profile / oci_endpoint. Checked by the provider when used.
   */
  readonly providerConfig?: Readonly<Record<string, string>>;
}

export interface NetworkSpec {
  /** Switch id from the network catalog (e.g. `qm9700`, `sn5600`). */
  readonly switchType: string;
  /** Compute NIC speed per GPU, Gb/s. */
  readonly nicGbps: number;
  /** One plane per GPU rail (rail-optimized) vs one flat plane. */
  readonly railOptimized: boolean;
  /** Downlinks : uplinks at the leaf (1 = non-blocking). */
  readonly oversubscription: number;
  /** One-way latency per switch hop, microseconds. */
  readonly hopLatencyMicroseconds: number;
}

export interface FacilitySpec {
  readonly pue: number;
  readonly electricityUsdPerKwh: number;
  /** Years over which capex is spread for the hourly cost of owning. */
  readonly amortizationYears: number;
}

/**
 * The cluster as the scheduler sees it: nodes indexed 0..n-1 with their network domains.
 * Built once per fleet generation and shared read-only (Kueue's topologyTree).
 */
export interface ClusterTopology {
  readonly nodes: readonly ClusterNode[];
  /** Leaf (top-of-rail-group) domains and the spine (pod) domains above them. */
  readonly leafCount: number;
  readonly spineCount: number;
}

export interface ClusterNode {
  readonly index: number;
  readonly name: string;
  readonly gpuType: GpuSpec['id'] | 'cpu';
  readonly gpus: number;
  /** Leaf domain index, 0..leafCount-1. */
  readonly leaf: number;
  /** Spine domain index, 0..spineCount-1. */
  readonly spine: number;
  /** Hall or pool name. */
  readonly pool: string;
  readonly rented: boolean;
}
