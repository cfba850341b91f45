// The tuning curve: replayed from the log's timestamps, weighted by the tasks' weights, from the
// defaults' total down as each task's best ratio improves; pauses longer than a minute are cut
// out; invalid records and other targets' records do not count. Its SVG is well formed.

import { describe, expect, it } from 'vitest';
import type { TuneRecord } from '../../compiler/tune/log.js';
import { curveSvg, plotPath, tuningCurve } from '../../compiler/tune/plot.js';

const t0 = Date.parse('2026-01-01T00:00:00Z');
const rec = (workload: string, s: number, x: Partial<TuneRecord>): TuneRecord => ({
  kind: 'kestrel-tune', v: 1, workload, target: 'cpu', bucket: 'static', knobs: { k: s }, status: 'ok',
  ms: 1, baseMs: 1, time: new Date(t0 + s * 1000).toISOString(), ...x });

describe('the tuning curve', () => {
  it('replays the log into the estimated latency over tuning time', () => {
    const records = [
      rec('b', 7203, { ms: 0.75 }), // after a two-hour pause (counted as one minute)
      rec('a', 0, { isDefault: true, ms: 1 }),
      rec('b', 1, { isDefault: true, ms: 2 }),
      rec('a', 2, { ms: 0.25, baseMs: 0.5 }),
      rec('a', 3, { status: 'invalid', ms: undefined, baseMs: undefined }),
      rec('a', 4, { ms: 0.01, target: 'other' }),
    ];
    const curve = tuningCurve(records, [{ key: 'a', weight: 1 }, { key: 'b', weight: 2 }], 'cpu');
    expect(curve).toEqual([{ s: 0, ms: 5 }, { s: 1, ms: 5 }, { s: 2, ms: 4.5 }, { s: 62, ms: 3.5 }]);
    const svg = curveSvg(curve, 'm.onnx <tuned>');
    expect(svg.startsWith('<svg ')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('m.onnx &lt;tuned&gt;');
    expect(svg).toMatch(/<path d="M[\d.]+,[\d.]+(H[\d.]+V[\d.]+){3}"/);
    expect(curveSvg([], 'empty')).not.toContain('<path');
    expect(plotPath('/x/tune.jsonl')).toBe('/x/tune.svg');
  });
});
