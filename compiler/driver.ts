// The compile driver: ONNX file -> graph IR -> pipeline -> LLVM object + data object -> one .so.
// The artifact embeds the kernels, the bytecode, the constants (64-byte aligned) and a manifest
// (format, versions, target, model hash, input/output signatures, content hashes, kernel names and
// the debug table of compiler/lower/debug.ts that lets errors and profiles speak ONNX) that the
// runtime checks before running anything. The .so is written under a temporary name and renamed,
// so a failed compile never leaves a partial artifact behind.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dimKey, isStatic } from '../ir/dim.js';
import type { Module, Value } from '../ir/graph.js';
import type { Kernel } from '../ir/tir.js';
import type { TargetInfo } from '../ir/te.js';
import { FORMAT_VERSION } from '../runtime-vm/isa.generated.js';
import { fnv1a64 } from '../codegen/fnv.js';
import { compileIR, emitDataObject } from '../codegen/llvm/backend.js';
import { emitModule } from '../codegen/llvm/emit.js';
import { linkSharedObject } from '../codegen/link.js';
import { type TargetDesc, type TargetName, targetFromName } from '../codegen/target.js';
import { importOnnxFile } from './frontend/onnx/import.js';
import { type CompiledModel, runPipeline } from './pipeline.js';

function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    if (dirname(dir) === dir) return '0.0.0';
    dir = dirname(dir);
  }
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

export const KESTREL_VERSION = packageVersion();

export interface CompileOptions {
  /** Path of the .so to write. */
  readonly output: string;
  readonly target?: TargetName;
  /** Make every input dim symbolic (one artifact for all shapes of the inputs' ranks). */
  readonly dynamic?: boolean;
  /** Worker threads the schedules should plan for (default: the target's core count). */
  readonly threads?: number;
  /** Fix symbolic input dims (`{ batch: 1, seq: 16 }`) to compile for one shape only. */
  readonly fixedDims?: Readonly<Record<string, number>>;
}

export interface CompileReport {
  readonly output: string;
  readonly kernels: number;
  readonly constantsBytes: number;
  readonly seconds: number;
}

/**
 * One manifest input/output. `kind` is 'tensor', 'sequence' (a list of tensors of `dtype`; `shape`
 * then describes the elements, `rank: -1` when even their rank is unknown) or 'optional' (a value
 * that may be absent; `optional_of` says whether it holds a tensor or a sequence).
 */
const signature = (v: Value) => ({
  name: v.name,
  dtype: v.type.dtype,
  shape: v.type.shape.map((d) => (isStatic(d) ? d : dimKey(d))),
  ...(v.type.optional ? { kind: 'optional', optional_of: v.type.sequence ? 'sequence' : 'tensor' }
    : v.type.sequence ? { kind: 'sequence' } : {}),
  ...(v.type.unranked ? { rank: -1 } : {}),
});

function manifest(m: Module, outputs: readonly Value[], t: TargetDesc, c: CompiledModel) {
  const { bytecode, constants } = c;
  return {
    format: 1,
    kestrel: KESTREL_VERSION,
    bytecode_format: FORMAT_VERSION,
    target: { arch: t.arch, triple: t.triple, cpu: t.cpu, features: t.features },
    model_sha256: m.source.sha256,
    producer: m.source.producer,
    opset: m.source.opset,
    inputs: m.main.inputs.map(signature),
    outputs: outputs.map(signature),
    bytecode_fnv1a64: fnv1a64(bytecode),
    constants_fnv1a64: fnv1a64(constants),
    constants_size: constants.byteLength,
    kernels: c.kernels.map((k) => k.name),
    debug: c.debug,
  };
}

function targetInfo(t: TargetDesc, threads?: number): TargetInfo {
  return { arch: t.arch, vectorLanes: t.vectorLanesF32, threads: threads ?? 1 };
}

/** Compiles kernels to one object (empty kernel table when the model needs none). */
function kernelObject(kernels: readonly Kernel[], t: TargetDesc): Uint8Array {
  const ir = emitModule(kernels, { target: t });
  if (process.env.KESTREL_DUMP_LLVM) process.stderr.write(ir);
  return compileIR({ ir, triple: t.triple, cpu: t.cpu, features: t.features, optLevel: 3 });
}

export async function compileModule(m: Module, opts: CompileOptions): Promise<CompileReport> {
  const t0 = performance.now();
  const target = targetFromName(opts.target ?? 'host');
  // Output names are the model's, whatever the passes did to the values behind them.
  const outputs = m.main.outputs;
  const compiled = runPipeline(m, targetInfo(target, opts.threads));
  const objects = [kernelObject(compiled.kernels, target)];
  const man = new TextEncoder().encode(JSON.stringify(manifest(m, outputs, target, compiled)));
  objects.push(emitDataObject({
    triple: target.triple,
    sections: [
      { symbol: 'kestrel_bytecode', bytes: compiled.bytecode, align: 16 },
      { symbol: 'kestrel_constants', bytes: compiled.constants, align: 64 },
      { symbol: 'kestrel_manifest', section: '.kestrel_manifest', bytes: man, align: 8 },
    ],
    exports: [
      { symbol: 'kestrel_bytecode_size', value: compiled.bytecode.byteLength },
      { symbol: 'kestrel_constants_size', value: compiled.constants.byteLength },
      { symbol: 'kestrel_manifest_size', value: man.byteLength },
    ],
  }));
  await linkSharedObject({ objects, output: opts.output, target });
  return {
    output: opts.output, kernels: compiled.kernels.length,
    constantsBytes: compiled.constants.byteLength, seconds: (performance.now() - t0) / 1000,
  };
}

/** Compiles an ONNX model file to a kestrel artifact. */
export async function compile(modelPath: string, opts: CompileOptions): Promise<CompileReport> {
  const m = importOnnxFile(modelPath, { dynamic: opts.dynamic, fixedDims: opts.fixedDims });
  return compileModule(m, opts);
}

