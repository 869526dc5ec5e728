// The GEMM model against published H100 measurements that are not in ../shared/data: OpenXLA's
// default matmul performance table for sm_90 (xla/service/gpu/model/matmul_interpolator_data.h,
// bf16 x bf16 -> bf16, measured cuBLAS throughput by batch x M x N x K). The model was not fitted to
// these points; a batched GEMM is taken as one GEMM of batch x M rows (the batch shares its waves).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GPUS } from '../catalog/gpus.ts';
import { gemmDevice, gemmSeconds } from './gemm.ts';

/** [batch, M, N, K, measured TFLOP/s] from the sm_90 table. */
const XLA_SM90_BF16: readonly (readonly [number, number, number, number, number])[] = [
  [1, 1024, 2048, 256, 139.5], [2, 256, 2048, 2048, 332.2], [1, 4096, 512, 512, 238.8], [4, 4096, 256, 2048, 588.7],
  [2, 1024, 2048, 1024, 493.4], [1, 256, 2048, 4096, 285.9], [2, 512, 2048, 2048, 525.3], [4, 1024, 2048, 2048, 712.7],
  [1, 4096, 1024, 512, 343.7], [1, 2048, 2048, 2048, 632.0], [1, 4096, 4096, 256, 392.2], [2, 2048, 4096, 1024, 678.7],
  [2, 4096, 4096, 2048, 763.0], [1, 4096, 4096, 4096, 783.3], [4, 4096, 1024, 1024, 673.8], [4, 4096, 4096, 512, 619.9],
  [1, 2048, 1024, 2048, 523.3], [2, 4096, 1024, 4096, 750.6], [4, 2048, 2048, 2048, 725.7], [2, 4096, 2048, 4096, 783.2],
  [1, 1024, 2048, 2048, 524.3], [2, 2048, 2048, 1024, 600.2], [4, 4096, 4096, 256, 503.9], [2, 4096, 512, 4096, 729.7],
  [1, 256, 4096, 2048, 324.6],
];

test('GEMM model vs OpenXLA\'s published H100 matmul table: median |error| <= 10%, never more than 15% optimistic', () => {
  const d = gemmDevice(GPUS.h100, 'bf16');
  const errors = XLA_SM90_BF16.map(([b, m, n, k, measured]) => {
    const predicted = (2 * b * m * n * k) / gemmSeconds(d, b * m, n, k) / 1e12;
    return predicted / measured - 1;
  });
  const sorted = errors.map(Math.abs).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  assert.ok(median <= 0.10, `median |error| ${(median * 100).toFixed(1)}%`);
  assert.ok(Math.max(...errors) <= 0.15, `most optimistic ${(Math.max(...errors) * 100).toFixed(1)}%`);
});
