// Symbolic dimensions. A Dim is either a plain integer or a normalised polynomial over named
// variables (`batch`, `seq*4`) whose atoms may also be floor divisions, remainders, max and min of
// other dims. Normalisation makes structurally equal expressions compare equal by `key`, which is
// what shape inference needs to check `batch` against `batch` or `seq*4` against `4*seq`.
// The same expressions are evaluated at compile time (constants fold) and turned into VM integer
// arithmetic for run time, so there is one shape relation per op, never a second shape function.

export type Atom =
  | { readonly kind: 'var'; readonly name: string }
  | { readonly kind: 'floordiv' | 'mod' | 'max' | 'min'; readonly a: Dim; readonly b: Dim };

export interface Term {
  readonly coef: number;
  /** Atoms sorted by key; repeated atoms mean powers. Never empty. */
  readonly atoms: readonly Atom[];
}

export interface SymDim {
  readonly kind: 'sym';
  readonly terms: readonly Term[];
  readonly constant: number;
  /** Canonical text; equal keys mean equal expressions. */
  readonly key: string;
}

export type Dim = number | SymDim;

export const isStatic = (d: Dim): d is number => typeof d === 'number';

export function atomKey(a: Atom): string {
  switch (a.kind) {
    case 'var': return a.name;
    case 'floordiv': return `(${dimKey(a.a)}//${dimKey(a.b)})`;
    case 'mod': return `(${dimKey(a.a)}%${dimKey(a.b)})`;
    case 'max': return `max(${dimKey(a.a)},${dimKey(a.b)})`;
    case 'min': return `min(${dimKey(a.a)},${dimKey(a.b)})`;
  }
}

export function dimKey(d: Dim): string {
  return typeof d === 'number' ? String(d) : d.key;
}

function termKey(t: Term): string {
  return t.atoms.map(atomKey).join('*');
}

/** Builds the normal form from terms; returns a plain number when no term survives. */
function make(terms: Term[], constant: number): Dim {
  const merged = new Map<string, Term>();
  for (const t of terms) {
    const k = termKey(t);
    const prev = merged.get(k);
    merged.set(k, { coef: (prev?.coef ?? 0) + t.coef, atoms: t.atoms });
  }
  const kept = [...merged.entries()].filter(([, t]) => t.coef !== 0).sort(([a], [b]) => (a < b ? -1 : 1));
  if (kept.length === 0) return constant;
  const parts = kept.map(([k, t]) => (t.coef === 1 ? k : `${t.coef}*${k}`));
  if (constant !== 0) parts.push(String(constant));
  return Object.freeze({ kind: 'sym', terms: kept.map(([, t]) => t), constant, key: parts.join('+') });
}

function termsOf(d: Dim): { terms: readonly Term[]; constant: number } {
  return typeof d === 'number' ? { terms: [], constant: d } : d;
}

function atomDim(a: Atom): Dim {
  return make([{ coef: 1, atoms: [a] }], 0);
}

export function sym(name: string): Dim {
  return atomDim({ kind: 'var', name });
}

export function dimAdd(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  const x = termsOf(a), y = termsOf(b);
  return make([...x.terms, ...y.terms], x.constant + y.constant);
}

export function dimNeg(a: Dim): Dim {
  return dimMul(a, -1);
}

export function dimSub(a: Dim, b: Dim): Dim {
  return dimAdd(a, dimNeg(b));
}

export function dimMul(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  const x = termsOf(a), y = termsOf(b);
  const out: Term[] = [];
  const sortAtoms = (atoms: Atom[]) => atoms.sort((p, q) => (atomKey(p) < atomKey(q) ? -1 : 1));
  for (const s of x.terms) {
    for (const t of y.terms) out.push({ coef: s.coef * t.coef, atoms: sortAtoms([...s.atoms, ...t.atoms]) });
    if (y.constant !== 0) out.push({ coef: s.coef * y.constant, atoms: s.atoms });
  }
  if (x.constant !== 0) for (const t of y.terms) out.push({ coef: t.coef * x.constant, atoms: t.atoms });
  return make(out, x.constant * y.constant);
}

export function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

export function dimFloorDiv(a: Dim, b: Dim): Dim {
  if (b === 1) return a;
  if (typeof a === 'number' && typeof b === 'number') return floorDiv(a, b);
  if (typeof b === 'number' && b > 0 && typeof a !== 'number') {
    // Exact division of every coefficient keeps the expression polynomial.
    if (a.constant % b === 0 && a.terms.every((t) => t.coef % b === 0)) {
      return make(a.terms.map((t) => ({ coef: t.coef / b, atoms: t.atoms })), a.constant / b);
    }
  }
  if (typeof a !== 'number' && typeof b !== 'number' && a.key === b.key) return 1;
  const exact = typeof b === 'number' ? undefined : divideByMonomial(a, b);
  return exact ?? atomDim({ kind: 'floordiv', a, b });
}

/** a / b when b is one term (c * atoms) that divides every term of a exactly; else undefined. */
function divideByMonomial(a: Dim, b: SymDim): Dim | undefined {
  if (b.constant !== 0 || b.terms.length !== 1 || b.terms[0].coef <= 0) return undefined;
  const { coef, atoms } = b.terms[0];
  const x = termsOf(a);
  if (x.constant !== 0) return undefined;
  const out: Term[] = [];
  for (const t of x.terms) {
    if (t.coef % coef !== 0) return undefined;
    const rest = [...t.atoms];
    for (const at of atoms) {
      const i = rest.findIndex((r) => atomKey(r) === atomKey(at));
      if (i < 0) return undefined;
      rest.splice(i, 1);
    }
    out.push({ coef: t.coef / coef, atoms: rest });
  }
  // Terms left without atoms are constants.
  const constant = out.filter((t) => t.atoms.length === 0).reduce((c, t) => c + t.coef, 0);
  return make(out.filter((t) => t.atoms.length > 0), constant);
}

export function dimCeilDiv(a: Dim, b: Dim): Dim {
  return dimNeg(dimFloorDiv(dimNeg(a), b));
}

export function dimMod(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a - b * floorDiv(a, b);
  const rest = dimSub(a, dimMul(b, dimFloorDiv(a, b)));
  return typeof rest === 'number' ? rest : atomDim({ kind: 'mod', a, b });
}

/** The atom `d` consists of, if it is a single min/max atom. */
function soleAtom(d: Dim): Atom | undefined {
  if (typeof d === 'number' || d.constant !== 0 || d.terms.length !== 1) return undefined;
  const t = d.terms[0];
  return t.coef === 1 && t.atoms.length === 1 ? t.atoms[0] : undefined;
}

const hasArg = (x: Atom | undefined, kind: 'max' | 'min', d: Dim): boolean =>
  x !== undefined && x.kind === kind && (dimEq(x.a, d) || dimEq(x.b, d));

export function dimMax(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return Math.max(a, b);
  if (dimEq(a, b)) return a;
  // max(a, max(a, c)) = max(a, c); max(a, min(a, c)) = a.
  const [sa, sb] = [soleAtom(a), soleAtom(b)];
  if (hasArg(sb, 'max', a)) return b;
  if (hasArg(sa, 'max', b)) return a;
  if (hasArg(sb, 'min', a)) return a;
  if (hasArg(sa, 'min', b)) return b;
  return atomDim({ kind: 'max', a, b });
}

export function dimMin(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return Math.min(a, b);
  if (dimEq(a, b)) return a;
  // min(a, min(a, c)) = min(a, c); min(a, max(a, c)) = a.
  const [sa, sb] = [soleAtom(a), soleAtom(b)];
  if (hasArg(sb, 'min', a)) return b;
  if (hasArg(sa, 'min', b)) return a;
  if (hasArg(sb, 'max', a)) return a;
  if (hasArg(sa, 'max', b)) return b;
  return atomDim({ kind: 'min', a, b });
}

export function dimEq(a: Dim, b: Dim): boolean {
  return dimKey(a) === dimKey(b);
}

/** Product of dims (element count of a shape). */
export function dimProduct(dims: readonly Dim[]): Dim {
  return dims.reduce<Dim>((acc, d) => dimMul(acc, d), 1);
}

export function atomVars(a: Atom, out: Set<string>): void {
  if (a.kind === 'var') out.add(a.name);
  else { dimVarsInto(a.a, out); dimVarsInto(a.b, out); }
}

function dimVarsInto(d: Dim, out: Set<string>): void {
  if (typeof d !== 'number') for (const t of d.terms) for (const a of t.atoms) atomVars(a, out);
}

/** Names of the variables a dim depends on. */
export function dimVars(d: Dim): string[] {
  const out = new Set<string>();
  dimVarsInto(d, out);
  return [...out].sort();
}

/** Evaluates a dim given values for its variables; throws on a missing variable. */
export function evalDim(d: Dim, env: ReadonlyMap<string, number>): number {
  if (typeof d === 'number') return d;
  let v = d.constant;
  for (const t of d.terms) v += t.coef * t.atoms.reduce((p, a) => p * evalAtom(a, env), 1);
  return v;
}

function evalAtom(a: Atom, env: ReadonlyMap<string, number>): number {
  switch (a.kind) {
    case 'var': {
      const v = env.get(a.name);
      if (v === undefined) throw new Error(`unbound dimension variable '${a.name}'`);
      return v;
    }
    case 'floordiv': return floorDiv(evalDim(a.a, env), evalDim(a.b, env));
    case 'mod': { const x = evalDim(a.a, env), y = evalDim(a.b, env); return x - y * floorDiv(x, y); }
    case 'max': return Math.max(evalDim(a.a, env), evalDim(a.b, env));
    case 'min': return Math.min(evalDim(a.a, env), evalDim(a.b, env));
  }
}

/** Substitutes variables by dims (used to specialise a symbolic shape). */
export function substDim(d: Dim, env: ReadonlyMap<string, Dim>): Dim {
  if (typeof d === 'number') return d;
  let acc: Dim = d.constant;
  for (const t of d.terms) {
    const prod = t.atoms.reduce<Dim>((p, a) => dimMul(p, substAtom(a, env)), t.coef);
    acc = dimAdd(acc, prod);
  }
  return acc;
}

function substAtom(a: Atom, env: ReadonlyMap<string, Dim>): Dim {
  switch (a.kind) {
    case 'var': return env.get(a.name) ?? atomDim(a);
    case 'floordiv': return dimFloorDiv(substDim(a.a, env), substDim(a.b, env));
    case 'mod': return dimMod(substDim(a.a, env), substDim(a.b, env));
    case 'max': return dimMax(substDim(a.a, env), substDim(a.b, env));
    case 'min': return dimMin(substDim(a.a, env), substDim(a.b, env));
  }
}

export function dimToString(d: Dim): string {
  return dimKey(d);
}

export function shapeToString(shape: readonly Dim[]): string {
  return `[${shape.map(dimToString).join(', ')}]`;
}

// Data symbols: a dim whose value is element `index` of the tensor value with id `valueId`, read
// by the VM at run time (a Reshape whose target shape is a graph input, a Range whose limit is
// computed by a kernel). They are plain variables with a reserved name, so all dim algebra
// applies; the program lowering binds them with `load_int` right after the tensor is computed.

const DATA_PREFIX = '@';

export function dataSymbol(valueId: number, index: number): Dim {
  return sym(`${DATA_PREFIX}${valueId}.${index}`);
}

export function parseDataSymbol(name: string): { valueId: number; index: number } | undefined {
  const m = /^@(\d+)\.(\d+)$/.exec(name);
  return m ? { valueId: Number(m[1]), index: Number(m[2]) } : undefined;
}
