// Winograd F(m x m, 3 x 3) for dense 3x3 stride-1 convolutions: conv(x, g, b) becomes
//   v = wino_in(x)                       [N, alpha^2 * C, T]   the input transform B^T d B
//   p = conv(v, U, group = alpha^2)      [N, alpha^2 * K, T]   alpha^2 matrix products U[xi] . V[xi]
//   y = wino_out(p, b)                   [N, K, OH, OW]        the output transform A^T p A, + bias
// (ir/ops/winograd.ts), with U = G g G^T computed here, in float64, and rounded once. The products
// run on the pointwise GEMM (ir/ops/conv-gemm.ts), so a 3x3 conv costs alpha^2 / (9 m^2) of its
// direct multiply-adds (m = 4: 36 / 144) plus the two transforms, which are linear in C and K.
// y keeps the conv's output value, so the conv's epilogue (bias, activation, residual add) fuses
// into wino_out as it did into the conv.
// When it pays (measured, one thread, against the packed direct conv): enough tiles per image for
// the products' pixel vectors (MIN_TILES), and channels enough on both sides that the transforms,
// linear in C and K, stay small beside the products' C * K (estimatedSpeedup). The transformed
// weights are (alpha / 3)^2 times the size of the originals (4x for m = 4).
// Requires: runs before pad-conv-inputs (it takes the conv's own pads) and before the packing
// passes. Guarantees: outputs within float32 rounding of the direct conv (the transforms' error
// grows with m: about 1e-6 relative at m = 2 and 1e-5 at m = 4 on unit-scale data); only convs
// that are 2-D, group 1, 3x3, stride 1, dilation 1, explicitly padded by at most 2, with constant
// float32 weights and static channel counts change (planes may be symbolic); GPU targets are not
// rewritten.

import { constFloat32, constFromFloat32 } from '../../ir/const.js';
import { type Dim, dimVars, evalDim, isStatic } from '../../ir/dim.js';
import type { Func, IdGen, Node } from '../../ir/graph.js';
import { isConst, makeValue } from '../../ir/graph.js';
import { WINOGRAD_G, tilesType } from '../../ir/ops/winograd.js';

/**
 * Fewest tiles per image for each tile size. m = 4 needs planes of about 25 x 25 (resnet18's layer1
 * and layer2, measured 2.3x and 1.9x faster than the direct conv per conv, one thread); smaller
 * planes take m = 2, whose transforms waste fewer lanes on short rows and whose weights are 16/9
 * of the originals instead of 4x (layer3's 14 x 14: m = 2 1.4x, m = 4 1.2x). Layer4's 7 x 7 (16
 * tiles of m = 2) gains about 5% for 1.8x its weights, so planes under 11 x 11 stay direct.
 */
export const MIN_TILES: Readonly<Record<number, number>> = { 4: 48, 2: 36 };
/**
 * The value a symbolic image side is judged at (dynamic-shape artifacts: see `nominal`): small, so
 * that a plane the transforms do not pay on at run time is rarely taken (unet_tiny at 128 x 128:
 * judged at 224, its 16 x 16 planes took m = 4 and ran 1.3-1.4x slower than direct).
 */
export const NOMINAL_EXTENT = 128;
/**
 * The estimated speedup over the direct conv: 9 C K multiply-adds per output pixel against
 * (alpha / m)^2 (C K + TRANSFORM_COST (C + K)) for the products and the two transforms, in units of
 * the products' time per multiply-add, the direct conv's being DIRECT_COST (measured, one thread:
 * resnet18's 64 -> 64 on 56 x 56, direct 2,200 us; products 638 us, transforms 140 and 92 us).
 * A conv is rewritten at the first tile size (4, then 2) with tiles enough and an estimate of at
 * least MIN_SPEEDUP: squeezenet's 16 -> 64 at m = 4 (1.64; measured 1.6x) is, unet_tiny's 16 -> 16
 * at m = 4 (1.25; measured 0.86x) and yolo_tiny's 32 -> 32 at m = 2 (1.03; 0.87-0.93x) are not.
 */
const DIRECT_COST = 0.86;
const TRANSFORM_COST = 14;
const MIN_SPEEDUP = 1.3;

export function estimatedSpeedup(C: number, K: number, m: number): number {
  const per = ((m + 2) / m) ** 2 * (C * K + TRANSFORM_COST * (C + K));
  return (9 * C * K * DIRECT_COST) / per;
}

/**
 * A plane extent for choosing the tile: its value, or for a symbolic one its value with every
 * symbol at NOMINAL_EXTENT (an image side; the batch never enters a plane's extent).
 */
function nominal(d: Dim): number {
  return isStatic(d) ? d : evalDim(d, new Map(dimVars(d).map((v) => [v, NOMINAL_EXTENT])));
}

const same = (xs: unknown, want: readonly number[]): boolean =>
  Array.isArray(xs) && xs.length === want.length && xs.every((v, i) => v === want[i]);

/** The tile size for this conv, or null when it stays a direct conv. */
export function winogradTile(n: Node): number | null {
  const [x, w] = n.inputs;
  if (n.op !== 'conv' || !x || !isConst(w) || w.data.dtype !== 'float32') return null;
  if (x.type.dtype !== 'float32') return null;
  if (x.type.shape.length !== 4 || w.data.shape.length !== 4 || n.attrs.packedOc !== undefined) return null;
  if ((n.attrs.group ?? 1) !== 1 || (n.attrs.autoPad ?? 'NOTSET') !== 'NOTSET') return null;
  const ones = (xs: unknown): boolean => xs === undefined || same(xs, [1, 1]);
  if (!same(n.attrs.kernel, [3, 3]) || !ones(n.attrs.strides) || !ones(n.attrs.dilations)) return null;
  const pads = (n.attrs.pads as readonly number[] | undefined) ?? [0, 0, 0, 0];
  if (pads.length !== 4 || pads.some((p) => p > 2)) return null;
  const out = n.outputs[0].type.shape;
  const [C, K] = [x.type.shape[1], out[1]];
  if (!isStatic(C) || !isStatic(K)) return null;
  const [OH, OW] = [nominal(out[2]), nominal(out[3])];
  const tiles = (m: number): number => Math.ceil(OH / m) * Math.ceil(OW / m);
  return [4, 2].find((t) => tiles(t) >= MIN_TILES[t] && estimatedSpeedup(C, K, t) >= MIN_SPEEDUP) ?? null;
}

/** U[xi][k][c] = (G g[k][c] G^T)[i][j], xi = i * alpha + j, from g[K][C][3][3]. */
export function winogradWeights(g: Float32Array, K: number, C: number, m: number): Float32Array {
  const G = WINOGRAD_G[m], al = m + 2;
  const u = new Float32Array(al * al * K * C);
  const t = new Float64Array(al * 3);
  for (let k = 0; k < K; k++) {
    for (let ch = 0; ch < C; ch++) {
      const base = (k * C + ch) * 9;
      for (let i = 0; i < al; i++) { // t = G g  (alpha x 3)
        for (let b = 0; b < 3; b++) {
          t[i * 3 + b] = G[i][0] * g[base + b] + G[i][1] * g[base + 3 + b] + G[i][2] * g[base + 6 + b];
        }
      }
      for (let i = 0; i < al; i++) { // U = t G^T  (alpha x alpha)
        for (let j = 0; j < al; j++) {
          const v = t[i * 3] * G[j][0] + t[i * 3 + 1] * G[j][1] + t[i * 3 + 2] * G[j][2];
          u[((i * al + j) * K + k) * C + ch] = v;
        }
      }
    }
  }
  return u;
}

export function winogradConv(f: Func, ids: IdGen): Func {
  const nodes: Node[] = [];
  for (const n of f.nodes) {
    const m = winogradTile(n);
    if (m === null) { nodes.push(n); continue; }
    const [x, w, bias] = n.inputs as [NonNullable<Node['inputs'][0]>, NonNullable<Node['inputs'][0]>,
      Node['inputs'][0]];
    const C = x.type.shape[1] as number, K = n.outputs[0].type.shape[1] as number, al = m + 2;
    const pads = (n.attrs.pads as readonly number[] | undefined) ?? [0, 0, 0, 0];
    const vt = tilesType(x.type, C, m, pads);
    const v = makeValue(ids, `${x.name}_wino`, vt);
    const uShape = [al * al * K, C, 1];
    const u = makeValue(ids, `${w.name}_wino`, { dtype: 'float32', shape: uShape },
      constFromFloat32(uShape, winogradWeights(constFloat32(w.data!), K, C, m)));
    const p = makeValue(ids, `${n.outputs[0].name}_wino`, tilesType(x.type, K, m, pads));
    nodes.push(Object.freeze({ id: ids.id(), op: 'wino_in', inputs: [x], outputs: [v],
      attrs: Object.freeze({ tile: m, pads: [...pads] }), origin: n.origin }));
    nodes.push(Object.freeze({ id: ids.id(), op: 'conv', inputs: [v, u, null], outputs: [p],
      attrs: Object.freeze({ kernel: [1], strides: [1], pads: [0, 0], dilations: [1], autoPad: 'NOTSET',
        group: al * al }), origin: n.origin }));
    nodes.push(Object.freeze({ id: n.id, op: 'wino_out', inputs: bias ? [p, x, bias] : [p, x],
      outputs: n.outputs,
      attrs: Object.freeze({ tile: m, pads: [...pads] }), origin: n.origin }));
  }
  return Object.freeze({ ...f, nodes });
}
