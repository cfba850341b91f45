// GPU defaults of the schedule spaces (target arch 'nvptx'). On a GPU every parallel iteration is
// a thread (codegen/nvptx/bind.ts), so the best default is a small per-thread tile: more
// iterations to spread over the grid's threads, few registers per thread (occupancy), and small
// kernels (a CPU-sized register tile with masked tails turns into hundreds of kilobytes of PTX,
// which ptxas takes many seconds to assemble). Packing panels into per-thread scratch is off:
// each thread would copy a whole panel into local memory.
// Requires: knob names of compiler/schedule/families. Guarantees: a value is used only where it
// is one of the knob's candidates for the kernel (otherwise the family's default stays), so the
// GPU defaults are always a legal point of the same space the tuner searches.

import type { TargetInfo } from '../../ir/te.js';
import type { Family, KnobContext, Knobs } from './space.js';

const GPU_DEFAULTS: Readonly<Record<string, Knobs>> = Object.freeze({
  conv: {
    'conv.oc': 2, 'conv.wv': 1, 'conv.ocv': 1, 'conv.px': 2, 'dw.rows': 1, 'dw.wv': 1,
    'conv1x1.tm': 2, 'conv1x1.tn': 1, 'conv1x1.pack': 3,
  },
  matmul: { 'mm.tm': 2, 'mm.tn': 1 },
  pool: { 'pool.wv': 1 },
  rnn: { 'rnn.tb': 1, 'rnn.parts': 8 },
  elementwise: { 'elem.flat': 1 },
});

export const isGpu = (t: TargetInfo): boolean => t.arch === 'nvptx';

/** The GPU defaults of family `f` that are candidates for this kernel. */
export function gpuDefaults(f: Family, c: KnobContext): Knobs {
  const want = GPU_DEFAULTS[f.name] ?? {};
  const fit = f.knobs.filter((k) => k.name in want && k.values(c).includes(want[k.name]));
  return Object.freeze(Object.fromEntries(fit.map((k) => [k.name, want[k.name]])));
}
