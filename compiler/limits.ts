// The compiler's limits on untrusted models, with their safe defaults, in one place: protobuf
// message nesting, subgraph nesting (onnxruntime's 32), the total node count, and the wall-clock
// time of a compile. `compile(model, { limits })` and the frontend's ImportOptions take any of
// them; what is left out keeps its default. The runtime's limits (loop iterations, session
// memory) are load() and run() options (runtime-vm/session.ts).

import { MAX_NODES, MAX_SUBGRAPH_DEPTH } from './frontend/onnx/graph-order.js';
import { MAX_MESSAGE_DEPTH } from './frontend/onnx/wire-guard.js';

export interface CompileLimits {
  /** Protobuf sub-messages nested deeper than this fail with KC0102 (default 96). */
  readonly maxMessageDepth?: number;
  /** Subgraphs (If/Loop/Scan bodies) nested deeper than this fail with KC0504 (default 32). */
  readonly maxSubgraphDepth?: number;
  /** More nodes than this, bodies included, fail with KC0505 (default 1,000,000). */
  readonly maxNodes?: number;
  /**
   * A compile still running after this many milliseconds stops before its next step with KC0706
   * and writes nothing (default one hour). Checked between steps: one step is not interrupted.
   */
  readonly timeoutMs?: number;
}

export const DEFAULT_LIMITS: Readonly<Required<CompileLimits>> = Object.freeze({
  maxMessageDepth: MAX_MESSAGE_DEPTH, maxSubgraphDepth: MAX_SUBGRAPH_DEPTH, maxNodes: MAX_NODES,
  timeoutMs: 3_600_000,
});

/** `l` with every limit left out set to its default. */
export function limitsOf(l: CompileLimits = {}): Required<CompileLimits> {
  return { ...DEFAULT_LIMITS, ...Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined)) };
}
