// Every kestrel op an ONNX converter declares it emits is registered (ir/ops): nothing stubs a
// missing op, so a misspelled or undeclared op name fails here, listing each one with its ONNX op.
import { describe, expect, it } from 'vitest';
import { CONVERTERS } from '../../compiler/frontend/onnx/ops/index.js';
import { allOps, getOp } from '../../ir/ops/index.js';

/** `OnnxOp@since: op` for each emitted op that the registry lacks. */
function unregisteredEmits(): string[] {
  const missing: string[] = [];
  for (const [onnxOp, entries] of CONVERTERS) {
    for (const e of entries) {
      for (const op of e.emits) if (!getOp(op)) missing.push(`${onnxOp}@${e.since}: ${op}`);
    }
  }
  return missing;
}

describe('op registry', () => {
  it('registers every op the converters emit', () => {
    expect(CONVERTERS.size).toBeGreaterThan(100);
    expect(unregisteredEmits()).toEqual([]);
  });

  it('knows only the ops the families define (a misspelled name is not found)', () => {
    expect(allOps()).toContain('relu');
    expect(getOp('reul')).toBeUndefined();
  });
});
