// The schedule stage (compiler/schedule): every knob a lowering reads is declared by a family
// (and every declared knob is read), defaults are candidates and legal on real kernels,
// workload keys are stable across compiles and independent of names, and bad schedules fail
// with KC0701.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTarget } from '../../codegen/target.js';
import { importOnnx, importOnnxFile } from '../../compiler/frontend/onnx/import.js';
import { runPipeline } from '../../compiler/pipeline.js';
import { FAMILIES } from '../../compiler/schedule/families/index.js';
import type { Schedule } from '../../compiler/schedule/schedule.js';
import type { Module } from '../../ir/graph.js';
import { attrInts, encodeModel, FLOAT, floatTensor, node, vi } from '../fixtures/onnx-builder.js';
import { REPO_ROOT, sharedDir } from '../helpers/shared.js';

const AVX512 = makeTarget('x86_64', 'skylake-avx512', '+avx512f,+avx2,+fma');
const tinyCnn = () => importOnnxFile(join(REPO_ROOT, 'examples', 'tiny_cnn', 'model.onnx'));
const front = (m: Module, schedules?: readonly Schedule[]) => runPipeline(m, { target: AVX512, schedules });

/** Knob names read by `knob(…, 'name', …)` in the lowerings. */
function knobsRead(): Set<string> {
  const names = new Set<string>();
  const dirs = [join(REPO_ROOT, 'ir', 'ops'), join(REPO_ROOT, 'compiler', 'lower'), join(REPO_ROOT, 'ir')];
  for (const dir of dirs) {
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
      const src = readFileSync(join(dir, f), 'utf8');
      for (const m of src.matchAll(/\bknob\([^,()]+,\s*'([\w.]+)'/g)) names.add(m[1]);
    }
  }
  return names;
}

/** Conv(3x3, pads 1) + Relu on an input whose batch dim is called `batch`; names prefixed. */
function convModel(batch: string, prefix: string, strides = [1, 1]): Uint8Array {
  const w = floatTensor(`${prefix}w`, [4, 2, 3, 3], Array.from({ length: 72 }, (_, i) => i / 72));
  return encodeModel({
    nodes: [
      node('Conv', [`${prefix}x`, `${prefix}w`], [`${prefix}c`], [attrInts('pads', [1, 1, 1, 1]),
        attrInts('strides', strides)], `${prefix}conv`),
      node('Relu', [`${prefix}c`], [`${prefix}y`], [], `${prefix}relu`),
    ],
    inputs: [vi(`${prefix}x`, FLOAT, [batch, 2, 8, 8])],
    outputs: [vi(`${prefix}y`, FLOAT, [batch, 4, null, null])],
    initializers: [w],
  });
}

describe('schedule spaces', () => {
  it('declare every knob the lowerings read, and read every knob they declare', () => {
    const read = knobsRead();
    const declared = new Set(FAMILIES.flatMap((f) => f.knobs.map((k) => k.name)));
    expect(read.size).toBeGreaterThan(15);
    expect([...read].filter((k) => !declared.has(k)), 'read but not declared').toEqual([]);
    expect([...declared].filter((k) => !read.has(k)), 'declared but never read').toEqual([]);
  });

  it('give every kernel of a model legal defaults drawn from the candidates', async () => {
    const c = await front(tinyCnn());
    const families = new Set(c.schedules.map((s) => s.family));
    for (const f of ['conv', 'matmul', 'pool', 'norm']) expect(families, f).toContain(f);
    for (const s of c.schedules) {
      const fam = FAMILIES.find((f) => f.name === s.family)!;
      expect(Object.keys(s.knobs).sort()).toEqual(fam.knobs.map((k) => k.name).sort());
      expect(s.source).toBe('default');
      for (const [name, value] of Object.entries(s.knobs)) expect(s.space[name], name).toContain(value);
    }
    const vec = c.schedules.find((s) => s.family === 'conv')!.knobs['conv.vec'];
    expect(vec).toBe(16); // AVX-512: 16 f32 lanes
  });

  it('give legal defaults inside the space on real models, for named and planned-for targets', async () => {
    const families = new Set<string>();
    for (const name of ['mobilenetv2', 'bert_mini', 'lstm_2layer', 'zoo_squeezenet']) {
      const m = () => importOnnxFile(join(sharedDir(), 'models', name, 'model.onnx'));
      const avx2 = makeTarget('x86_64', 'x86-64-v3', '+avx2,+fma');
      for (const [target, threads] of [[AVX512, 1], [avx2, 3]] as const) {
        const c = await runPipeline(m(), { target, threads }); // scheduleGroup throws on illegal defaults
        for (const s of c.schedules) {
          families.add(s.family);
          for (const [k, v] of Object.entries(s.knobs)) expect(s.space[k], `${name} ${k}`).toContain(v);
        }
      }
    }
    for (const f of ['conv', 'matmul', 'norm', 'rnn', 'elementwise']) expect(families, f).toContain(f);
  });
});

describe('workload keys', () => {
  it('are the same in two compiles of one model', async () => {
    const a = (await front(tinyCnn())).schedules.map((s) => s.key);
    const b = (await front(tinyCnn())).schedules.map((s) => s.key);
    expect(a.length).toBeGreaterThan(3);
    expect(b).toEqual(a);
    expect(() => JSON.parse(a[0])).not.toThrow();
  });

  it('do not depend on node, value or symbol names, but do on attributes and shapes', async () => {
    const keys = async (bytes: Uint8Array) => (await front(importOnnx(bytes))).schedules.map((s) => s.key);
    const a = await keys(convModel('batch', 'a_'));
    expect(a.length).toBeGreaterThan(0);
    expect(await keys(convModel('N', 'other_'))).toEqual(a);
    expect(a[0]).toContain('"$0"');
    const strided = await keys(convModel('batch', 'a_', [2, 2]));
    expect(strided[0]).toEqual(a[0]); // the padding kernel before the conv is the same
    expect(strided[strided.length - 1]).not.toEqual(a[a.length - 1]);
    const w = JSON.parse(a[a.length - 1]) as unknown[];
    expect(w[0]).toBe('conv');
    expect(JSON.stringify(w[5])).toContain('relu'); // the fused epilogue is part of the workload
  });
});

describe('applying schedules', () => {
  it('a schedule for a workload replaces the defaults of that kernel only', async () => {
    const base = await front(tinyCnn());
    const conv = base.schedules.find((s) => s.family === 'conv' && s.knobs['conv.oc'] === 6)!;
    const c = await front(tinyCnn(), [{ workload: conv.key, knobs: { 'conv.oc': 4, 'conv.px': 4 } }]);
    const applied = c.schedules.filter((s) => s.key === conv.key);
    expect(applied.length).toBeGreaterThan(0);
    for (const s of applied) {
      expect(s.source).toBe('given');
      expect(s.knobs).toEqual({ ...conv.knobs, 'conv.oc': 4, 'conv.px': 4 });
    }
    expect(c.schedules.filter((s) => s.key !== conv.key).every((s) => s.source === 'default')).toBe(true);
  });

  it('rejects unknown knobs, values outside the candidates and illegal tiles with KC0701', async () => {
    const conv = (await front(tinyCnn())).schedules.find((s) => s.family === 'conv')!;
    const bad = async (knobs: Record<string, number>) => front(tinyCnn(), [{ workload: conv.key, knobs }]);
    await expect(bad({ 'mm.tm': 4 })).rejects.toMatchObject({ code: 'KC0701', message: /knob 'mm.tm'/ });
    await expect(bad({ 'conv.oc': 99 }))
      .rejects.toMatchObject({ code: 'KC0701', message: /conv.oc=99; candidates/ });
    await expect(bad({ 'conv.oc': 8, 'conv.wv': 6, 'conv.vec': 32 }))
      .rejects.toMatchObject({ code: 'KC0701', message: /direct tile needs 96 accumulator registers/ });
  });

  it('ignores schedules for workloads the model does not have', async () => {
    const c = await front(tinyCnn(), [{ workload: '["conv","nothing"]', knobs: { 'conv.oc': 4 } }]);
    expect(c.schedules.every((s) => s.source === 'default')).toBe(true);
  });
});
