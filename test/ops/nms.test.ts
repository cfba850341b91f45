// NonMaxSuppression as nms_select -> nms_count -> nms_gather (ir/ops/nms.ts), run through the
// reference interpreter, vs a JS greedy selection written independently (repeatedly the best
// remaining box, IoU as onnxruntime computes it): corner and centre box formats, score and IoU
// thresholds, per-class limits, score ties, several batches and classes; the shape relation and
// its failures.
import { describe, expect, it } from 'vitest';
import { dimKey, sym } from '../../ir/dim.js';
import { inferTyped, runTyped, tin, type TIn } from './typed-run.js';

interface Opts { center: boolean; maxOut: number | null; iou: number | null; scoreMin: number | null }

function corners(bx: number[], center: boolean): number[] {
  if (center) return [bx[0] - bx[2] / 2, bx[0] + bx[2] / 2, bx[1] - bx[3] / 2, bx[1] + bx[3] / 2];
  return [Math.min(bx[1], bx[3]), Math.max(bx[1], bx[3]), Math.min(bx[0], bx[2]), Math.max(bx[0], bx[2])];
}

function iouOver(a: number[], b: number[], thr: number): boolean {
  const ix0 = Math.max(a[0], b[0]), ix1 = Math.min(a[1], b[1]);
  const iy0 = Math.max(a[2], b[2]), iy1 = Math.min(a[3], b[3]);
  if (ix1 <= ix0 || iy1 <= iy0) return false;
  const inter = (ix1 - ix0) * (iy1 - iy0);
  const aa = (a[1] - a[0]) * (a[3] - a[2]), ab = (b[1] - b[0]) * (b[3] - b[2]);
  if (aa <= 0 || ab <= 0 || aa + ab - inter <= 0) return false;
  return inter / (aa + ab - inter) > thr;
}

function nmsRef(boxes: number[], scores: number[], [B, C, S]: number[], o: Opts): number[][] {
  const out: number[][] = [];
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const sc = scores.slice((b * C + c) * S, (b * C + c + 1) * S);
      const bx = (s: number) => corners(boxes.slice((b * S + s) * 4, (b * S + s + 1) * 4), o.center);
      const left = new Set(sc.map((_, s) => s).filter((s) => o.scoreMin === null || sc[s] > o.scoreMin));
      const kept: number[] = [];
      while (left.size > 0 && kept.length < (o.maxOut ?? 0)) {
        let best = -1;
        for (const s of left) if (best < 0 || sc[s] > sc[best]) best = s;
        left.delete(best);
        if (!kept.some((k) => iouOver(bx(best), bx(k), o.iou ?? 0))) kept.push(best);
      }
      for (const k of kept) out.push([b, c, k]);
    }
  }
  return out;
}

function nms(boxes: number[], scores: number[], dims: number[], o: Opts): number[][] {
  const [B, C, S] = dims;
  const scalar = (dt: 'int64' | 'float32', v: number | null): TIn | null => (v === null ? null
    : tin(dt, [1], [v]));
  const ins = [tin('float32', [B, S, 4], boxes), tin('float32', [B, C, S], scores),
    scalar('int64', o.maxOut), scalar('float32', o.iou), scalar('float32', o.scoreMin)];
  const sel = runTyped('nms_select', ins, { centerPointBox: Number(o.center) });
  expect(sel.status).toBe(0);
  const per = sel.outputs[0];
  const cnt = runTyped('nms_count', [tin('int64', [B, C], per)], {});
  const count = cnt.outputs[0][0];
  const g = runTyped('nms_gather', [tin('int64', [B, C, S], sel.outputs[2]), tin('int64', [B, C], per),
    tin('int64', [1], [count], true)], {});
  expect(g.types[0].shape).toEqual([count, 3]);
  return Array.from({ length: count }, (_, i) => g.outputs[0].slice(3 * i, 3 * i + 3));
}

/** Boxes on a small lattice (many overlaps, some degenerate) and scores with ties. */
function data(B: number, C: number, S: number, center: boolean): [number[], number[]] {
  const boxes: number[] = [];
  for (let i = 0; i < B * S; i++) {
    const x = (i * 3) % 5, y = (i * 5) % 4, w = 1 + (i % 4), h = 1 + ((i * 7) % 3);
    const corner = i % 2 ? [y, x, y + h, x + w] : [y + h, x + w, y, x];
    boxes.push(...(center ? [x, y, w, i % 9 === 0 ? 0 : h] : corner));
  }
  const scores = Array.from({ length: B * C * S }, (_, i) => Math.fround(((i * 37) % 11) / 10));
  return [boxes, scores];
}

describe('non-max suppression', () => {
  const cases: [string, number[], Opts][] = [
    ['corners, IoU 0.5, every box above 0', [1, 1, 12], { center: false, maxOut: 20, iou: 0.5, scoreMin: 0 }],
    ['centre boxes, IoU 0.3', [1, 2, 10], { center: true, maxOut: 20, iou: 0.3, scoreMin: null }],
    ['two batches, three classes, limit 2 per class', [2, 3, 9], { center: false, maxOut: 2, iou: 0.4,
      scoreMin: 0.35 }],
    ['IoU 0 suppresses any overlap', [1, 1, 15], { center: false, maxOut: 100, iou: null, scoreMin: null }],
    ['no limit given keeps nothing', [1, 2, 6], { center: false, maxOut: null, iou: 0.5, scoreMin: null }],
  ];
  for (const [name, [B, C, S], o] of cases) {
    it(name, () => {
      const [boxes, scores] = data(B, C, S, o.center);
      const want = nmsRef(boxes.map(Math.fround), scores, [B, C, S], o);
      // Each case keeps some boxes and (limits aside) suppresses others.
      if (o.maxOut) expect(want.length).toBeGreaterThan(0);
      if (o.maxOut && o.maxOut >= S) expect(want.length).toBeLessThan(S * B * C);
      expect(nms(boxes, scores, [B, C, S], o)).toEqual(want);
    });
  }
  it('shapes: scratch per class, rows = the count (a symbol at compile time)', () => {
    const boxes = tin('float32', [1, 5, 4], [], false, [sym('b'), sym('s'), 4]);
    const scores = tin('float32', [1, 3, 5], [], false, [sym('b'), 3, sym('s')]);
    const t = inferTyped('nms_select', [boxes, scores, null, null, null], { centerPointBox: 0 });
    expect(t.map((x) => x.shape.map(dimKey))).toEqual([['b', '3'], ['b', '3', 's'], ['b', '3', 's']]);
  });
  it('rejects boxes of the wrong shape, integer scores and a threshold of several elements', () => {
    const sc = tin('float32', [1, 1, 2], [0, 0]);
    const run = (bx: TIn, s: TIn, iou: TIn | null = null) => () =>
      inferTyped('nms_select', [bx, s, null, iou, null], { centerPointBox: 0 });
    expect(run(tin('float32', [1, 2, 3], new Array<number>(6).fill(0)), sc)).toThrow(/KC0402/);
    expect(run(tin('float32', [2, 4], new Array<number>(8).fill(0)), sc)).toThrow(/KC0402/);
    const bx = tin('float32', [1, 2, 4], new Array<number>(8).fill(0));
    expect(run(bx, tin('int32', [1, 1, 2], [0, 0]))).toThrow(/KC0402/);
    expect(run(bx, sc, tin('float32', [2], [0.5, 0.5]))).toThrow(/KC0402/);
  });
});
