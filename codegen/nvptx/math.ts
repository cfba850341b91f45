// Device math for NVPTX. LLVM 14's NVPTX back end cannot select llvm.pow/sin/cos/exp/log (nor
// roundeven) and turns them into calls of libm functions that do not exist on the GPU — and it
// reports that with a fatal error that would abort the compiling process. So the emitted module
// is rewritten before it reaches LLVM:
// - llvm.roundeven.* -> llvm.rint.* (cvt.rni: round to nearest even, the same in the default mode);
// - llvm.{pow,sin,cos,exp,log}.f32 and their <N x float> forms -> internal definitions here, built
//   on the PTX approximations: pow = ex2.approx(y * lg2.approx|x|) with C's sign and special cases
//   (x<0: odd integer y gives the negative, non-integer y NaN; y=0 gives 1), sin/cos after a
//   Cody-Waite reduction to [-pi, pi] (sin.approx is accurate to ~1e-6 there and degrades far
//   from it); vector forms apply the scalar one per lane.
// Every other declaration must be an intrinsic the back end is known to lower (ALLOWED), or it is
// reported as unresolved so that the caller fails with a clear error (f64 transcendentals, libm).
// Requires: declarations as codegen/llvm/builder.ts writes them (`declare T @name(...)`).

const ALLOWED_INTRINSICS = [
  'nvvm', 'masked', 'vector.reduce', 'fmuladd', 'fma', 'sqrt', 'floor', 'ceil', 'trunc', 'rint', 'fabs',
  'copysign', 'fptosi.sat', 'fptoui.sat', 'minnum', 'maxnum', 'smin', 'smax', 'umin', 'umax', 'abs',
];
const ALLOWED = new RegExp(`^llvm\\.(${ALLOWED_INTRINSICS.map((n) => n.replace('.', '\\.')).join('|')})\\.`);

const SCALAR: Readonly<Record<string, string>> = {
  pow: `define internal float @kestrel.gpu.pow.f32(float %x, float %y) alwaysinline nounwind {
  %ax = call float @llvm.fabs.f32(float %x)
  %l = call float @llvm.nvvm.lg2.approx.f(float %ax)
  %p = fmul float %y, %l
  %m = call float @llvm.nvvm.ex2.approx.f(float %p)
  %yi = call float @llvm.trunc.f32(float %y)
  %isint = fcmp oeq float %yi, %y
  %half = fmul float %y, 0.5
  %hi = call float @llvm.trunc.f32(float %half)
  %odd = fcmp une float %hi, %half
  %neg = fcmp olt float %x, 0.0
  %nm = fneg float %m
  %signed = select i1 %odd, float %nm, float %m
  %negr = select i1 %isint, float %signed, float 0x7FF8000000000000
  %r = select i1 %neg, float %negr, float %m
  %y0 = fcmp oeq float %y, 0.0
  %r2 = select i1 %y0, float 1.0, float %r
  ret float %r2
}`,
  sin: reduced('sin'),
  cos: reduced('cos'),
  exp: `define internal float @kestrel.gpu.exp.f32(float %x) alwaysinline nounwind {
  %p = fmul float %x, 0x3FF7154760000000
  %r = call float @llvm.nvvm.ex2.approx.f(float %p)
  ret float %r
}`,
  log: `define internal float @kestrel.gpu.log.f32(float %x) alwaysinline nounwind {
  %l = call float @llvm.nvvm.lg2.approx.f(float %x)
  %r = fmul float %l, 0x3FE62E4300000000
  ret float %r
}`,
};

/** sin/cos: x - k*2pi with k = rint(x/(2pi)), 2pi split in two parts, then the PTX approximation. */
function reduced(f: 'sin' | 'cos'): string {
  return `define internal float @kestrel.gpu.${f}.f32(float %x) alwaysinline nounwind {
  %q = fmul float %x, 0x3FC45F3060000000
  %k = call float @llvm.rint.f32(float %q)
  %r1 = call float @llvm.fma.f32(float %k, float 0xC01921FB60000000, float %x)
  %r = call float @llvm.fma.f32(float %k, float 0x3E8777A5C0000000, float %r1)
  %v = call float @llvm.nvvm.${f}.approx.f(float %r)
  ret float %v
}`;
}

const HELPER_DECLS = [
  'declare float @llvm.fabs.f32(float)', 'declare float @llvm.trunc.f32(float)',
  'declare float @llvm.rint.f32(float)', 'declare float @llvm.fma.f32(float, float, float)',
  'declare float @llvm.nvvm.lg2.approx.f(float)', 'declare float @llvm.nvvm.ex2.approx.f(float)',
  'declare float @llvm.nvvm.sin.approx.f(float)', 'declare float @llvm.nvvm.cos.approx.f(float)',
];

/** `<N x float>` form of helper `f`: the scalar one per lane. */
function vectorForm(f: string, n: number): string {
  const arity = f === 'pow' ? 2 : 1;
  const T = `<${n} x float>`;
  const params = arity === 2 ? `${T} %a, ${T} %b` : `${T} %a`;
  const lines = [`define internal ${T} @kestrel.gpu.${f}.v${n}f32(${params}) alwaysinline nounwind {`];
  let acc = 'undef';
  for (let i = 0; i < n; i++) {
    lines.push(`  %a${i} = extractelement ${T} %a, i32 ${i}`);
    if (arity === 2) lines.push(`  %b${i} = extractelement ${T} %b, i32 ${i}`);
    const args = arity === 2 ? `float %a${i}, float %b${i}` : `float %a${i}`;
    lines.push(`  %r${i} = call float @kestrel.gpu.${f}.f32(${args})`);
    lines.push(`  %v${i} = insertelement ${T} ${acc}, float %r${i}, i32 ${i}`);
    acc = `%v${i}`;
  }
  lines.push(`  ret ${T} ${acc}`, '}');
  return lines.join('\n');
}

const nameOf = (decl: string): string => /@([\w.$-]+)\(/.exec(decl)?.[1] ?? decl;

/**
 * `body` (function definitions) plus `decls`, with the rewrites of the file comment applied.
 * Returns the module text and the external functions nothing here can provide.
 */
export function deviceMath(body: string, decls: readonly string[]): { ir: string; unresolved: string[] } {
  let ir = body.replace(/@llvm\.roundeven\./g, '@llvm.rint.');
  const keep = new Map<string, string>();
  const defs = new Set<string>();
  const unresolved: string[] = [];
  for (const d0 of decls) {
    const d = d0.replace(/@llvm\.roundeven\./, '@llvm.rint.');
    const name = nameOf(d);
    const m = /^llvm\.(pow|sin|cos|exp|log)\.(f32|v(\d+)f32)$/.exec(name);
    if (m) {
      ir = ir.split(`@${name}(`).join(`@kestrel.gpu.${m[1]}.${m[2]}(`);
      defs.add(SCALAR[m[1]]);
      if (m[3]) defs.add(vectorForm(m[1], Number(m[3])));
      continue;
    }
    if (ALLOWED.test(name)) keep.set(name, d);
    else unresolved.push(name);
  }
  if (defs.size) for (const h of HELPER_DECLS) keep.set(nameOf(h), keep.get(nameOf(h)) ?? h);
  return { ir: [ir, ...defs, '', ...keep.values()].join('\n'), unresolved };
}
