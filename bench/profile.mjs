// Per-layer profile of kestrel's CNN kernels: builds single-node ONNX models (conv + bias + relu,
// and a few other anchors) with the layer shapes of resnet18 / mobilenetv2, compiles each,
// checks it against onnxruntime-node and reports median time and GFLOP/s (vs ~240 per core).
// onnxruntime runs with spinning off (runs alternate back to back), or with its default options
// (as users run it) with `--ort default`.
//   node bench/profile.mjs [--filter r18] [--runs 30] [--threads 2] [--ort nospin|default]
// Needs `npm run build` first.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ortDefaultOptions, ortNoSpinOptions } from './ort-options.mjs';
import { compile, load, Tensor } from '../dist/api.js';
import { ModelType } from '../dist/compiler/frontend/onnx/schema.js';
import { opt } from './args.mjs';

const runs = Number(opt('runs', '30'));
const threads = Number(opt('threads', '2'));
const filter = opt('filter', '');
const ortMode = opt('ort', 'nospin');
const ortSessionOptions = ortMode === 'default' ? ortDefaultOptions(threads) : ortNoSpinOptions(threads);

// name, C, H(=W), M, k, stride, pad, group
const LAYERS = [
  ['r18.stem', 3, 224, 64, 7, 2, 3, 1],
  ['r18.l1.3x3', 64, 56, 64, 3, 1, 1, 1],
  ['r18.l2.3x3s2', 64, 56, 128, 3, 2, 1, 1],
  ['r18.l2.1x1s2', 64, 56, 128, 1, 2, 0, 1],
  ['r18.l2.3x3', 128, 28, 128, 3, 1, 1, 1],
  ['r18.l3.3x3', 256, 14, 256, 3, 1, 1, 1],
  ['r18.l4.3x3s2', 256, 14, 512, 3, 2, 1, 1],
  ['r18.l4.3x3', 512, 7, 512, 3, 1, 1, 1],
  ['mb.1x1.16-96', 16, 112, 96, 1, 1, 0, 1],
  ['mb.dw.96s2', 96, 112, 96, 3, 2, 1, 96],
  ['mb.dw.144', 144, 56, 144, 3, 1, 1, 144],
  ['mb.1x1.144-24', 144, 56, 24, 1, 1, 0, 1],
  ['mb.1x1.32-192', 32, 28, 192, 1, 1, 0, 1],
  ['mb.1x1.960-160', 960, 7, 160, 1, 1, 0, 1],
  ['mb.dw.960', 960, 7, 960, 3, 1, 1, 960],
  ['mb.dw.144.nopad', 144, 58, 144, 3, 1, 0, 144],
  ['mb.1x1.144-144', 144, 56, 144, 1, 1, 0, 144],
  ['sq.3x3.16-64', 16, 55, 64, 3, 1, 1, 1],
  ['sq.1x1.64-16', 64, 55, 16, 1, 1, 0, 1],
  ['sq.1x1.512-1000', 512, 13, 1000, 1, 1, 0, 1],
];

const tensor = (name, dims, data) => ({
  name, dims, dataType: 1, rawData: new Uint8Array(Float32Array.from(data).buffer),
});
const vi = (name, dims) => ({
  name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
});
const rand = (n, s) => Array.from({ length: n }, () => (Math.random() * 2 - 1) * s);

function convModel([, C, H, M, k, s, p, g]) {
  const OH = Math.floor((H + 2 * p - k) / s) + 1;
  const attribute = [
    { name: 'kernel_shape', type: 7, ints: [k, k] }, { name: 'strides', type: 7, ints: [s, s] },
    { name: 'pads', type: 7, ints: [p, p, p, p] }, { name: 'group', type: 2, i: g },
  ];
  const graph = {
    name: 'g',
    node: [
      { opType: 'Conv', input: ['x', 'w', 'b'], output: ['c'], attribute, name: 'conv' },
      { opType: 'Relu', input: ['c'], output: ['y'], name: 'relu' },
    ],
    input: [vi('x', [1, C, H, H])], output: [vi('y', [1, M, OH, OH])],
    initializer: [tensor('w', [M, C / g, k, k], rand(M * (C / g) * k * k, 0.2)),
      tensor('b', [M], rand(M, 0.1))],
  };
  const model = { irVersion: 8, producerName: 'kestrel-profile',
    opsetImport: [{ domain: '', version: 17 }], graph };
  const flops = 2 * M * (C / g) * k * k * OH * OH;
  return { bytes: ModelType.encode(ModelType.fromObject(model)).finish(), flops, xdims: [1, C, H, H] };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const dir = mkdtempSync(join(tmpdir(), 'kestrel-profile-'));
console.log(`threads ${threads}, ${runs} runs, onnxruntime ${ortMode} options; `
  + `GFLOP/s vs peak ~${240 * threads}`);
for (const layer of LAYERS) {
  if (filter && !layer[0].includes(filter)) continue;
  const { bytes, flops, xdims } = convModel(layer);
  const path = join(dir, `${layer[0]}.onnx`);
  writeFileSync(path, bytes);
  await compile(path, { output: join(dir, `${layer[0]}.so`) });
  const session = await load(join(dir, `${layer[0]}.so`), { threads });
  const ortS = await ort.InferenceSession.create(path, ortSessionOptions);
  const x = Float32Array.from(rand(xdims.reduce((a, b) => a * b), 1));
  const feeds = { x: new Tensor('float32', x, xdims) };
  const ortFeeds = { x: new ort.Tensor('float32', x, xdims) };
  const got = (await session.run(feeds)).y.data, want = (await ortS.run(ortFeeds)).y.data;
  let err = 0, ref = 0;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(got[i] - want[i])); ref = Math.max(ref, Math.abs(want[i]));
  }
  const ok = err <= 1e-4 + 1e-3 * ref;
  const k = [], o = [];
  for (let i = 0; i < runs; i++) {
    let t0 = performance.now(); await session.run(feeds); k.push(performance.now() - t0);
    t0 = performance.now(); await ortS.run(ortFeeds); o.push(performance.now() - t0);
  }
  session.dispose();
  await ortS.release();
  const km = median(k), om = median(o);
  console.log(`${layer[0].padEnd(16)} ${(flops / 1e6).toFixed(0).padStart(5)} MFLOP  `
    + `kestrel ${km.toFixed(3).padStart(7)} ms `
    + `${(flops / km / 1e6).toFixed(1).padStart(6)} GFLOP/s  ort ${om.toFixed(3).padStart(7)} ms `
    + `${(flops / om / 1e6).toFixed(1).padStart(6)} GFLOP/s  ratio ${(km / om).toFixed(2)}`
    + `${ok ? '' : `  WRONG err ${err}`}`);
}
