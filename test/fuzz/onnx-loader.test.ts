// Fuzzes the ONNX loader (importOnnx: wire guard, protobuf decode, tensor reading, graph checks,
// conversion and shape inference) with inputs of three kinds: raw random bytes, byte-level
// mutations of the corpus models, and structure-aware mutations (a decoded model with one of its
// fields edited — a dim, a dtype, an edge, an op type, an attribute, a node dropped or
// duplicated — then re-encoded). The property: the import returns a module or throws a
// KestrelError with a KC code, within KESTREL_FUZZ_SLOW_MS (10 s); anything else (a TypeError, a
// stack overflow, a hang) fails and the input joins the corpus.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { importOnnx } from '../../compiler/frontend/onnx/import.js';
import { ModelType } from '../../compiler/frontend/onnx/schema.js';
import '../../ir/ops/index.js'; // the op registry, loaded as the driver loads it
import {
  attrGraph, attrInt, encodeModel, FLOAT, INT64, node, tinyModel, vi,
} from '../fixtures/onnx-builder.js';
import { byteMutation, corpus, fuzz, mutateBytes, saveCrash } from './harness.js';

/** Why `bytes` broke the loader, or undefined when it imported or failed with a KC code. */
function loaderFault(bytes: Uint8Array): string | undefined {
  try {
    importOnnx(bytes);
    return undefined;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const kc = typeof code === 'string' && /^KC\d{4}$/.test(code);
    if (e instanceof Error && e.name === 'KestrelError' && kc) return undefined;
    return `${(e as Error).name}: ${(e as Error).message}\n${(e as Error).stack ?? ''}`;
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Slot = { parent: Json[] | Record<string, Json>; key: string | number; value: Json };

/** Every field of a decoded model (depth-first), the places a structural mutation can edit. */
function slots(root: Json): Slot[] {
  const out: Slot[] = [];
  const stack: Json[] = [root];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    for (const [k, child] of Object.entries(v)) {
      out.push({ parent: v, key: Array.isArray(v) ? Number(k) : k, value: child });
      stack.push(child);
    }
  }
  return out;
}

const NUMBERS = [0, 1, -1, 2, 3, 7, 16, 26, 64, 65, 255, 2 ** 31 - 1, -(2 ** 31), 2 ** 53, 1e300,
  Number.NaN, Infinity, -Infinity];
const STRINGS = ['', 'x', 'y', '../x', 'Loop', 'If', 'Gather', 'Reshape', 'Conv', 'Add', 'com.microsoft',
  'batch', '\u0000', 'a'.repeat(300)];

type Edit = { slot: number; kind: 'number' | 'string' | 'drop' | 'dup' | 'swap'; pick: number };
const editArb = fc.record({ slot: fc.nat(), kind: fc.constantFrom('number', 'string', 'drop', 'dup', 'swap'),
  pick: fc.nat() }) as fc.Arbitrary<Edit>;

/** Applies one edit to the decoded model `m` (in place); names come from the model itself too. */
function applyEdit(m: Json, e: Edit, names: string[]): void {
  const all = slots(m);
  if (all.length === 0) return;
  const s = all[e.slot % all.length]!;
  const set = (v: Json) => { (s.parent as Record<string | number, Json>)[s.key] = v; };
  const arr = Array.isArray(s.parent) ? s.parent : undefined;
  switch (e.kind) {
    case 'number': set(NUMBERS[e.pick % NUMBERS.length]!); break;
    case 'string': { const pool = [...STRINGS, ...names]; set(pool[e.pick % pool.length]!); break; }
    case 'drop':
      if (arr) arr.splice(s.key as number, 1); else delete (s.parent as Record<string, Json>)[s.key];
      break;
    case 'dup': if (arr) arr.splice(s.key as number, 0, structuredClone(s.value)); break;
    case 'swap': if (arr && arr.length > 1) {
      const j = e.pick % arr.length; [arr[s.key as number], arr[j]] = [arr[j]!, arr[s.key as number]!];
    } break;
    default: throw new Error(`unknown edit ${String(e.kind)}`);
  }
}

const decoded = (bytes: Uint8Array): Json =>
  ModelType.toObject(ModelType.decode(bytes), { longs: Number, bytes: Array, defaults: false }) as Json;

/** The model with `edits` applied, re-encoded (an edit the schema cannot encode yields the bytes). */
function structurallyMutated(bytes: Uint8Array, edits: readonly Edit[]): Uint8Array {
  const m = decoded(bytes);
  const names = slots(m).map((s) => s.value).filter((v): v is string => typeof v === 'string');
  for (const e of edits) applyEdit(m, e, names);
  try {
    return ModelType.encode(ModelType.fromObject(m as Record<string, unknown>)).finish();
  } catch {
    return bytes;
  }
}

const seeds = (): Uint8Array[] => [tinyModel(), ...corpus('onnx-loader').map(([, b]) => b)];

describe('fuzz: ONNX loader', () => {
  it('every corpus entry imports or fails with a KC code (the regression replay)', () => {
    const entries = corpus('onnx-loader');
    expect(entries.length).toBeGreaterThan(5);
    for (const [name, bytes] of entries) expect(loaderFault(bytes), name).toBeUndefined();
  });

  it('regression: a Scan or Loop with an empty input name fails with KC0402 naming the node', () => {
    const body = { name: 'b', node: [], input: [], output: [] };
    for (const [op, inputs] of [['Scan', ['', 'x']], ['Loop', ['', '', '']]] as const) {
      const bytes = encodeModel({ inputs: [vi('x', FLOAT, [2, 2])], outputs: [vi('y', FLOAT, [2])],
        nodes: [node(op, [...inputs], ['y'],
          [attrInt('num_scan_inputs', 1), attrGraph('body', body)], 'n1')] });
      expect(() => importOnnx(bytes)).toThrow(new RegExp(`KC0402: node 'n1' \\(${op}\\): required input`));
    }
  });

  it('regression: a Reshape to a rank-64 target read from data imports in well under 5 s (was 37 s)', () => {
    const bytes = encodeModel({ nodes: [node('Reshape', ['data', 'shape'], ['y'])],
      inputs: [vi('data', FLOAT, [2, 3, 4]), vi('shape', INT64, [64])], outputs: [vi('y', FLOAT, [])] });
    const t0 = performance.now();
    expect(importOnnx(bytes).main.outputs[0]!.type.shape).toHaveLength(64);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('survives random bytes, byte mutations and structural mutations for its time budget', async () => {
    const pool = seeds();
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 512 }),
      fc.tuple(fc.nat(), fc.array(byteMutation(4096), { minLength: 1, maxLength: 6 }))
        .map(([i, muts]) => mutateBytes(pool[i % pool.length]!, muts)),
      fc.tuple(fc.nat(), fc.array(editArb, { minLength: 1, maxLength: 4 }))
        .map(([i, edits]) => structurallyMutated(pool[i % pool.length]!, edits)),
    );
    const slowMs = Number(process.env['KESTREL_FUZZ_SLOW_MS'] ?? 10_000); // a hang counts as a failure
    // Async, yielding to the event loop between executions, so the vitest worker keeps answering.
    let n = 0;
    const report = await fuzz('onnx-loader', fc.asyncProperty(input, async (bytes) => {
      if (++n % 16 === 0) await new Promise((r) => setImmediate(r));
      const t0 = performance.now();
      const fault = loaderFault(bytes);
      if (fault !== undefined) throw new Error(fault);
      const ms = performance.now() - t0;
      if (ms > slowMs) throw new Error(`the import took ${ms.toFixed(0)} ms (over ${slowMs} ms)`);
    }), (bytes) => { saveCrash('onnx-loader', bytes, 'onnx'); });
    expect(report.executions).toBeGreaterThan(0);
  }, 600_000);
});
