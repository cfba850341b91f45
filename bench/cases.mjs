// The benchmark's cases: every model folder in <shared>/models, each with the data sets it is timed
// on. A model not named below is timed on its first data set, so a model added to the shared data
// shows up in the table without an edit here.
//   transformers: every data set (bert_mini 1x16, 2x37, 1x128; gpt2_tiny and llama_tiny 1x8,
//   2x33, 1x100); lstm_2layer: its longest sequence (1x200); ctrl_loop_if: batch 7.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const DATA_SETS = {
  bert_mini: [0, 1, 2], gpt2_tiny: [0, 1, 2], llama_tiny: [0, 1, 2], lstm_2layer: [2], ctrl_loop_if: [1],
};

// CNNs first, then detection/segmentation, transformers, recurrent, control flow, quantized.
const ORDER = [
  'resnet18', 'mobilenetv2', 'zoo_squeezenet', 'zoo_shufflenet', 'zoo_inception_v1', 'yolo_tiny',
  'unet_tiny', 'bert_mini', 'gpt2_tiny', 'llama_tiny', 'lstm_2layer', 'ctrl_loop_if', 'resnet18_int8',
  'resnet18_int8_qop',
];

const rank = (m) => (ORDER.includes(m) ? ORDER.indexOf(m) : ORDER.length);

/** [{ model, onnx, dataDir }] in table order; `only` (model names) filters when given. */
export function benchCases(shared, only) {
  const root = join(shared, 'models');
  if (!existsSync(root)) throw new Error(`no models at ${root} (set KESTREL_SHARED)`);
  const models = readdirSync(root).filter((m) => existsSync(join(root, m, 'model.onnx')))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const unknown = (only ?? []).filter((m) => !models.includes(m));
  if (unknown.length) throw new Error(`unknown model(s): ${unknown.join(', ')} (have ${models.join(', ')})`);
  return models.filter((m) => !only || only.includes(m)).flatMap((model) =>
    (DATA_SETS[model] ?? [0]).map((k) => ({
      model, onnx: join(root, model, 'model.onnx'), dataDir: join(root, model, `test_data_set_${k}`),
    })));
}
