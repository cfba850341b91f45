// Imports real models from shared/models and small TS-built fixtures; checks symbols, constants,
// attribute defaults, typed tensor fields, ordering, Constant nodes and the inspect printer.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dimKey } from '../../ir/dim.js';
import { importOnnx, importOnnxCollect, importOnnxFile } from '../../compiler/frontend/onnx/import.js';
import { decodeTensorProto } from '../../compiler/frontend/onnx/tensor.js';
import { inspectModule } from '../../compiler/inspect.js';
import '../../ir/ops/index.js'; // the op registry, loaded as the driver loads it
import {
  attrFloats, attrGraph, attrInt, attrTensor, BOOL, DOUBLE, encodeModel, encodeTensor, FLOAT, FLOAT16,
  floatTensor, INT64, INT8, node, sharedDir, tinyModel, UINT64, UINT8, vi,
} from '../fixtures/onnx-builder.js';

const shapeKeys = (s: readonly (number | { key: string })[]) => s.map((d) => dimKey(d as never));

describe('real models', () => {
  it('imports resnet18 with a symbolic batch', () => {
    const m = importOnnxFile(path.join(sharedDir(), 'models/resnet18/model.onnx'));
    expect(m.symbols).toEqual(['batch']);
    expect(shapeKeys(m.main.inputs[0]!.type.shape)).toEqual(['batch', '3', '224', '224']);
    const ops = new Set(m.main.nodes.map((n) => n.op));
    for (const op of ['conv', 'relu', 'max_pool', 'add', 'global_avg_pool', 'flatten', 'gemm']) {
      expect(ops.has(op)).toBe(true);
    }
    expect(m.source.opset).toBe(17);
    expect(m.source.sha256).toMatch(/^[0-9a-f]{64}$/);
    const conv = m.main.nodes.find((n) => n.op === 'conv')!;
    expect(conv.attrs).toMatchObject({ kernel: [7, 7], strides: [2, 2], pads: [3, 3, 3, 3], group: 1 });
    expect(conv.inputs[1]!.data).toBeDefined();
    expect(m.main.outputs.length).toBe(1);
  });

  it('imports the opset-9 inception model (LRN, Dropout, legacy Softmax)', () => {
    const m = importOnnxFile(path.join(sharedDir(), 'models/zoo_inception_v1/model.onnx'));
    expect(m.source.opset).toBe(9);
    const sm = m.main.nodes.find((n) => n.op === 'softmax')!;
    expect(sm.attrs).toEqual({ axis: 1, coerce2d: 1 });
    expect(m.main.nodes.some((n) => n.op === 'lrn')).toBe(true);
    expect(m.main.nodes.some((n) => n.origin.opType === 'Dropout' && n.op === 'identity')).toBe(true);
  });

  it('converts variadic Sum (shufflenet) into binary adds', () => {
    const m = importOnnxFile(path.join(sharedDir(), 'models/zoo_shufflenet/model.onnx'));
    expect(m.main.nodes.filter((n) => n.origin.opType === 'Sum').every((n) => n.op === 'add')).toBe(true);
  });

  it('dynamic mode makes every input dim symbolic', () => {
    const m = importOnnxFile(path.join(sharedDir(), 'models/zoo_squeezenet/model.onnx'), { dynamic: true });
    expect(shapeKeys(m.main.inputs[0]!.type.shape)).toEqual(['data_0_d0', 'data_0_d1', 'data_0_d2',
      'data_0_d3']);
  });

  it('dynamic mode keeps the lengths that fix a rank: shape and axes lists, GatherND index depth', () => {
    const bytes = encodeModel({
      nodes: [node('Reshape', ['x', 'shape'], ['r']), node('ReduceSum', ['r', 'axes'], ['s']),
        node('GatherND', ['x', 'idx'], ['g'])],
      inputs: [vi('x', FLOAT, [2, 3, 4]), vi('shape', INT64, [2]), vi('axes', INT64, [1]),
        vi('idx', INT64, [5, 2])],
      outputs: [vi('s', FLOAT, [null]), vi('g', FLOAT, [5, 4])],
    });
    const m = importOnnx(bytes, { dynamic: true });
    const dims = m.main.inputs.map((v) => shapeKeys(v.type.shape));
    // the data tensor and the number of indices stay symbolic; what fixes a rank keeps its length
    expect(dims).toEqual([['x_d0', 'x_d1', 'x_d2'], ['2'], ['1'], ['idx_d0', '2']]);
  });

  it('imports a Loop whose body holds an If', () => {
    const bytes = fs.readFileSync(path.join(sharedDir(), 'models/ctrl_loop_if/model.onnx'));
    const r = importOnnxCollect(bytes);
    expect(r.unsupported).toEqual([]);
    expect(r.module.main.nodes.map((n) => n.op)).toContain('loop');
  });

  it('collects unsupported ops inside a body, naming the body and the op', () => {
    const body = {
      name: 'body', node: [node('FrobnicateXYZ', ['x_in'], ['x_out'], [], 'inner_op')],
      input: [vi('i', INT64, []), vi('c', BOOL, []), vi('x_in', FLOAT, [2])],
      output: [vi('c', BOOL, []), vi('x_out', FLOAT, [2])],
    };
    const bytes = encodeModel({
      nodes: [node('Loop', ['n', '', 'x'], ['y'], [attrGraph('body', body)], 'the_loop')],
      inputs: [vi('x', FLOAT, [2]), vi('n', INT64, [])], outputs: [vi('y', FLOAT, [2])],
    });
    const r = importOnnxCollect(bytes);
    expect(r.unsupported.map((u) => `${u.op}@${u.node}`)).toEqual(['FrobnicateXYZ@inner_op',
      'Loop@the_loop']);
    expect(() => importOnnx(bytes)).toThrow(/KC0301.*FrobnicateXYZ.*inner_op/);
  });
});

describe('fixtures', () => {
  it('imports a tiny model: initializer becomes a constant, dims become symbols', () => {
    const m = importOnnx(tinyModel());
    expect(m.main.inputs.map((v) => v.name)).toEqual(['x']);
    expect(m.main.nodes.map((n) => n.op)).toEqual(['add', 'relu']);
    expect(m.main.nodes[0]!.inputs[1]!.data!.shape).toEqual([4]);
    expect(m.main.outputs[0]!.name).toBe('y');
    expect(m.main.nodes[1]!.origin).toEqual({ name: 'relu_y', opType: 'Relu' });
  });

  it('sorts nodes that are not in topological order', () => {
    const m = importOnnx(encodeModel({
      nodes: [node('Relu', ['s'], ['y']), node('Add', ['x', 'x'], ['s'])],
      inputs: [vi('x', FLOAT, [2])], outputs: [vi('y', FLOAT, [2])],
    }));
    expect(m.main.nodes.map((n) => n.op)).toEqual(['add', 'relu']);
  });

  it('names unknown dims unk0, unk1 and fills defaults, normalises axes', () => {
    const m = importOnnx(encodeModel({
      nodes: [node('Softmax', ['x'], ['y']), node('LeakyRelu', ['y'], ['z']),
        node('Concat', ['z', 'z'], ['c'], [attrInt('axis', -1)])],
      inputs: [vi('x', FLOAT, [null, null, 8])], outputs: [vi('c', FLOAT, [null, null, 16])],
    }));
    expect(m.symbols).toEqual(['unk0', 'unk1']);
    expect(m.main.nodes[0]!.attrs).toEqual({ axis: 2, coerce2d: 0 });
    expect(m.main.nodes[1]!.attrs['alpha']).toBeCloseTo(0.01);
    expect(m.main.nodes[2]!.attrs).toEqual({ axis: 2 });
  });

  it('turns Constant nodes into constant values (value tensor and value_floats)', () => {
    const m = importOnnx(encodeModel({
      nodes: [
        node('Constant', [], ['c'], [attrFloats('value_floats', [1, 2])]),
        node('Constant', [], ['d'], [attrTensor('value', floatTensor('', [2], [3, 4]))]),
        node('Add', ['c', 'd'], ['y']),
      ],
      inputs: [], outputs: [vi('y', FLOAT, [2])],
    }));
    expect(m.main.nodes.map((n) => n.op)).toEqual(['add']);
    const [c, d] = m.main.nodes[0]!.inputs;
    expect(Array.from(new Float32Array(c!.data!.bytes.slice().buffer))).toEqual([1, 2]);
    expect(Array.from(new Float32Array(d!.data!.bytes.slice().buffer))).toEqual([3, 4]);
  });

  it('gives a graph output that aliases an input its own identity node', () => {
    const m = importOnnx(encodeModel({
      nodes: [], inputs: [vi('x', FLOAT, [2])], outputs: [vi('x', FLOAT, [2])],
    }));
    expect(m.main.nodes.map((n) => n.op)).toEqual(['identity']);
  });

  it('inspect prints nodes, origins and a summary with unsupported ops', () => {
    const bytes = encodeModel({
      nodes: [node('Relu', ['x'], ['r']), node('FancyOp', ['r'], ['y'])],
      inputs: [vi('x', FLOAT, ['n', 3])], outputs: [vi('y', FLOAT, ['n', 3])],
    });
    const r = importOnnxCollect(bytes);
    const text = inspectModule(r.module, r.unsupported);
    expect(text).toContain("%r: float32[n, 3] = relu(%x)  # Relu 'relu_r'");
    expect(text).toContain('# symbols: n');
    expect(text).toContain("FancyOp 'fancyop_y'");
  });
});

describe('typed tensor fields', () => {
  const cases: [string, number, Record<string, unknown>, unknown[]][] = [
    ['float_data', FLOAT, { floatData: [1.5, -2] }, [1.5, -2]],
    ['int32_data as int8', INT8, { int32Data: [-3, 4] }, [-3, 4]],
    ['int32_data as uint8', UINT8, { int32Data: [250, 4] }, [250, 4]],
    ['int32_data as bool', BOOL, { int32Data: [1, 0] }, [1, 0]],
    ['int32_data as float16 bits', FLOAT16, { int32Data: [0x3c00, 0xc000] }, [0x3c00, 0xc000]],
    ['int64_data', INT64, { int64Data: [-5, 7] }, [-5n, 7n]],
    ['double_data', DOUBLE, { doubleData: [0.25, 1e300] }, [0.25, 1e300]],
    ['uint64_data', UINT64, { uint64Data: [1, 2] }, [1n, 2n]],
  ];
  for (const [label, dataType, fields, want] of cases) {
    it(label, () => {
      const t = decodeTensorProto(encodeTensor({ name: 't', dims: [2], dataType, ...fields }));
      const view = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
      const n = t.bytes.byteLength / 2;
      const read = (i: number): unknown => {
        switch (dataType) {
          case FLOAT: return view.getFloat32(i * 4, true);
          case INT8: return view.getInt8(i);
          case UINT8: case BOOL: return view.getUint8(i);
          case FLOAT16: return view.getUint16(i * 2, true);
          case INT64: return view.getBigInt64(i * 8, true);
          case DOUBLE: return view.getFloat64(i * 8, true);
          default: return view.getBigUint64(i * 8, true);
        }
      };
      expect(n).toBeGreaterThan(0);
      expect([read(0), read(1)]).toEqual(want);
    });
  }

  it('decodes a reference output file from shared onnx-tests', () => {
    const f = path.join(sharedDir(), 'onnx-tests/node/test_abs/test_data_set_0/output_0.pb');
    const t = decodeTensorProto(fs.readFileSync(f));
    expect(t.dtype).toBe('float32');
    expect(t.shape).toEqual([3, 4, 5]);
  });

  it('unpacks the sub-byte types, the first element in the low bits, int4/int2 sign-extended', () => {
    // int4 [-8, 7, -1] packs as 0x78, 0x0f; uint2 [1, 2, 3, 0, 3] as 0x39, 0x03; ONNX codes 22, 25.
    const int4 = decodeTensorProto(encodeTensor({ name: 'a', dims: [3], dataType: 22,
      rawData: Uint8Array.from([0x78, 0x0f]) }));
    expect(int4.dtype).toBe('int4');
    expect(Array.from(new Int8Array(int4.bytes.buffer, int4.bytes.byteOffset, 3))).toEqual([-8, 7, -1]);
    const uint2 = decodeTensorProto(encodeTensor({ name: 'b', dims: [5], dataType: 25,
      int32Data: [0x39, 0x03] }));
    expect(Array.from(uint2.bytes)).toEqual([1, 2, 3, 0, 3]);
    expect(() => decodeTensorProto(encodeTensor({ name: 'c', dims: [5], dataType: 25,
      rawData: Uint8Array.from([0x39]) }))).toThrow(/5 elements of 2 bits pack into 2/);
  });

  it('allows zero-sized dims', () => {
    const t = decodeTensorProto(encodeTensor({ name: 'z', dims: [0, 3], dataType: FLOAT }));
    expect(t.shape).toEqual([0, 3]);
    expect(t.bytes.length).toBe(0);
  });
});
