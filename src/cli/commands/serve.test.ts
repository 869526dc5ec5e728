import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseReplicaArg } from './serve.ts';

const run = (...args: string[]) => spawnSync('./gigafactory', args, { encoding: 'utf8', timeout: 60_000 });

test('serve: bad flags exit 2 naming the flag, no stack trace', () => {
  for (const [args, flag] of [[['serve'], '--replica'], [['serve', '--replica', 'ftp://x'], '--replica'], [['serve', '--replica', 'http://127.0.0.1:1', '--routing', 'random'], '--routing']] as const) {
    const r = run(...args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, new RegExp(flag));
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

test('serve releases / serve gate without a control plane: gate results live in its store, so a clear error (before any evaluation)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-releases-'));
  try {
    writeFileSync(join(dir, 'gate.yaml'), 'model: m\nthresholds: {min_prompt_pass_rate: 1}\n');
    writeFileSync(join(dir, 'ckpt'), 'x');
    for (const args of [['serve', 'releases', 'tiny-chat', '--json'], ['serve', 'gate', join(dir, 'gate.yaml'), '--checkpoint', join(dir, 'ckpt'), '--local']]) {
      const r = run(...args, '--data-dir', join(dir, 'data'));
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /no control plane found.*\n.*gigafactory up/);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    assert.ok(!existsSync(join(dir, 'data', 'serving')), 'nothing evaluated or copied');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('replica arguments: URL or MODEL=URL', () => {
  assert.deepEqual(parseReplicaArg('http://127.0.0.1:8001/', 'tiny-chat'), { model: 'tiny-chat', url: 'http://127.0.0.1:8001' });
  assert.deepEqual(parseReplicaArg('grok=http://10.0.0.2:8000', 'tiny-chat'), { model: 'grok', url: 'http://10.0.0.2:8000' });
});

test('serve deploy / promote / releases / status against a running control plane; bad input exits 2', { timeout: 120_000 }, async () => {
  const { execFile } = await import('node:child_process');
  const { writeFileSync } = await import('node:fs');
  const { startControlPlane } = await import('../../control/server.ts');
  const dir = mkdtempSync(join(tmpdir(), 'gf-deploy-cli-'));
  const cp = await startControlPlane({ dataDir: join(dir, 'cp'), port: 0, localNodes: 2, tickMs: 100, canSwitchUsers: false, singleUser: true });
  const cli = (...args: string[]) => new Promise<{ status: number; stdout: string; stderr: string }>((ok) => {
    execFile('./gigafactory', [...args, '--data-dir', join(dir, 'cp')], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => ok({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
  });
  try {
    writeFileSync(join(dir, 'plan.json'), JSON.stringify({ model: 'Grok-1', gpusPerReplica: 16, outputTokensPerSecondPerReplica: 1680, batchSize: 71, replicas: 9 }));
    const [big, planned, unknownModel] = await Promise.all([
      cli('serve', 'deploy', 'tiny-chat', '--gpus-per-replica', '0', '--min', '3', '--max', '3'),
      cli('serve', 'deploy', 'grok-1', '--from-plan', join(dir, 'plan.json')),
      cli('serve', 'deploy', 'grok-9', '--from-plan', join(dir, 'plan.json')),
    ]);
    assert.equal(big.status, 2, big.stderr);
    assert.match(big.stderr, /min_replicas: 3 replicas x 1 node\(s\) is larger than the fleet \(2 node\(s\)\)/);
    assert.equal(planned.status, 2, planned.stderr);
    assert.match(planned.stderr, /gpus_per_node: 16 requested/, 'the plan\'s 16-GPU layout does not fit this CPU-only fleet');
    assert.equal(unknownModel.status, 2);
    assert.match(unknownModel.stderr, /MODEL.*grok-9.*serving catalog/);
    const ok = await cli('serve', 'deploy', 'tiny-chat', '--name', 'chat', '--min', '0', '--max', '1');
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /created deployment chat: tiny-chat, 0 GPU\(s\) x 1 node\(s\) per replica, 0-1 replicas/);
    assert.match(ok.stdout, /replicas start once a release is promoted/);
    // The same as YAML; replica_command may be one string, split as --replica-command is.
    writeFileSync(join(dir, 'deployment.yaml'), 'name: yamlchat\nmodel: tiny-chat\ngpus_per_replica: 0\nmin_replicas: 0\nmax_replicas: 1\nreplica_command: vllm serve /models/x --port {port}\n');
    const fromYaml = await cli('serve', 'deploy', '-f', join(dir, 'deployment.yaml'));
    assert.equal(fromYaml.status, 0, fromYaml.stderr);
    assert.match(fromYaml.stdout, /created deployment yamlchat: tiny-chat/);
    const yamlSpec = (await cp.store.deployments.get('yamlchat'))!.doc as { spec: { replica_command: string[] } };
    assert.deepEqual(yamlSpec.spec.replica_command, ['vllm', 'serve', '/models/x', '--port', '{port}']);
    const [canary, unknownRelease, steps, badEval, evalNoCanary, noSuites] = await Promise.all([
      cli('serve', 'promote', 'chat', '--checkpoint', dir, '--canary', '150%'),
      cli('serve', 'promote', 'chat', '--checkpoint', join(dir, 'never-gated')),
      cli('serve', 'releases', '--deployment', 'chat'),
      cli('serve', 'promote', 'chat', '--checkpoint', dir, '--canary', '10%', '--canary-eval', 'facts=0.8'),
      cli('serve', 'promote', 'chat', '--checkpoint', dir, '--canary-eval', 'facts>=0.8'),
      cli('serve', 'promote', 'chat', '--checkpoint', dir, '--canary', '10%', '--canary-eval', 'facts>=0.8', '--canary-suites', join(dir, 'plan.json')),
    ]);
    assert.equal(badEval.status, 2);
    assert.match(badEval.stderr, /--canary-eval: got "facts=0\.8"; expected SUITE>=SCORE/);
    assert.equal(evalNoCanary.status, 2);
    assert.match(evalNoCanary.stderr, /--canary-eval: .*with --canary as well/);
    assert.equal(noSuites.status, 2);
    assert.match(noSuites.stderr, /plan\.json/);
    assert.doesNotMatch(badEval.stderr + evalNoCanary.stderr + noSuites.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(canary.status, 2);
    assert.match(canary.stderr, /--canary.*150%.*1% to 99%/);
    assert.equal(unknownRelease.status, 2);
    assert.match(unknownRelease.stderr, /unknown release of tiny-chat/);
    assert.equal(steps.status, 0, steps.stderr);
    assert.match(steps.stdout, /deployment chat: rollout steps\n.*created/);
    const none = await cli('serve', 'releases', 'tiny-chat', '--json');
    assert.equal(none.status, 0, none.stderr);
    assert.deepEqual(JSON.parse(none.stdout), { served: null, gates: [] }, 'from the plane\'s store');
  } finally {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
