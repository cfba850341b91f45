// Untrusted model bytes (RELIABILITY.md §1-4, §8-11): each must fail with its stable code and the
// next good import must still work.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { importOnnx } from '../../compiler/frontend/onnx/import.js';
import { checkLimits } from '../../compiler/frontend/onnx/graph-order.js';
import type { GraphMsg } from '../../compiler/frontend/onnx/schema.js';
import { decodeTensorProto } from '../../compiler/frontend/onnx/tensor.js';
import '../../ir/ops/index.js'; // the op registry, loaded as the driver loads it
import {
  encodeModel, encodeTensor, FLOAT, floatTensor, node, sharedDir, STRING, tinyModel, vi,
} from '../fixtures/onnx-builder.js';

afterEach(() => { expect(importOnnx(tinyModel()).main.nodes.length).toBe(2); });

function codeOf(f: () => unknown): string {
  try { f(); } catch (e) { return (e as { code?: string }).code ?? `non-kestrel: ${(e as Error).message}`; }
  return 'no error';
}

/** Length-delimited field `num` holding `payload`. */
function ld(num: number, payload: Uint8Array): Uint8Array {
  const head: number[] = [(num << 3) | 2];
  let n = payload.length;
  while (n >= 0x80) { head.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); }
  head.push(n);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head); out.set(payload, head.length);
  return out;
}

describe('model bytes', () => {
  it('rejects empty, 1-byte and random input', () => {
    expect(codeOf(() => importOnnx(new Uint8Array()))).toBe('KC0001');
    expect(codeOf(() => importOnnx(new Uint8Array([8])))).toBe('KC0001');
    let seed = 7;
    for (let k = 0; k < 50; k++) {
      const bytes = Uint8Array.from({ length: 64 + k * 13 },
        () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
      expect(codeOf(() => importOnnx(bytes))).toMatch(/^KC0[01]\d\d$/);
    }
  });

  it('rejects a truncated model at many cut points', () => {
    const bytes = fs.readFileSync(path.join(sharedDir(), 'models/zoo_squeezenet/model.onnx'));
    for (let k = 1; k < 60; k++) {
      const cut = Math.floor((bytes.length * k) / 60);
      expect(codeOf(() => importOnnx(bytes.subarray(0, cut)))).toMatch(/^KC0\d\d\d$/);
    }
    const tiny = tinyModel();
    for (let cut = 1; cut < tiny.length; cut++) {
      expect(codeOf(() => importOnnx(tiny.subarray(0, cut)))).toMatch(/^KC0\d\d\d$/);
    }
  });

  it('rejects a nesting bomb at the depth limit without overflowing the stack', () => {
    let g: Uint8Array = new Uint8Array();
    for (let i = 0; i < 3000; i++) g = ld(1, ld(5, ld(6, g))); // graph.node.attribute.g
    const bytes = new Uint8Array([...ld(7, g)]);
    expect(codeOf(() => importOnnx(bytes))).toBe('KC0102');
  });

  it('rejects a length field claiming gigabytes', () => {
    const bytes = new Uint8Array([0x08, 0x08, 0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x0a, 0x00]);
    expect(codeOf(() => importOnnx(bytes))).toBe('KC0103');
  });

  it('rejects unknown IR versions and opsets', () => {
    const spec = { nodes: [node('Relu', ['x'], ['y'])], inputs: [vi('x', FLOAT, [2])],
      outputs: [vi('y', FLOAT, [2])] };
    expect(codeOf(() => importOnnx(encodeModel({ ...spec, irVersion: 99 })))).toBe('KC0105');
    expect(codeOf(() => importOnnx(encodeModel({ ...spec, opset: 999 })))).toBe('KC0303');
  });

  it('names the op and domain of a node in an undeclared domain', () => {
    const bytes = encodeModel({
      nodes: [{ ...node('Frob', ['x'], ['y']), domain: 'com.example' }],
      inputs: [vi('x', FLOAT, [2])], outputs: [vi('y', FLOAT, [2])],
    });
    expect(() => importOnnx(bytes)).toThrow(/KC0302.*frob_y.*Frob.*com\.example/);
  });

  it('reports ALL unsupported ops in one error, with node names', () => {
    const bytes = encodeModel({
      nodes: [node('Relu', ['x'], ['a']), node('Frobnicate', ['a'], ['b'], [], 'first'),
        node('Relu', ['b'], ['c']), node('Wibble', ['x'], ['d'], [], 'second'),
          node('Add', ['c', 'd'], ['y']),
        { ...node('MlOp', ['x'], ['z'], [], 'third'), domain: 'ai.onnx.ml' }],
      inputs: [vi('x', FLOAT, [2])], outputs: [vi('y', FLOAT, [2]), vi('z', FLOAT, [2])],
      extraOpsets: [{ domain: 'ai.onnx.ml', version: 3 }],
    });
    let err: { code?: string; message: string; details: { unsupported: { op: string; node: string }[] } };
    try { importOnnx(bytes); throw new Error('no error'); } catch (e) { err = e as typeof err; }
    expect(err.code).toBe('KC0301');
    expect(err.details.unsupported.map((u) => [u.op, u.node])).toEqual([
      ['Frobnicate', 'first'], ['Wibble', 'second'], ['ai.onnx.ml::MlOp', 'third']]);
    expect(err.message).toMatch(/Frobnicate.*first.*Wibble.*second.*MlOp.*third/);
  });
});

describe('graph structure', () => {
  const io = { inputs: [vi('x', FLOAT, [2])], outputs: [vi('y', FLOAT, [2])] };
  it('reports a cycle naming its nodes', () => {
    const bytes = encodeModel({ ...io,
      nodes: [node('Add', ['x', 'b'], ['a'], [], 'n1'), node('Relu', ['a'], ['b'], [], 'n2'),
      node('Relu', ['a'], ['y'])] });
    expect(() => importOnnx(bytes)).toThrow(/KC0501.*'n1'.*'n2'/);
  });
  it('reports a value consumed but never produced', () => {
    const bytes = encodeModel({ ...io, nodes: [node('Add', ['x', 'ghost'], ['y'], [], 'adder')] });
    expect(() => importOnnx(bytes)).toThrow(/KC0502.*adder.*ghost/);
  });
  it('reports duplicate output names', () => {
    const bytes = encodeModel({ ...io,
      nodes: [node('Relu', ['x'], ['y'], [], 'a'), node('Relu', ['x'], ['y'], [], 'b')] });
    expect(codeOf(() => importOnnx(bytes))).toBe('KC0503');
    const shadow = encodeModel({ ...io, nodes: [node('Relu', ['x'], ['x']), node('Relu', ['x'], ['y'])] });
    expect(codeOf(() => importOnnx(shadow))).toBe('KC0503');
  });
  it('rejects subgraphs nested deeper than 32', () => {
    let g: Record<string, unknown> = { name: 'leaf', node: [] };
    for (let i = 0; i < 40; i++) {
      g = { name: `g${i}`,
        node: [{ opType: 'If', input: ['c'], output: ['o'], attribute: [{ name: 'then_branch', g }] }] };
    }
    expect(codeOf(() => checkLimits(g as GraphMsg))).toBe('KC0504');
    // Encoded, the same nesting trips the wire-level depth limit first.
    let bytes: Uint8Array = new Uint8Array();
    for (let i = 0; i < 40; i++) bytes = ld(1, ld(5, ld(6, bytes)));
    expect(codeOf(() => importOnnx(new Uint8Array([0x08, 0x08, ...ld(7, bytes)])))).toMatch(/KC0102|KC0504/);
  });
  it('rejects node-count bombs', () => {
    const g = { node: new Array(20).fill({ opType: 'Relu' }) } as GraphMsg;
    expect(codeOf(() => checkLimits(g, 10))).toBe('KC0505');
  });
});

describe('tensors', () => {
  const bad = (t: Record<string, unknown>) =>
    codeOf(() => decodeTensorProto(encodeTensor({ name: 't', ...t })));
  it('checks raw_data length, typed counts, dims and dtypes', () => {
    expect(bad({ dims: [3], dataType: FLOAT, rawData: new Uint8Array(8) })).toBe('KC0203');
    expect(bad({ dims: [1], dataType: FLOAT, rawData: new Uint8Array(8) })).toBe('KC0203');
    expect(bad({ dims: [3], dataType: FLOAT, floatData: [1, 2] })).toBe('KC0203');
    expect(bad({ dims: [-1], dataType: FLOAT })).toBe('KC0202');
    expect(bad({ dims: [2 ** 40, 2 ** 40], dataType: FLOAT })).toBe('KC0202');
    expect(bad({ dims: new Array(65).fill(1), dataType: FLOAT })).toBe('KC0202');
    expect(bad({ dims: [1], dataType: 99 })).toBe('KC0201');
    expect(bad({ dims: [1], dataType: 0 })).toBe('KC0201');
    // String tensors decode as test data (decodeTensorProto); as a model's constant they are refused.
    expect(decodeTensorProto(encodeTensor({ name: 't', dims: [1], dataType: STRING,
      stringData: [new Uint8Array([65])] })).strings).toEqual(['A']);
    expect(bad({ dims: [2], dataType: STRING, stringData: [new Uint8Array([65])] })).toBe('KC0203');
    expect(codeOf(() => decodeTensorProto(encodeTensor({ name: 't', dims: [1], dataType: STRING,
      stringData: [new Uint8Array([65])] }), { strings: false }))).toBe('KC0208');
    expect(bad({ dims: [1], dataType: 14, floatData: [0, 0] })).toBe('KC0208'); // complex64: no kestrel dtype
  });
  it('an initializer error names the tensor', () => {
    const bytes = encodeModel({ nodes: [node('Add', ['x', 'w'], ['y'])], inputs: [vi('x', FLOAT, [2])],
      outputs: [vi('y', FLOAT, [2])], initializers: [{ ...floatTensor('w', [2], [1, 2]), dims: [3] }] });
    expect(() => importOnnx(bytes)).toThrow(/KC0203: tensor 'w'/);
  });
});
