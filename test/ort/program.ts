// A program written against onnxruntime-node's API only: it takes the `ort` namespace as a
// parameter, so the compatibility suite runs it once with onnxruntime-node and once with
// kestrel/ort. It opens a model, reads its metadata, runs every data set and, on the first one,
// asks for the first output alone, as an application would.
import type * as OrtNode from 'onnxruntime-node';

export type Ort = Pick<typeof OrtNode, 'InferenceSession' | 'Tensor'>;

/** A data set's inputs in the model's input order, as plain data. */
export interface PlainTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: ArrayLike<number | bigint>;
}

export interface ProgramResult {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly unknown[];
  readonly outputMetadata: readonly unknown[];
  /** Per data set: output name -> the output. */
  readonly outputs: Record<string, PlainTensor>[];
  /** The names run(feeds, [first output]) returned. */
  readonly fetchedAlone: readonly string[];
}

const plain = (t: OrtNode.Tensor): PlainTensor =>
  ({ type: t.type, dims: [...t.dims], data: t.data as never });

export async function runProgram(ort: Ort, model: string, dataSets: PlainTensor[][]): Promise<ProgramResult> {
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
  try {
    const outputs: Record<string, PlainTensor>[] = [];
    let fetchedAlone: string[] = [];
    for (const [k, inputs] of dataSets.entries()) {
      const feeds: Record<string, OrtNode.Tensor> = {};
      session.inputNames.forEach((name, i) => {
        const x = inputs[i];
        feeds[name] = new ort.Tensor(x.type as 'float32', x.data as Float32Array, x.dims);
      });
      const result = await session.run(feeds);
      const named = session.outputNames.map((n) => [n, plain(result[n] as OrtNode.Tensor)]);
      outputs.push(Object.fromEntries(named));
      if (k === 0) fetchedAlone = Object.keys(await session.run(feeds, [session.outputNames[0]]));
    }
    const { inputNames, outputNames, inputMetadata, outputMetadata } = session;
    return { inputNames, outputNames, inputMetadata, outputMetadata, outputs, fetchedAlone };
  } finally {
    await session.release();
  }
}
