// onnxruntime session options shared by the benchmarks. Both runtimes run in one process on the
// same cores, alternating; onnxruntime's intra-op threads spin after each run by default and
// would take the cores kestrel's next run needs (and kestrel's would do the same to it), so
// spinning is off: each runtime is measured with the machine to itself.
export function ortOptions(threads) {
  return {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
}
