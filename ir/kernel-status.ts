// The statuses a kernel returns when one of its tir `assert`s fails, declared once: the ops that
// emit the asserts use the codes, and the artifact's debug table carries the descriptions so that
// the runtime can say in ONNX terms what was checked (KR0202).

export const KernelStatus = Object.freeze({
  /** An index read from data is out of range after wrapping (Gather, GatherElements, RNN lengths). */
  INDEX_OUT_OF_RANGE: 3,
  /** top_k's k is negative or larger than the axis extent. */
  TOPK_K_OUT_OF_RANGE: 5,
  /** to_scalar_int got a tensor with other than one element. */
  NOT_A_SCALAR: 6,
  /** The host stub of a GPU kernel ran: the artifact's kernels need a CUDA device. */
  GPU_KERNEL_ON_HOST: 7,
  /** Axes read at run time (a reduction's axes input) are out of range or repeated. */
  AXES_INVALID: 8,
  /** Dropout ran in training mode with a non-zero ratio (needs onnx's random stream). */
  DROPOUT_RANDOM: 9,
});

/** What each status means, as the run-time error says it. */
export const KERNEL_STATUS_TEXT: Readonly<Record<number, string>> = Object.freeze({
  [KernelStatus.INDEX_OUT_OF_RANGE]: 'an index is out of range',
  [KernelStatus.TOPK_K_OUT_OF_RANGE]: 'TopK k is negative or larger than the axis extent',
  [KernelStatus.NOT_A_SCALAR]: 'a value that must hold exactly one element does not',
  [KernelStatus.GPU_KERNEL_ON_HOST]: 'a GPU kernel was called without a CUDA device',
  [KernelStatus.AXES_INVALID]: 'an axis read at run time is out of range or repeated',
  [KernelStatus.DROPOUT_RANDOM]: 'Dropout in training mode with a non-zero ratio needs onnx\'s numpy random '
    + 'stream, which kestrel does not reproduce',
});
