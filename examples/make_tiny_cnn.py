"""Generates examples/tiny_cnn: a small CNN (conv, batch norm, relu, max pool, residual add,
global average pool, flatten, gemm, softmax) with a dynamic batch, random weights (seed 0), and
reference outputs from onnxruntime for batch 1 and batch 2. Run from the repo root:
    python3 examples/make_tiny_cnn.py
kestrel does not need Python; this script only (re)makes the committed fixture."""
import os
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
import onnxruntime as ort

rng = np.random.default_rng(0)
out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiny_cnn")


def w(name, *shape, scale=0.2):
    return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)


inits = [
    w("c1_w", 16, 3, 3, 3), w("c1_b", 16),
    numpy_helper.from_array((rng.random(16) + 0.5).astype(np.float32), "bn_scale"),
    w("bn_bias", 16), w("bn_mean", 16),
    numpy_helper.from_array((rng.random(16) + 0.5).astype(np.float32), "bn_var"),
    w("c2_w", 16, 16, 3, 3, scale=0.1), w("c2_b", 16),
    w("c3_w", 16, 1, 3, 3), w("fc_w", 10, 16), w("fc_b", 10),
]
nodes = [
    helper.make_node("Conv", ["image", "c1_w", "c1_b"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
    helper.make_node("BatchNormalization", ["c1", "bn_scale", "bn_bias", "bn_mean", "bn_var"], ["bn1"], name="bn1"),
    helper.make_node("Relu", ["bn1"], ["r1"], name="relu1"),
    helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
    helper.make_node("Conv", ["p1", "c2_w", "c2_b"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
    helper.make_node("Conv", ["c2", "c3_w"], ["c3"], name="dwconv3", pads=[1, 1, 1, 1], group=16),
    helper.make_node("Add", ["c3", "p1"], ["res"], name="residual"),
    helper.make_node("Relu", ["res"], ["r2"], name="relu2"),
    helper.make_node("GlobalAveragePool", ["r2"], ["gap"], name="gap"),
    helper.make_node("Flatten", ["gap"], ["flat"], name="flatten"),
    helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], name="fc", transB=1),
    helper.make_node("Softmax", ["logits"], ["probs"], name="softmax", axis=1),
]
graph = helper.make_graph(
    nodes, "tiny_cnn",
    [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, 20, 20])],
    [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", 10])],
    inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="kestrel-examples")
model.ir_version = 8
onnx.checker.check_model(model)
os.makedirs(out_dir, exist_ok=True)
onnx.save(model, os.path.join(out_dir, "model.onnx"))
sess = ort.InferenceSession(os.path.join(out_dir, "model.onnx"))
for k, batch in enumerate([1, 2]):
    d = os.path.join(out_dir, f"test_data_set_{k}")
    os.makedirs(d, exist_ok=True)
    x = rng.standard_normal((batch, 3, 20, 20)).astype(np.float32)
    y = sess.run(None, {"image": x})[0]
    onnx.save_tensor(numpy_helper.from_array(x, "image"), os.path.join(d, "input_0.pb"))
    onnx.save_tensor(numpy_helper.from_array(y, "probs"), os.path.join(d, "output_0.pb"))
print("wrote", out_dir)
