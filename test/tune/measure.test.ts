// The measurement process boundary: a candidate that crashes the worker or hangs it costs only
// that candidate (an error result naming the crash or the timeout); the worker is restarted and
// the rest of the batch is still measured, each candidate answered once, in order.

import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WorkerMeasurer } from '../../compiler/tune/measure.js';
import type { Task } from '../../compiler/tune/tasks.js';

const script = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/stub-tune-worker.mjs');
const task = { key: 'w', bucket: [] } as unknown as Task; // the stub reads only the candidates

describe('the measurement worker', () => {
  it('survives a crashing and a hanging candidate and measures the rest', async () => {
    const m = new WorkerMeasurer({ model: 'unused.onnx', bench: { target: 'host' }, timeoutMs: 400, script });
    try {
      const rs = await m.measure(task, [1, 13, 2, 14, 3].map((a) => ({ a })));
      expect(rs.map((r) => r.status)).toEqual(['ok', 'error', 'ok', 'error', 'ok']);
      expect(rs.map((r) => (r.status === 'ok' ? r.ms : r.error.split(' ')[0]))).toEqual(
        [1, 'worker', 2, 'timeout:', 3]);
      expect((rs[1] as { error: string }).error).toContain('exit 7');
      expect(await m.measure(task, [{ a: 5 }])).toEqual([{ status: 'ok', ms: 5, baseMs: 1 }]);
    } finally {
      m.close();
    }
  }, 20_000);
});
