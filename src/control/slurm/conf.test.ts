import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterNode, ClusterTopology } from '../../fleet/types.ts';
import { renderSlurmConfig } from './conf.ts';
import { expandHostlist } from './hostlist.ts';
import { InputError } from '../../lib/errors.ts';

function topo(spec: { pool: string; gpuType: ClusterNode['gpuType']; count: number; rented?: boolean }[], nodesPerLeaf: number, leavesPerSpine: number): ClusterTopology {
  const nodes: ClusterNode[] = [];
  for (const s of spec) {
    for (let i = 0; i < s.count; i++) {
      const index = nodes.length;
      const leaf = Math.floor(index / nodesPerLeaf);
      nodes.push({ index, name: `${s.pool}-${i}`, gpuType: s.gpuType, gpus: s.gpuType === 'cpu' ? 0 : 8, leaf, spine: Math.floor(leaf / leavesPerSpine), pool: s.pool, rented: s.rented ?? false });
    }
  }
  const leafCount = Math.ceil(nodes.length / nodesPerLeaf);
  return { nodes, leafCount, spineCount: Math.ceil(leafCount / leavesPerSpine) };
}

const hw = { hardwareOf: () => ({ cpus: 112, realMemoryMiB: 2_000_000 }) };

/** Parses `Key=Value Key=Value` lines that start with `first`. */
function lines(text: string, first: string): Record<string, string>[] {
  return text.split('\n').filter((l) => l.startsWith(`${first}=`)).map((l) => Object.fromEntries(l.split(/\s+/).map((kv) => kv.split('=', 2) as [string, string])));
}

test('every node appears once in slurm.conf with its GPUs as typed GRES, and once in gres.conf', () => {
  const t = topo([{ pool: 'hall1', gpuType: 'h100', count: 10 }, { pool: 'oci', gpuType: 'h100', count: 3, rented: true }, { pool: 'cpu', gpuType: 'cpu', count: 2 }], 4, 2);
  const f = renderSlurmConfig(t, { clusterName: 'gf', controllerHost: 'ctl', ...hw });
  const nodeLines = lines(f['slurm.conf'], 'NodeName');
  const names = nodeLines.flatMap((l) => expandHostlist(l['NodeName']!));
  assert.deepEqual(names.sort(), t.nodes.map((n) => n.name).sort());
  for (const l of nodeLines) {
    const isCpu = expandHostlist(l['NodeName']!)[0]!.startsWith('cpu');
    assert.equal(l['Gres'], isCpu ? undefined : 'gpu:h100:8');
    assert.equal(l['CPUs'], '112');
  }
  const gresNames = lines(f['gres.conf'], 'NodeName').flatMap((l) => expandHostlist(l['NodeName']!));
  assert.equal(gresNames.length, 13);
  assert.match(f['gres.conf'], /Type=h100 File=\/dev\/nvidia\[0-7\]/);
  assert.match(f['slurm.conf'], /^SlurmctldHost=ctl$/m);
  const parts = lines(f['slurm.conf'], 'PartitionName').map((p) => p['PartitionName']);
  assert.deepEqual(parts, ['all', 'hall1', 'oci', 'cpu']);
});

test('topology.conf: leaves hold their nodes, spines their leaves, one core switch joins the spines', () => {
  const t = topo([{ pool: 'hall1', gpuType: 'h100', count: 20 }], 4, 2);
  const f = renderSlurmConfig(t, { clusterName: 'gf', controllerHost: 'ctl', ...hw });
  const sw = lines(f['topology.conf'], 'SwitchName');
  const leaves = sw.filter((s) => s['Nodes'] !== undefined);
  assert.equal(leaves.length, t.leafCount);
  for (const leaf of leaves) {
    const idx = Number(leaf['SwitchName']!.slice('leaf'.length));
    assert.deepEqual(expandHostlist(leaf['Nodes']!), t.nodes.filter((n) => n.leaf === idx).map((n) => n.name));
  }
  const spines = sw.filter((s) => s['SwitchName']!.startsWith('spine'));
  assert.equal(spines.length, t.spineCount);
  assert.deepEqual(expandHostlist(spines[0]!['Switches']!), ['leaf0', 'leaf1']);
  const core = sw.find((s) => s['SwitchName'] === 'core');
  assert.deepEqual(expandHostlist(core!['Switches']!).length, t.spineCount);
});

test('one spine needs no core switch', () => {
  const f = renderSlurmConfig(topo([{ pool: 'h', gpuType: 'h100', count: 4 }], 2, 4), { clusterName: 'gf', controllerHost: 'ctl', ...hw });
  assert.doesNotMatch(f['topology.conf'], /SwitchName=core/);
});

test('local emulation: localhost nodes, one slurmd port each, fake GPU devices, all paths under the directory', () => {
  const t = topo([{ pool: 'hall1', gpuType: 'h100', count: 4 }, { pool: 'oci', gpuType: 'h200', count: 2 }], 2, 2);
  const f = renderSlurmConfig(t, { clusterName: 'gf', controllerHost: 'ignored', ...hw, local: { dir: '/tmp/x', controllerPort: 30000, firstNodePort: 30001, mungeSocket: '/tmp/x/run/m.sock' } });
  const nodeLines = lines(f['slurm.conf'], 'NodeName');
  const ports = nodeLines.flatMap((l) => {
    const [a, b] = l['Port']!.split('-').map(Number) as [number, number | undefined];
    return Array.from({ length: (b ?? a) - a + 1 }, (_, i) => a + i);
  });
  assert.equal(new Set(ports).size, t.nodes.length);
  assert.ok(!ports.includes(30000));
  assert.ok(nodeLines.every((l) => l['NodeHostname'] === 'localhost'));
  assert.match(f['gres.conf'], /File=\/dev\/tty\[0-7\]/);
  assert.match(f['slurm.conf'], /^SlurmdParameters=config_overrides$/m);
  assert.match(f['slurm.conf'], /^AuthInfo=socket=\/tmp\/x\/run\/m.sock$/m);
  for (const l of f['slurm.conf'].split('\n').filter((x) => /(Location|Dir|File)=/.test(x))) assert.match(l, /=\/tmp\/x\//);
});

test('a node name Slurm cannot take is an input error naming it', () => {
  const t = topo([{ pool: 'h', gpuType: 'h100', count: 1 }], 1, 1);
  const bad: ClusterTopology = { ...t, nodes: [{ ...t.nodes[0]!, name: 'bad name' }] };
  assert.throws(() => renderSlurmConfig(bad, { clusterName: 'gf', controllerHost: 'c', ...hw }), (e: unknown) => e instanceof InputError && /bad name/.test(e.message));
});

test('node weights: owned nodes 1, rented 1 + price in cents per GPU-hour, so Slurm fills owned, then the cheaper pool', () => {
  const t = topo([{ pool: 'hall1', gpuType: 'h100', count: 2 }, { pool: 'dear', gpuType: 'h100', count: 2, rented: true }, { pool: 'cheap', gpuType: 'h100', count: 2, rented: true }], 4, 2);
  const prices: Record<string, number> = { dear: 12.5, cheap: 2.1 };
  const f = renderSlurmConfig(t, { clusterName: 'gf', controllerHost: 'ctl', ...hw, poolPricePerGpuHourUsd: (p) => prices[p] });
  const weightOf = (name: string): number => Number(lines(f['slurm.conf'], 'NodeName').find((l) => expandHostlist(l['NodeName']!).includes(name))!['Weight']);
  assert.equal(weightOf('hall1-0'), 1);
  assert.equal(weightOf('cheap-1'), 211);
  assert.equal(weightOf('dear-0'), 1251);
  // A pool without a price sorts after every priced one.
  const g = renderSlurmConfig(t, { clusterName: 'gf', controllerHost: 'ctl', ...hw });
  assert.ok(Number(lines(g['slurm.conf'], 'NodeName').at(-1)!['Weight']) > 1251);
  // No cloud options: every node an ordinary one, no power saving.
  assert.doesNotMatch(f['slurm.conf'], /State=CLOUD|SuspendProgram/);
});

test('cloud nodes: rented nodes State=CLOUD with the power-saving programs; owned nodes never suspended', () => {
  const t = topo([{ pool: 'hall1', gpuType: 'h100', count: 3 }, { pool: 'oci', gpuType: 'h100', count: 2, rented: true }], 4, 2);
  const cloud = { resumeProgram: '/etc/slurm/slurm-resume', suspendProgram: '/etc/slurm/slurm-suspend', suspendTimeSeconds: 900, resumeTimeoutSeconds: 7500 };
  const f = renderSlurmConfig(t, { clusterName: 'gf', controllerHost: 'ctl', ...hw, cloud })['slurm.conf'];
  const nodes = lines(f, 'NodeName');
  const cloudNodes = nodes.filter((l) => l['State'] === 'CLOUD').flatMap((l) => expandHostlist(l['NodeName']!));
  assert.deepEqual(cloudNodes, ['oci-0', 'oci-1']);
  assert.ok(nodes.filter((l) => l['State'] !== 'CLOUD').every((l) => l['State'] === 'UNKNOWN'));
  for (const line of ['ResumeProgram=/etc/slurm/slurm-resume', 'SuspendProgram=/etc/slurm/slurm-suspend', 'SuspendTime=900', 'ResumeTimeout=7500', 'PrivateData=cloud', 'TreeWidth=65533']) {
    assert.match(f, new RegExp(`^${line}$`, 'm'));
  }
  assert.deepEqual(expandHostlist(/^SuspendExcNodes=(\S+)$/m.exec(f)![1]!), ['hall1-0', 'hall1-1', 'hall1-2']);
  assert.throws(() => renderSlurmConfig(t, { clusterName: 'gf', controllerHost: 'ctl', ...hw, cloud: { ...cloud, suspendTimeSeconds: 0 } }), /suspend time: got 0/);
  // A fleet without rented nodes needs no power saving.
  const owned = topo([{ pool: 'hall1', gpuType: 'h100', count: 3 }], 4, 2);
  assert.doesNotMatch(renderSlurmConfig(owned, { clusterName: 'gf', controllerHost: 'ctl', ...hw, cloud })['slurm.conf'], /ResumeProgram/);
});

test('fleet cloud config: ResumeTimeout is the longest lead time plus boot, capped at what slurmctld accepts', async () => {
  const { fleetSlurmConfig } = await import('./fleet-config.ts');
  const { FLEET_PRESETS } = await import('../../fleet/presets.ts');
  const base = Object.values(FLEET_PRESETS)[0]!;
  const pool = { name: 'oci', provider: 'oracle', nodeType: 'oci-bm-gpu-h100-8', maxNodes: 2, pricePerGpuHourUsd: 10, minimumHours: 1 };
  const fleet = (leadTimeHours: number) => ({ ...base, halls: [{ name: 'hall-a', nodeType: 'hgx-h100', nodes: 2 }], pools: [{ ...pool, leadTimeHours }] });
  const cloud = { cliPath: '/opt/gf/gigafactory', fleetArg: '/etc/gf/fleet.yaml', programDir: '/etc/slurm' };
  const quick = fleetSlurmConfig(fleet(1), { cloud });
  assert.match(quick['slurm.conf'], /^ResumeTimeout=3900$/m);
  assert.match(quick['slurm-resume']!, /^exec '\/opt\/gf\/gigafactory' slurm resume --fleet '\/etc\/gf\/fleet.yaml' "\$1"/m);
  const slow = fleetSlurmConfig(fleet(48), { cloud })['slurm.conf'];
  assert.match(slow, /^ResumeTimeout=65535$/m);
  assert.match(slow, /^# Pool oci: lead time 48 h is longer than Slurm's largest ResumeTimeout/m);
});
