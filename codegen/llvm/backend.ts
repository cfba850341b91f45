// Typed wrappers over the kestrel_llvm native addon (native/src/llvm_addon/llvm_*.cc): LLVM 14 parsing,
// verification, the O3 pipeline and object/assembly emission (in one call, or step by step on an
// LlvmModule), plus constant-data objects.
// Requires: the addon built at native/build/Release/kestrel_llvm.node (`npm run build:native`).
// Guarantees: backend failures throw KestrelError with code KC0901 carrying LLVM's diagnostic.

import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { Codes, diagnostic, isKestrelError } from '../../compiler/diagnostics.js';

export interface HostInfo {
  readonly cpu: string;
  readonly features: string;
  readonly triple: string;
}

export interface CompileIROptions {
  readonly ir: string;
  readonly triple: string;
  readonly cpu: string;
  readonly features: string;
  /** 0-3; default 3. */
  readonly optLevel?: number;
  /**
   * 'address': every function instrumented with AddressSanitizer after optimisation; the object
   * then needs the ASan runtime in the process that loads it (`npm run test:asan`). Default:
   * kernelSanitizer().
   */
  readonly sanitize?: 'address';
}

export interface DataSection {
  readonly symbol: string;
  /** ELF section name, e.g. ".kestrel_manifest"; default: the usual read-only data section. */
  readonly section?: string;
  readonly bytes: Uint8Array;
  readonly align: number;
}

export interface DataObjectOptions {
  readonly triple: string;
  readonly sections: readonly DataSection[];
  /** i64 constant globals, e.g. { symbol: 'kestrel_constants_size', value: 1024n }. */
  readonly exports: readonly { readonly symbol: string; readonly value: bigint | number }[];
}

/** Opaque native module handle (an N-API External). */
type NativeModule = { readonly __llvmModule: unique symbol };

interface Addon {
  hostInfo(): HostInfo;
  requiredFeatures(o: { triple: string; cpu: string; features: string }): string[];
  compileIR(o: CompileIROptions): Buffer;
  parseModule(o: CompileIROptions): NativeModule;
  optimizeModule(m: NativeModule): void;
  printModule(m: NativeModule): string;
  emitModuleObject(m: NativeModule): Buffer;
  disposeModule(m: NativeModule): void;
  emitAsm(o: CompileIROptions): string;
  emitDataObject(o: DataObjectOptions): Buffer;
}

export const BACKEND_ERROR = Codes.CODEGEN;

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('kestrel: cannot find the package root');
    dir = up;
  }
  return dir;
}

let cached: Addon | undefined;

function addon(): Addon {
  if (cached) return cached;
  const path = join(packageRoot(), 'native', 'build', 'Release', 'kestrel_llvm.node');
  if (!existsSync(path)) {
    throw diagnostic(BACKEND_ERROR, `the compiler part, the LLVM backend addon, is not built (${path} `
      + 'is missing): it needs LLVM 14 (Debian/Ubuntu: llvm-14-dev), cmake and a C++17 compiler; install '
      + 'them, then run `npm rebuild kestrel` (in a checkout: `npm run build:native`). Running a compiled '
      + '.so needs none of them');
  }
  cached = createRequire(import.meta.url)(path) as Addon;
  return cached;
}

function wrap<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (isKestrelError(e)) throw e;
    const err = e as Error & { code?: string };
    if (err.code === BACKEND_ERROR) {
      throw diagnostic(BACKEND_ERROR, err.message.replace(/^KC0901: /, ''));
    }
    throw e;
  }
}

export function llvmHostInfo(): HostInfo {
  return addon().hostInfo();
}

/**
 * The CPU features code compiled for (triple, cpu, features) may use, implied ones included, as
 * far as the runtime can check them on a host (native/src/util/cpu_features.h): target.requires.
 */
export function requiredCpuFeatures(t: { triple: string; cpu: string; features: string }): string[] {
  return wrap(() => addon().requiredFeatures({ triple: t.triple, cpu: t.cpu, features: t.features }));
}

/**
 * The sanitiser for generated kernels: 'address' when KESTREL_SANITIZE_KERNELS=address (an internal
 * switch for the sanitised test run, scripts/test-asan.mjs; such artifacts load only into a process
 * with the ASan runtime), else none. KC0901 for any other non-empty value.
 */
export function kernelSanitizer(): 'address' | undefined {
  const v = process.env['KESTREL_SANITIZE_KERNELS'] ?? '';
  if (v === '') return undefined;
  if (v === 'address') return v;
  throw diagnostic(BACKEND_ERROR, `KESTREL_SANITIZE_KERNELS is '${v}': the only sanitiser is 'address'`);
}

const withDefaults = (o: CompileIROptions): CompileIROptions =>
  ({ ...o, optLevel: o.optLevel ?? 3, sanitize: o.sanitize ?? kernelSanitizer() });

/** Textual LLVM 14 IR -> optimised ELF object bytes. */
export function compileIR(o: CompileIROptions): Uint8Array {
  return wrap(() => new Uint8Array(addon().compileIR(withDefaults(o))));
}

/** Textual LLVM 14 IR -> optimised assembly text (for tests and dumps). */
export function emitAsm(o: CompileIROptions): string {
  return wrap(() => addon().emitAsm(withDefaults(o)));
}

/** Constant globals (+ i64 value globals) -> ELF object bytes. */
export function emitDataObject(o: DataObjectOptions): Uint8Array {
  return wrap(() => new Uint8Array(addon().emitDataObject(o)));
}

/**
 * A parsed, verified LLVM module for one target, so that optimisation and object emission are
 * separate pipeline steps. Optimise at most once, then emit once; `dispose` frees it at once
 * (otherwise the garbage collector does). The same calls in the same order as compileIR, so the
 * object is byte-identical to compileIR's.
 */
export class LlvmModule {
  private constructor(private readonly m: NativeModule) {}

  /** Parses and verifies textual IR (KC0901 with LLVM's diagnostic when it is not valid). */
  static parse(o: CompileIROptions): LlvmModule {
    return new LlvmModule(wrap(() => addon().parseModule(withDefaults(o))));
  }

  /** Runs the O<optLevel> pipeline (the level given to parse). */
  optimize(): this {
    wrap(() => addon().optimizeModule(this.m));
    return this;
  }

  /** The module's IR as it stands (after optimize: the optimised IR). */
  print(): string {
    return wrap(() => addon().printModule(this.m));
  }

  /** ELF object bytes. */
  emitObject(): Uint8Array {
    return wrap(() => new Uint8Array(addon().emitModuleObject(this.m)));
  }

  dispose(): void {
    addon().disposeModule(this.m);
  }
}
