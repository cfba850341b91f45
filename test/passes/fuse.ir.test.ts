// Fusion (fuse, fuse-tree) and assign-layouts in the IR text. Groups are listed one a line as
// `kind op:output + op:output ...` (root first, then its epilogue), bodies indented below their
// control node; shape arithmetic (known contents) forms no group. A chain whose values each have
// one reader fuses into its anchor; a value read twice ends its group; a loop body is fused on its
// own. Layouts list packed weights by name.
import { describe, it } from 'vitest';
import type { Func } from '../../ir/graph.js';
import { assignLayouts, printLayouts } from '../../compiler/passes/assign-layouts.js';
import { fuseTree, type GroupTree } from '../../compiler/passes/fuse-tree.js';
import { stepCase } from './ir-case.js';

function groupLines(t: GroupTree, indent = ''): string[] {
  return t.groups.flatMap((g) => [
    `${indent}${g.kind} ${[g.root, ...g.epilogue].map((n) => `${n.op}:${n.outputs[0]?.name}`).join(' + ')}`,
    ...[...t.bodies.get(g.root) ?? []].flatMap(([name, b]) => [`${indent}  body ${name}:`,
      ...groupLines(b, `${indent}    `)]),
  ]);
}
const groups = (f: Func): string => groupLines(fuseTree(f)).join('\n');
const layouts = (f: Func): string => printLayouts(assignLayouts(fuseTree(f)));

const CONV = `
        $w: float32[4, 3, 3, 3] = const seed 1
        %c: float32[1, 4, 6, 6] = conv(%x, $w, _) {kernel=[3, 3]}`;

describe('fuse (IR text)', () => {
  it('fuses a conv, its activation and an add of another tensor into one kernel', () => {
    stepCase(groups, `
      func @g(%x: float32[1, 3, 8, 8], %z: float32[1, 4, 6, 6]) {
        $shape: int64[2] = const [4, 36]${CONV}
        %r: float32[1, 4, 6, 6] = relu(%c)
        %a: float32[1, 4, 6, 6] = add(%z, %r)
        %s: int64[4] = shape(%a)
        %v: float32[4, 36] = reshape(%a, $shape)
        return %v, %s
      }`, `
      kernel conv:c + relu:r + add:a
      view reshape:v`);
  });
  it('ends a group at a value with two readers', () => {
    stepCase(groups, `
      func @g(%x: float32[1, 3, 8, 8]) {${CONV}
        %r: float32[1, 4, 6, 6] = relu(%c)
        %s: float32[1, 4, 6, 6] = sigmoid(%r)
        %a: float32[1, 4, 6, 6] = add(%r, %s)
        return %a
      }`, `
      kernel conv:c + relu:r
      kernel sigmoid:s + add:a`);
  });
  it('fuses inside a loop body (fuse-tree)', () => {
    stepCase(groups, `
      func @g(%x: float32[4], %n: int64[]) {
        $one: float32[] = const [1]
        %y: float32[4] = loop(%n, _, %x) {body=@body}
          func @body(%i: int64[], %c: bool[], %xi: float32[4]) {
            %a: float32[4] = add(%xi, $one)
            %r: float32[4] = relu(%a)
            %co: bool[] = identity(%c)
            return %co, %r
          }
        return %y
      }`, `
      control loop:y
        body body:
          kernel add:a + relu:r
          view identity:co`);
  });
});

describe('assign-layouts (IR text)', () => {
  it('records a packed conv weight as OIHW4o', () => {
    stepCase(layouts, `
      func @g(%x: float32[1, 8, 6, 6]) {
        $w_packed: float32[1, 8, 1, 1, 4] = const seed 3
        %y: float32[1, 3, 3, 3] = conv(%x, $w_packed, _) {kernel=[1, 1], strides=[2, 2], packedOc=4,
          outChannels=3}
        return %y
      }`, `
      # NCHW: 2 tensors
      # OIHW4o: 1 tensors
      %w_packed: OIHW4o`);
  });
  it('lists only row-major tensors for an unpacked conv', () => {
    stepCase(layouts, `
      func @g(%x: float32[1, 3, 8, 8]) {${CONV}
        return %c
      }`, `
      # NCHW: 3 tensors`);
  });
});
