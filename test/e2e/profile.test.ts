// Profiling tiny_cnn (examples/tiny_cnn): `run(feeds, { profile: true })` returns the outputs and
// one Chrome trace event per kernel launch and VM builtin. The kernel events are checked against
// the compiled program (one per call site, in order, named after its kernel, with the ONNX nodes
// fused into it), against the ONNX graph itself (every node that runs in a kernel appears), and
// for FLOPs against the shapes the events report; the trace survives a JSON round trip.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostTarget } from '../../codegen/target.js';
import { compile } from '../../compiler/driver.js';
import { importOnnxFile } from '../../compiler/frontend/onnx/import.js';
import { ModelType } from '../../compiler/frontend/onnx/schema.js';
import { runPipeline } from '../../compiler/pipeline.js';
import { compareTensors, readDataSet } from '../../tools/testdata.js';
import { chromeTrace, kernelTable, type ProfileEvent } from '../../runtime-vm/profile.js';
import { load, type Session } from '../../runtime-vm/session.js';
import { REPO_ROOT, tempDir } from '../helpers/shared.js';

const DIR = join(REPO_ROOT, 'examples', 'tiny_cnn');
const MODEL = join(DIR, 'model.onnx');

describe('profiling tiny_cnn', () => {
  let session: Session;
  let feeds: Record<string, ReturnType<typeof readDataSet>['inputs'][number]['tensor']>;
  let data: ReturnType<typeof readDataSet>;
  beforeAll(async () => {
    const so = join(tempDir(), 'tiny_cnn.so');
    await compile(MODEL, { output: so });
    session = await load(so, { threads: 1 });
    data = readDataSet(join(DIR, 'test_data_set_1'));
    feeds = Object.fromEntries(session.inputs.map((io, i) => [io.name, data.inputs[i].tensor]));
  });
  afterAll(() => session.dispose());

  it('returns the outputs and one event per kernel launch, named after kernels and ONNX nodes', async () => {
    const { outputs, events } = await session.run(feeds, { profile: true });
    expect(compareTensors(outputs[session.outputs[0].name], data.outputs[0].tensor).ok).toBe(true);

    const trace = JSON.parse(JSON.stringify(chromeTrace(events))) as { traceEvents: ProfileEvent[] };
    expect(trace.traceEvents).toEqual(events);
    for (const e of events) {
      expect(e.ph).toBe('X');
      expect(e.dur).toBeGreaterThanOrEqual(0);
      expect(e.ts).toBeGreaterThanOrEqual(0);
    }
    expect(events.some((e) => e.cat === 'builtin' && e.name === 'alloc')).toBe(true);

    // The compiled program: every call site runs once (tiny_cnn has no control flow).
    const compiled = await runPipeline(importOnnxFile(MODEL), { target: hostTarget(), threads: 1 });
    const expected = compiled.debug.calls.map(([, k, nodes]) => ({
      name: compiled.kernels[k].name, nodes: nodes.map((i) => compiled.debug.nodes[i]),
    }));
    const kernels = events.filter((e) => e.cat === 'kernel');
    expect(kernels.map((e) => ({ name: e.name, nodes: e.args.nodes }))).toEqual(expected);

    // The ONNX graph: each node that is not folded away (BatchNormalization) or a view (Flatten).
    type OnnxNode = { name: string; opType: string };
    const decoded = ModelType.toObject(ModelType.decode(readFileSync(MODEL)));
    const graph = (decoded as { graph: { node: OnnxNode[] } }).graph.node;
    const seen = new Set(kernels.flatMap((e) => e.args.nodes!.map(([name, op]) => `${name}/${op}`)));
    const computed = graph.filter((n) => !['BatchNormalization', 'Flatten'].includes(n.opType));
    expect(computed.length).toBeGreaterThan(8);
    for (const n of computed) expect(seen, `${n.name} (${n.opType})`).toContain(`${n.name}/${n.opType}`);
    for (const name of seen) expect(graph.map((n) => `${n.name}/${n.opType}`)).toContain(name);

    // FLOPs from the shapes the call saw: Gemm A[M,K] B[N,K] (transB) ... Y[M,N]: 2·M·N·K.
    const fc = kernels.find((e) => e.args.nodes![0][1] === 'Gemm')!;
    const shapes = fc.args.shapes!;
    const [a, y] = [shapes[0], shapes[shapes.length - 1]];
    expect(fc.args.flops).toBe(2 * y[0] * y[1] * a[1]);
    // conv1 + relu1: x, w[M,C,kh,kw], bias, y: 2·|y|·C·kh·kw, plus |y| for the fused Relu.
    const conv1 = kernels.find((e) => e.name.includes('_conv') && e.args.nodes![0][0] === 'conv1')!;
    const [w, out] = [conv1.args.shapes![1], conv1.args.shapes![conv1.args.shapes!.length - 1]];
    const numel = out.reduce((p, d) => p * d, 1);
    expect(conv1.args.nodes!.length).toBe(2);
    expect(conv1.args.flops).toBe(2 * numel * w[1] * w[2] * w[3] + numel);
    // Kernels that only move data (padding, pooling) report no FLOPs.
    const pads = kernels.filter((e) => e.name.includes('pad2d'));
    expect(pads.every((e) => e.args.flops === undefined)).toBe(true);
  });

  it('a run without profiling returns the plain outputs, identical to a profiled run', async () => {
    const plain = await session.run(feeds);
    const { outputs } = await session.run(feeds, { profile: true });
    const name = session.outputs[0].name;
    expect(plain).not.toHaveProperty('events');
    expect([...plain[name].data as Float32Array]).toEqual([...outputs[name].data as Float32Array]);
  });

  it('summarises profiled runs per kernel call site', async () => {
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push((await session.run(feeds, { profile: true })).events);
    const rows = kernelTable(runs);
    const share = rows.reduce((s, r) => s + r.share, 0);
    expect(share).toBeCloseTo(1, 6);
    const fc = rows.find((r) => r.nodes.includes('(Gemm)'))!;
    expect(fc.calls).toBe(3);
    expect(fc.gflops).toBeGreaterThan(0);
  });
});
