// The graph-IR text (ir/print.ts, ir/parse.ts, ir/const-text.ts): printouts of frontend graphs and
// hand-written ones parse back to the same text and the same graph (types, attributes, constant
// bytes), the constant forms read back to the data they describe, and each kind of bad text fails
// with an IrParseError at its line and column.
import { describe, expect, it } from 'vitest';
import '../../ir/ops/index.js';
import { importOnnx } from '../../compiler/frontend/onnx/import.js';
import { constElems, seededConst } from '../../ir/const-text.js';
import { type Dim, dimKey } from '../../ir/dim.js';
import { bodiesOf, type Func, isFunc, type Value } from '../../ir/graph.js';
import { IrParseError, parseFunc } from '../../ir/parse.js';
import { printFunc } from '../../ir/print.js';
import { loopModel } from '../fixtures/loop-model.js';
import { attrInt, attrInts, encodeModel, floatTensor, FLOAT, INT64, node, vi }
  from '../fixtures/onnx-builder.js';

const i64 = (name: string, v: bigint[]) =>
  ({ name, dims: [v.length], dataType: INT64, rawData: new Uint8Array(BigInt64Array.from(v).buffer) });

/** A frontend graph with constants of every print form, shape arithmetic and data dims. */
const model = () => importOnnx(encodeModel({
  nodes: [
    node('Conv', ['x', 'w'], ['c'], [attrInts('pads', [1, 1, 1, 1])], 'conv:0'),
    node('Add', ['c', 'big'], ['a']),
    node('Relu', ['a'], ['y']),
    node('Shape', ['y'], ['s']),
    node('Reshape', ['y', 'sh'], ['r']),
    node('Slice', ['x', 'starts', 'ends', 'axes'], ['sl']),
    node('ArgMax', ['x'], ['am'], [attrInt('axis', 1)]),
  ],
  inputs: [vi('x', FLOAT, ['batch', 3, 5, 6]), vi('sh', INT64, [2])],
  outputs: [vi('y', FLOAT, ['batch', 2, 5, 6]), vi('s', INT64, [4]), vi('r', FLOAT, [null, null]),
    vi('sl', FLOAT, [null, null, null, null]), vi('am', INT64, [null, null, null, null])],
  initializers: [floatTensor('w', [2, 3, 3, 3], Array.from({ length: 54 }, (_, i) => i / 4 - 3)),
    floatTensor('big', [1, 2, 5, 6], Array.from({ length: 60 }, (_, i) => Math.sin(i))),
    i64('starts', [1n]), i64('ends', [9223372036854775807n]), i64('axes', [2n])],
}));

/** Everything a graph holds that the text must keep, per value and node; data dims by name, not id. */
function shape(f: Func, names = valueNames(f)): unknown {
  const dim = (d: Dim) => dimKey(d).replace(/@(\d+)\./g, (_, id: string) => `@${names.get(Number(id))}.`);
  const val = (v: Value | null) => v && { name: v.name, dtype: v.type.dtype, dims: v.type.shape.map(dim),
    elems: v.type.elems?.map(dim), data: v.data && Array.from(v.data.bytes) };
  return { inputs: f.inputs.map(val), outputs: f.outputs.map(val), nodes: f.nodes.map((n) => ({
    op: n.op, origin: n.origin, inputs: n.inputs.map(val), outputs: n.outputs.map(val),
    attrs: Object.entries(n.attrs).map(([k, a]) => [k, isFunc(a) ? shape(a, names) : a]),
    checks: n.checks?.length ?? 0, bodies: bodiesOf(n).length })) };
}

function valueNames(f: Func, out = new Map<number, string>()): Map<number, string> {
  for (const v of f.inputs) out.set(v.id, v.name);
  for (const n of f.nodes) {
    for (const v of n.outputs) out.set(v.id, v.name);
    bodiesOf(n).forEach((b) => valueNames(b, out));
  }
  return out;
}

describe('graph-IR text round trip', () => {
  it('a frontend graph prints, parses to the same graph, and prints the same text', () => {
    const f = model().main;
    const text = printFunc(f);
    expect(text).toContain('$w: float32[2, 3, 3, 3] = const iota -3 0.25');
    expect(text).toContain('$big: float32[1, 2, 5, 6] = const digest 0x');
    expect(text).toContain('$ends: int64[1] = const [9223372036854775807]');
    expect(text).toContain("// Conv 'conv:0'");
    expect(text).toMatch(/%s: int64\[4\]<batch, 2, 5, 6> = shape/);
    expect(text).toMatch(/@sh\.0/);
    // The digest is not data: swap in an inline form of the same bytes to parse.
    const big = f.nodes[1].inputs[1]!;
    const inline = text.replace(/const digest 0x[0-9a-f]+/, `const [${constElems(big.data!).join(', ')}]`);
    const g = parseFunc(inline);
    expect(shape(g)).toEqual(shape(f));
    expect(printFunc(g)).toBe(text);
  });
  it('a loop body prints nested and reads back', () => {
    const f = importOnnx(loopModel()).main;
    const text = printFunc(f);
    expect(text).toMatch(/= loop\(.*\) \{body=@body\}.*\n {4}func @body\(/);
    expect(shape(parseFunc(text))).toEqual(shape(f));
    expect(printFunc(parseFunc(text))).toBe(text);
  });
  it('hand-written text with if bodies, sequences, optionals, quoted and clashing names', () => {
    const text = [
      'func @g(%c: bool[], %"x:0": float32[n, 4]) {',
      '  $k: float16[2] = const bits [0x3c00, 0xc000]',
      '  $v: float32[40] = const splat 0.5',
      '  $e: int32[40] = const seed 7',
      '  %y: float32[n, 4] = if(%c) {then=@then, else=@else}  // If \'branch \\\'a\\\'\'',
      '    func @then() {',
      '      %a: float32[n, 4] = relu(%"x:0")  // Relu \'r\'',
      '      return %a',
      '    }',
      '    func @else() {',
      '      %a: float32[n, 4] = neg(%"x:0")  // Neg \'m\'',
      '      return %a',
      '    }',
      '  %q: seq float32[n, 4] = sequence_construct(%y, %y)  // SequenceConstruct \'sc\'',
      '  %o: opt seq float32[*] = optional() {dtype="float32", sequence=1}  // Optional \'o\'',
      '  return %q, %o, $k, $v, $e',
      '}',
    ].join('\n');
    // The else branch's %a clashes with the then branch's: it prints as %"a#1".
    expect(printFunc(parseFunc(text))).toBe(text
      .replace(/(%a: float32\[n, 4\] = neg)/, '%"a#1": float32[n, 4] = neg')
      .replace('return %a\n    }\n  %q', 'return %"a#1"\n    }\n  %q'));
  });
  it('the constant forms read back to their data', () => {
    const f = parseFunc(`func @g() {
      $a: float32[4] = const [1, -0.1, inf, nan]
      $b: int64[3] = const iota -2 3
      $c: uint8[3] = const splat 255
      $d: float32[5] = const seed 3
      return $a, $b, $c, $d
    }`);
    const [a, b, c, d] = f.outputs.map((v) => constElems(v.data!));
    expect(a).toEqual([1, Math.fround(-0.1), Infinity, NaN]);
    expect(b).toEqual([-2n, 1n, 4n]);
    expect(c).toEqual([255, 255, 255]);
    expect(d).toEqual(constElems(seededConst('float32', [5], 3)));
    expect(new Set(d).size).toBeGreaterThan(1);
    expect(d.every((x) => typeof x === 'number' && x >= -1 && x < 1 && Number.isInteger(x * 8))).toBe(true);
  });
});

/** The parse error of `text`: its line, column and reason. */
function error(text: string): { line: number; column: number; reason: string; code?: string } {
  try {
    parseFunc(text);
  } catch (e) {
    if (!(e instanceof IrParseError)) throw e;
    return { line: e.line, column: e.column, reason: e.reason, code: e.code };
  }
  throw new Error('the text parsed');
}

const fn = (...lines: string[]) => ['func @g(%x: float32[2, 3]) {', ...lines, '}'].join('\n');

/** Line and column (1-based) of the first `marker` after `from` in `text`. */
function at(text: string, marker: string, from = ''): [number, number] {
  const i = text.indexOf(marker, text.indexOf(from) + 1);
  const before = text.slice(0, i).split('\n');
  return [before.length, before[before.length - 1].length + 1];
}

describe('graph-IR text errors', () => {
  // [kind, text, where the error must point (a marker, and text it follows), reason, KC code]
  const cases: [string, string, [string, string?], RegExp, string?][] = [
    ['syntax', fn('  %y: float32[2, 3] = relu(%x', '  return %y'), ['return'], /expected ',' or '\)'/],
    ['unknown dtype', fn('  %y: float33[2, 3] = relu(%x)', '  return %y'), ['float33'],
      /unknown dtype 'float33'/],
    ['unknown op', fn('  %y: float32[2, 3] = frobnicate(%x)', '  return %y'), ['frobnicate'],
      /unknown op 'frobnicate'/],
    ['undefined value', fn('  %y: float32[2, 3] = relu(%z)', '  return %y'), ['z)'],
      /value %z is not defined/],
    ['defined twice', fn('  %x: float32[2, 3] = relu(%x)', '  return %x'), ['x:', '{'],
      /'x' is defined twice/],
    ['type mismatch', fn('  %y: float32[3, 2] = relu(%x)', '  return %y'), ['y:'],
      /%y is written float32\[3, 2\] but relu infers float32\[2, 3\]/],
    ['attribute (KC0401)', fn('  %y: float32[2, 3] = softmax(%x) {axis=5}', '  return %y'), ['%y'],
      /softmax: KC0401/, 'KC0401'],
    ['inference (KC0402)', fn('  %y: float32[2, 3] = matmul(%x, %x)', '  return %y'), ['%y'],
      /matmul: KC0402/, 'KC0402'],
    ['element count', fn('  $w: float32[3] = const [1, 2]', '  return $w'), ['[1'],
      /2 elements for a constant of 3/],
    ['digest', fn('  $w: float32[64] = const digest 0x1234abcd', '  return $w'), ['digest'], /elided/],
    ['integer element', fn('  $w: int32[2] = const [1, 2.5]', '  return $w'), ['2.5'],
      /'2.5' is not an integer/],
    ['missing return', fn('  %y: float32[2, 3] = relu(%x)'), ['}', 'relu'],
      /expected a node, a constant or 'return', found '\}'/],
    ['unterminated string', fn('  %y: float32[2, 3] = relu(%x) {mode="abc}', '  return %y'), ['"abc'],
      /unterminated string/],
    ['body name', fn('  %y: float32[2, 3] = loop(_, _, %x) {body=@b}', '    func @c(%i: int64[], ' +
      '%k: bool[], %v: float32[2, 3]) {', '      return %k, %v', '    }', '  return %y'), ['func @c'],
      /expected the body @b, found @c/],
    ['data dim', fn('  %y: float32[@s.0] = relu(%x)', '  return %y'), ['s.0'], /undefined value 's'/],
    ['trailing text', `${fn('  return %x')}\nfunc`, ['func', '}'], /unexpected 'func' after the function/],
    ['symbolic constant', fn('  $w: float32[n] = const splat 1', '  return $w'), ['splat'],
      /a constant needs static dims/],
    ['sequence constant', fn('  $w: seq float32[2] = const [1, 2]', '  return $w'), ['w:'],
      /constant \$w must be a plain tensor/],
    ['bits for a float32', fn('  $w: float32[1] = const bits [0x3c00]', '  return $w'), ['bits'],
      /only float16, bfloat16 and the float8\/float4 types are written as bits/],
    ['float16 not as bits', fn('  $w: float16[1] = const [1]', '  return $w'), ['[1]', 'const'],
      /float16 elements are written as bits/],
    ['seed without a number', fn('  $w: float32[1] = const seed', '  return $w'), ['return'],
      /expected a seed/],
    ['mixed list', fn('  %y: float32[2, 3] = relu(%x) {a=[1, "b"]}', '  return %y'), ['}', '"b"'],
      /a list mixes numbers and strings/],
    ['attribute twice', fn('  %y: float32[2, 3] = relu(%x) {a=1, a=2}', '  return %y'), ['a=2'],
      /attribute 'a' is given twice/],
    ['bad escape', fn('  %y: float32[2, 3] = relu(%x) {a="\\q"}', '  return %y'), ['"\\q'],
      /invalid escape in string/],
    ['origin comment', fn('  %y: float32[2, 3] = relu(%x)  // Relu r', '  return %y'), ['// Relu'],
      /an origin comment reads/],
    ['absent output', fn('  return _'), ['\n}'], /a function output cannot be absent/],
    ['output count', fn('  %y: float32[2, 3], %z: float32[2, 3] = relu(%x)', '  return %y'), ['%y'],
      /relu has 1 outputs, the text names 2/],
    ['bad dim', fn('  %y: float32[2x, 3] = relu(%x)', '  return %y'), ['2x'],
      /'2x' is neither a number nor a symbol/],
  ];
  for (const [kind, text, [marker, from], reason, code] of cases) {
    it(kind, () => {
      const e = error(text);
      expect(e.reason).toMatch(reason);
      expect([e.line, e.column]).toEqual(at(text, marker, from));
      expect(e.code).toBe(code);
    });
  }
});
