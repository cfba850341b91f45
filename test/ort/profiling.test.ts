// kestrel/ort's profiling against onnxruntime-node's on the same model: enableProfiling with
// profileFilePrefix writes `${prefix}_${YYYY-MM-DD_HH-MM-SS_mmm}.json` on endProfiling (which
// returns its name), a JSON array of Chrome trace events with onnxruntime's fields; Session events
// for loading, initialisation and each run, Node events for each kernel call inside its run, with
// op_name and provider. Also: endProfiling without a profile, startProfiling, release() writing
// a profile still recorded, and invalid values (KR0401).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from '../../ort/index.js';
import { DEFAULT_PROFILE_PREFIX, mapSessionOptions } from '../../ort/options.js';
import type { OrtProfileEvent } from '../../ort/profiling.js';
import { encodeModel, FLOAT, node, vi as valueInfo } from '../fixtures/onnx-builder.js';
import { tempDir } from '../helpers/shared.js';

const dir = tempDir('kestrel-ort-profile-');
const model = join(dir, 'two.onnx');
writeFileSync(model, encodeModel({
  nodes: [node('Relu', ['x'], ['r']), node('MatMul', ['r', 'w'], ['y']), node('Neg', ['x'], ['z'])],
  inputs: [valueInfo('x', FLOAT, ['n', 4]), valueInfo('w', FLOAT, [4, 3])],
  outputs: [valueInfo('y', FLOAT, ['n', 3]), valueInfo('z', FLOAT, ['n', 4])],
}));
const feeds = (n: number): Record<string, ort.Tensor> => ({
  x: new ort.Tensor('float32', Float32Array.from({ length: n * 4 }, (_, i) => i - 3), [n, 4]),
  w: new ort.Tensor('float32', Float32Array.from({ length: 12 }, (_, i) => i / 4), [4, 3]),
});
// onnxruntime's file name: prefix, '_', local time to the millisecond.
const STAMPED = /_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d_\d{3}\.json$/;

const readProfile = (file: string): OrtProfileEvent[] =>
  JSON.parse(readFileSync(file, 'utf8')) as OrtProfileEvent[];
const filesIn = (d: string): string[] => readdirSync(d).sort();

let saved: string | undefined;
beforeAll(() => {
  saved = process.env.KESTREL_CACHE_DIR;
  process.env.KESTREL_CACHE_DIR = join(dir, 'cache');
});
afterAll(() => {
  if (saved === undefined) delete process.env.KESTREL_CACHE_DIR;
  else process.env.KESTREL_CACHE_DIR = saved;
});

/** onnxruntime-node's profile of two runs of the model (it names no file: the one in `out`). */
async function ortNodeProfile(out: string): Promise<{ file: string; events: OrtProfileEvent[] }> {
  const s = await ortNode.InferenceSession.create(model, { enableProfiling: true,
    profileFilePrefix: join(out, 'ort') });
  const f = feeds(2);
  const asNode = (t: ort.Tensor): ortNode.Tensor =>
    new ortNode.Tensor('float32', t.data as Float32Array, t.dims);
  for (let i = 0; i < 2; i++) await s.run({ x: asNode(f.x), w: asNode(f.w) });
  s.endProfiling();
  await s.release();
  const [file] = filesIn(out);
  return { file, events: readProfile(join(out, file)) };
}

describe('kestrel/ort profiling', () => {
  it('writes the profile onnxruntime writes, named as onnxruntime names it', async () => {
    const out = tempDir('kestrel-ort-profile-out-');
    const ref = await ortNodeProfile(tempDir('kestrel-ort-profile-ref-'));
    const s = await ort.InferenceSession.create(model, { enableProfiling: true,
      profileFilePrefix: join(out, 'k') });
    for (let i = 0; i < 2; i++) await s.run(feeds(2));
    const file = s.endProfiling();
    expect(file.startsWith(join(out, 'k_'))).toBe(true);
    expect(file).toMatch(STAMPED);
    expect(ref.file).toMatch(STAMPED);
    expect(filesIn(out)).toEqual([file.slice(out.length + 1)]);
    const events = readProfile(file);
    const keys = (e: object): string[] => Object.keys(e).sort();
    for (const e of events) expect(keys(e)).toEqual(keys(ref.events[0]));
    for (const e of events) expect([e.ph, e.pid, e.tid]).toEqual(['X', process.pid, process.pid]);
    const sessionNames = (l: OrtProfileEvent[]): string[] =>
      l.filter((e) => e.cat === 'Session').map((e) => e.name);
    expect(sessionNames(events))
      .toEqual(['model_loading_uri', 'session_initialization', 'model_run', 'model_run']);
    for (const name of sessionNames(events)) expect(sessionNames(ref.events)).toContain(name);
    const runs = events.filter((e) => e.name === 'model_run');
    const nodes = events.filter((e) => e.cat === 'Node');
    expect(nodes.length).toBeGreaterThan(0);
    const refOps = new Set(ref.events.filter((e) => e.cat === 'Node').map((e) => e.args.op_name));
    for (const e of nodes) {
      expect(e.args.provider).toBe('CPUExecutionProvider');
      const op = String(e.args.op_name);
      // Kernels: op_name is the root ONNX node's op type; VM builtins: kestrel.<instruction>.
      if (op.startsWith('kestrel.')) {
        expect(e.name).not.toMatch(/_kernel_time$/);
      } else {
        expect(refOps, op).toContain(op);
        expect(e.name).toMatch(/_kernel_time$/);
      }
      const run = runs.find((r) => e.ts >= r.ts && e.ts + e.dur <= r.ts + r.dur + 1);
      expect(run, `${e.name} at ${e.ts} lies inside a run`).toBeDefined();
    }
    const kernels = nodes.filter((e) => !String(e.args.op_name).startsWith('kestrel.'));
    expect(kernels.map((e) => e.args.op_name)).toContain('MatMul');
    for (const k of kernels) expect(k.args.fused_nodes).toEqual(expect.arrayContaining([expect.any(String)]));
    expect(runs[1].ts).toBeGreaterThanOrEqual(runs[0].ts + runs[0].dur);
    await s.release();
    expect(filesIn(out)).toHaveLength(1); // endProfiling stopped the recording: release writes nothing
  });

  it('endProfiling without a profile returns "" and writes nothing; startProfiling starts one', async () => {
    const out = tempDir('kestrel-ort-profile-start-');
    const s = await ort.InferenceSession.create(model, { profileFilePrefix: join(out, 'late') });
    await s.run(feeds(1));
    expect(s.endProfiling()).toBe('');
    expect(filesIn(out)).toEqual([]);
    s.startProfiling();
    s.startProfiling(); // already recording: the same profile
    await s.run(feeds(3));
    const file = s.endProfiling();
    expect(file.startsWith(join(out, 'late_'))).toBe(true);
    const events = readProfile(file);
    expect(events.filter((e) => e.cat === 'Session').map((e) => e.name)).toEqual(['model_run']);
    expect(events.some((e) => e.cat === 'Node')).toBe(true);
    expect(s.endProfiling()).toBe('');
    await s.release();
    expect(filesIn(out)).toHaveLength(1);
  });

  it('release() writes a profile still being recorded', async () => {
    const out = tempDir('kestrel-ort-profile-release-');
    const s = await ort.InferenceSession.create(model, { enableProfiling: true,
      profileFilePrefix: join(out, 'r') });
    await s.run(feeds(1));
    expect(filesIn(out)).toEqual([]);
    await s.release();
    const files = filesIn(out);
    expect(files).toHaveLength(1);
    expect(readProfile(join(out, files[0])).filter((e) => e.name === 'model_run')).toHaveLength(1);
  });

  it("uses onnxruntime's default prefix and refuses invalid values (KR0401)", async () => {
    expect(mapSessionOptions({ enableProfiling: true })).toMatchObject({ profiling: true,
      profilePrefix: DEFAULT_PROFILE_PREFIX });
    expect(DEFAULT_PROFILE_PREFIX).toBe('onnxruntime_profile_');
    expect(mapSessionOptions({ profileFilePrefix: 'p' }))
      .toMatchObject({ profiling: false, profilePrefix: 'p' });
    for (const o of [{ enableProfiling: 'yes' }, { enableProfiling: true, profileFilePrefix: '' },
      { profileFilePrefix: 3 }]) {
      const e = await ort.InferenceSession.create(model, o as never)
        .then(() => undefined, (err: unknown) => err);
      expect(e, JSON.stringify(o)).toMatchObject({ code: 'KR0401' });
    }
  });
});
