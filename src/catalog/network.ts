import { sourced, type Sourced } from './source.ts';
import { UnknownNameError } from '../lib/errors.ts';

/** A scale-out switch: ports, capacity, and what it costs in watts, dollars and latency. */
export interface SwitchSpec {
  readonly id: string;
  readonly name: string;
  readonly fabric: 'infiniband' | 'ethernet';
  /** Native port speed, Gb/s, and the number of native ports. */
  readonly portGbps: Sourced;
  readonly ports: Sourced;
  /** Most logical ports with breakout cables (a 64 x 800G switch runs as 128 x 400G). */
  readonly maxLogicalPorts: Sourced;
  readonly maxPowerWatts: Sourced;
  readonly priceUsd: Sourced;
  /** Port-to-port latency of one hop, microseconds. */
  readonly hopLatencyMicroseconds: Sourced;
}

const QM9700 = 'NVIDIA Quantum-2 QM9700: 64 x 400 Gb/s NDR, 51.2 Tb/s, 1U (itctshop switch guide; yobitel KB), via shared/data/hardware.md A3';
const SN5600 = 'NVIDIA Spectrum-4 SN5600: 64 x 800 GbE or 128 x 400 GbE, 51.2 Tb/s, 2U (probsee; convergedigest; getcoai Colossus), via shared/data/hardware.md A3';
const Q3400 = 'NVIDIA Quantum-X800 Q3400: 144 x 800 Gb/s XDR (ziash NCA-AIIO guide), via shared/data/hardware.md A3';
const SWITCH_PRICE = 'H100 Freakonomics sheet: 64-port switch $36k (tech-talk-cto, Aug 2024), via shared/data/hardware.md A3';
const LATENCY_NOTE = 'estimate: OCI reports ~2 us end to end across a 3-tier RDMA fabric (5 switch hops + 2 NICs), shared/data/hardware.md A6';

export const SWITCHES: Readonly<Record<string, SwitchSpec>> = {
  qm9700: {
    id: 'qm9700', name: 'NVIDIA Quantum-2 QM9700 (InfiniBand NDR)', fabric: 'infiniband',
    portGbps: sourced(400, QM9700), ports: sourced(64, QM9700),
    maxLogicalPorts: sourced(128, QM9700, 'S', '2 x 200 Gb/s splitter per 400G port'),
    maxPowerWatts: sourced(1_720, 'NVIDIA QM9700 datasheet, max power with active cables', 'S', 'estimate from datasheet recollection; small next to 10 kW nodes'),
    priceUsd: sourced(36_000, SWITCH_PRICE),
    hopLatencyMicroseconds: sourced(0.2, 'Quantum-2 port-to-port latency (~130-200 ns class)', 'S', LATENCY_NOTE),
  },
  sn5600: {
    id: 'sn5600', name: 'NVIDIA Spectrum-4 SN5600 (Spectrum-X Ethernet)', fabric: 'ethernet',
    portGbps: sourced(800, SN5600), ports: sourced(64, SN5600),
    maxLogicalPorts: sourced(256, 'SN5600: breakout up to 256 x 100/200 GbE (probsee)', 'S'),
    maxPowerWatts: sourced(2_000, 'SN5600 2U 51.2 Tb/s class', 'S', 'estimate: same ASIC class as QM9700 plus 800G optics'),
    priceUsd: sourced(36_000, SWITCH_PRICE, 'S', 'assumed equal to the 64-port IB switch price'),
    hopLatencyMicroseconds: sourced(0.5, 'Spectrum-4 cut-through Ethernet hop', 'S', LATENCY_NOTE),
  },
  q3400: {
    id: 'q3400', name: 'NVIDIA Quantum-X800 Q3400 (InfiniBand XDR)', fabric: 'infiniband',
    portGbps: sourced(800, Q3400), ports: sourced(144, Q3400),
    maxLogicalPorts: sourced(288, Q3400, 'S', '2 x 400 Gb/s per 800G port'),
    maxPowerWatts: sourced(5_000, 'Q3400 4U 115 Tb/s class', 'S', 'estimate: ~2.25x the 51.2 Tb/s switches'),
    priceUsd: sourced(81_000, SWITCH_PRICE, 'D', '$36k x 144/64 ports'),
    hopLatencyMicroseconds: sourced(0.2, 'Quantum-X800 port-to-port latency', 'S', LATENCY_NOTE),
  },
};

export const switchIds = Object.keys(SWITCHES);

export function switchSpec(id: string): SwitchSpec {
  const s = SWITCHES[id];
  if (s === undefined) throw new UnknownNameError('switch type', id, switchIds);
  return s;
}

/** Ports a switch offers at a NIC speed (breakout included), or 0 if the speed is above the native port speed. */
export function radixAt(s: SwitchSpec, nicGbps: number): number {
  if (nicGbps > s.portGbps.value || nicGbps <= 0) return 0;
  const byCapacity = Math.floor((s.ports.value * s.portGbps.value) / nicGbps);
  return Math.min(byCapacity, s.maxLogicalPorts.value);
}

/** Endpoint latencies outside the switches. */
export const LINK_LATENCY = {
  /** RDMA NIC + PCIe, one side, microseconds. */
  nicMicroseconds: sourced(0.5, 'OCI ~2 us end to end across 3 tiers, shared/data/hardware.md A6', 'D', '(2 us - 5 hops x 0.2 us) / 2 NICs'),
  /** GPU-to-GPU through NVSwitch within a node, microseconds. */
  nvlinkMicroseconds: sourced(1.0, 'NCCL small-message latency within an HGX node (~1 us class)', 'S', 'estimate'),
} as const;
