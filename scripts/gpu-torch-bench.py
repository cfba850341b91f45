# PyTorch's latency on the same GPU, for scripts/gpu-check.sh: a benchmark only (kestrel itself
# never needs Python). Converts each model of shared/models with onnx2torch where both torch
# (with CUDA) and onnx2torch are importable, runs it on cuda:0 over the first data set's inputs
# and prints the median of RUNS timed runs after warm-up, one line per model; prints why not and
# exits 0 where that is impossible. Usage: python3 scripts/gpu-torch-bench.py SHARED [RUNS]
import os
import statistics
import sys
import time

shared = sys.argv[1]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
try:
    import onnx
    import torch
    from onnx import numpy_helper
except ImportError as e:
    print(f"PyTorch: not measured ({e})")
    sys.exit(0)
if not torch.cuda.is_available():
    print("PyTorch: not measured (torch has no CUDA device here)")
    sys.exit(0)
try:
    from onnx2torch import convert
except ImportError:
    print("PyTorch: not measured (onnx2torch, which turns the ONNX models into torch modules, is missing)")
    sys.exit(0)

UNSUPPORTED = {"yolo_tiny", "unet_tiny", "resnet18_int8", "resnet18_int8_qop"}
print(f"PyTorch {torch.__version__} on {torch.cuda.get_device_name(0)}, median of {runs} runs")
for m in sorted(os.listdir(os.path.join(shared, "models"))):
    d = os.path.join(shared, "models", m)
    if m in UNSUPPORTED or not os.path.isdir(d):
        continue
    try:
        model = convert(onnx.load(os.path.join(d, "model.onnx"))).eval().cuda()
        ds = os.path.join(d, "test_data_set_0")
        files = sorted(f for f in os.listdir(ds) if f.startswith("input_"))
        inputs = []
        for f in files:
            t = onnx.TensorProto()
            with open(os.path.join(ds, f), "rb") as fh:
                t.ParseFromString(fh.read())
            inputs.append(torch.from_numpy(numpy_helper.to_array(t).copy()).cuda())
        with torch.no_grad():
            for _ in range(3):
                model(*inputs)
            torch.cuda.synchronize()
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                model(*inputs)
                torch.cuda.synchronize()
                times.append((time.perf_counter() - t0) * 1000)
        print(f"{m:<18} pytorch {statistics.median(times):9.3f} ms")
    except Exception as e:  # a model onnx2torch cannot convert: say so, go on
        print(f"{m:<18} pytorch not measured ({type(e).__name__}: {str(e)[:120]})")
