// The runtime's public surface: load a compiled artifact and run it. Imports nothing from
// compiler/ or ir/, so the runtime ships without the compiler.
export { Tensor } from './tensor.js';
export {
  inspectArtifact, load, Session, type ArtifactInfo, type IoInfo, type IoKind, type LoadOptions,
  type RunOptions, type RunValue,
} from './session.js';
export { KestrelError, RuntimeCodes } from './errors.js';
export { chromeTrace, kernelTable, type KernelRow, type ProfiledRun, type ProfileEvent } from './profile.js';
export { RUNTIME_DTYPES, runtimeDType, type TensorType, type TypedArray } from './dtypes.js';
export { FORMAT_VERSION, INT_OPS, OPCODES } from './isa.generated.js';
