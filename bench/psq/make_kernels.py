# One-node ONNX models that isolate the kernels behind zoo_squeezenet's and mobilenetv2's gap to
# onnxruntime (issue 7), with random weights: python3 make_kernels.py OUTDIR
# Each model has input `x` ([1, C, H, W]) and output `y`; names say the layer they copy.
import sys
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(7)


def conv(name, c, m, hw, k, stride=1, pad=0, group=1, act='Relu', ceil=False):
    w = numpy_helper.from_array((rng.standard_normal((m, c // group, k, k)) * 0.1).astype(np.float32), 'w')
    b = numpy_helper.from_array((rng.standard_normal(m) * 0.1).astype(np.float32), 'b')
    nodes = [helper.make_node('Conv', ['x', 'w', 'b'], ['c' if act else 'y'], kernel_shape=[k, k],
                              strides=[stride, stride], pads=[pad] * 4, group=group)]
    if act == 'Relu':
        nodes.append(helper.make_node('Relu', ['c'], ['y']))
    elif act == 'Clip':
        lo = numpy_helper.from_array(np.array(0, np.float32), 'lo')
        hi = numpy_helper.from_array(np.array(6, np.float32), 'hi')
        nodes.append(helper.make_node('Clip', ['c', 'lo', 'hi'], ['y']))
    inits = [w, b] + ([lo, hi] if act == 'Clip' else [])
    out = (hw + 2 * pad - k) // stride + 1
    return graph(name, nodes, inits, [1, c, hw, hw], [1, m, out, out])


def maxpool(name, c, hw, k, stride, ceil):
    nodes = [helper.make_node('MaxPool', ['x'], ['y'], kernel_shape=[k, k], strides=[stride, stride],
                              ceil_mode=int(ceil))]
    out = -(-(hw - k) // stride) + 1 if ceil else (hw - k) // stride + 1
    return graph(name, nodes, [], [1, c, hw, hw], [1, c, out, out])


def graph(name, nodes, inits, xs, ys):
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info('x', TensorProto.FLOAT, xs)],
                          [helper.make_tensor_value_info('y', TensorProto.FLOAT, ys)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return name, m


MODELS = [
    conv('sq_stem_224', 3, 64, 224, 3, stride=2),      # conv1 (3x3 stride 2, unpadded)
    conv('sq_expand3x3_55', 16, 64, 55, 3, pad=1),     # fire2/3 expand3x3
    conv('sq_expand3x3_27', 32, 128, 27, 3, pad=1),    # fire4/5
    conv('sq_conv10', 512, 1000, 13, 1),               # conv10 (1x1, 13x13)
    conv('mb_pw_expand_14', 96, 576, 14, 1, act='Clip'),   # blocks.4 conv_pw (14x14)
    conv('mb_pwl_14', 576, 96, 14, 1, act=None),           # blocks.4 conv_pwl
    maxpool('sq_maxpool_111', 64, 111, 3, 2, True),    # pool after conv1
    conv('mb_conv_head', 320, 1280, 7, 1, act='Clip'),  # conv_head
    conv('mb_dw_s2_112', 96, 96, 112, 3, stride=2, pad=1, group=96, act='Clip'),  # blocks.1.0 conv_dw
    conv('mb_pw_expand_112', 16, 96, 112, 1, act='Clip'),  # blocks.1.0 conv_pw
]

if __name__ == '__main__':
    out = sys.argv[1]
    for name, m in MODELS:
        onnx.save(m, f'{out}/{name}.onnx')
        print(name)
