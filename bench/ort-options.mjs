// onnxruntime-node session options for the benchmarks.
// - ortDefaultOptions: what a user gets — onnxruntime's defaults with only the thread count set
//   (intra-op threads spin after each run). The rival is measured this way (bench/run.mjs).
// - ortNoSpinOptions: spinning off, so each runtime has the cores to itself between runs; a
//   second column in bench/run.mjs, and the setting of the focused benches (transformers, lstm,
//   profile), which alternate runs back to back.
export function ortDefaultOptions(threads) {
  return { intraOpNumThreads: threads };
}

export function ortNoSpinOptions(threads) {
  return {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
}
