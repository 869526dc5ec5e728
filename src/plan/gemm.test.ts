import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GPUS } from '../catalog/gpus.ts';
import { gemmDevice, gemmSeconds, gemmUtilization, splitK } from './gemm.ts';

const h100 = gemmDevice(GPUS.h100, 'bf16');

test('a large, perfectly tiled GEMM runs near the measured ceiling (MAMF) and is compute bound', () => {
  const n = 132 * 256; // one full wave of 128x256 tiles per 128 rows
  const t = gemmSeconds(h100, 128 * 8, n, 8192);
  const flops = 2 * 128 * 8 * n * 8192;
  const achieved = flops / t;
  assert.ok(achieved < h100.peakFlopsPerSecond * h100.kernelFraction);
  assert.ok(achieved > 0.9 * h100.peakFlopsPerSecond * h100.kernelFraction, `${achieved / 1e12} TFLOP/s`);
});

test('wave quantization: one tile more than a full wave costs a second wave', () => {
  const full = gemmUtilization(h100, 128, 256 * 132, 8192);
  const over = gemmUtilization(h100, 128, 256 * 133, 8192);
  assert.ok(over < 0.55 * full, `${over} vs ${full}`);
});

test('small outputs with a long K use split-K instead of idling most SMs', () => {
  assert.equal(splitK(h100, 8192, 8192, 8192), 1);
  assert.ok(splitK(h100, 512, 2688, 18432) > 1);
  assert.ok(gemmUtilization(h100, 512, 2688, 18432) > 0.5);
});

test('FP8 is faster than BF16 for a large GEMM but less than 2x (kernel fraction, K fill)', () => {
  const fp8 = gemmDevice(GPUS.h100, 'fp8');
  const ratio = gemmSeconds(h100, 8192, 8192, 8192) / gemmSeconds(fp8, 8192, 8192, 8192);
  assert.ok(ratio > 1.3 && ratio < 2, String(ratio));
});

test('a skinny GEMM is memory bound: time follows bytes / HBM bandwidth', () => {
  const t = gemmSeconds(h100, 1, 16384, 16384);
  const bytes = (16384 + 16384 * 16384) * 2 + 16384 * 2;
  assert.ok(t >= bytes / h100.hbmBytesPerSecond);
});
