#!/usr/bin/env python3
"""Reference table of the storage-only float formats for test/unit/small-floats.test.ts.

Writes test/unit/fixtures/small-floats.json with, for each float8 format and float4e2m1, the
float32 value of every one of the 256 (16) codes, and for each format (bfloat16 too) the code that float32 inputs
narrow to, with and without saturation. The values come from ml_dtypes (round to nearest even;
without saturation an overflow is inf or NaN as the format has); saturation is ONNX Cast's rule
applied before the conversion: finite values and infinities beyond the largest finite value
become it (bfloat16 has no saturation: its column repeats the other). NaN outputs are written as "nan" (their sign bit is not compared), infinite values
as "inf" and "-inf".

    pip install ml_dtypes numpy && python3 scripts/small-float-table.py
"""
import json
import os

import ml_dtypes
import numpy as np

FORMATS = {
    'float8e4m3fn': ml_dtypes.float8_e4m3fn,
    'float8e4m3fnuz': ml_dtypes.float8_e4m3fnuz,
    'float8e5m2': ml_dtypes.float8_e5m2,
    'float8e5m2fnuz': ml_dtypes.float8_e5m2fnuz,
    'bfloat16': ml_dtypes.bfloat16,
    'float4e2m1': ml_dtypes.float4_e2m1fn,
}


def num(v):
    """A float32 as JSON: a number, or "nan", "inf", "-inf"."""
    if np.isnan(v):
        return 'nan'
    if np.isinf(v):
        return 'inf' if v > 0 else '-inf'
    return float(v)


def f32_bits(v):
    return int(np.array([v], np.float32).view(np.uint32)[0])


def code_count(name, fmt):
    """How many codes the format has (float4e2m1: 16, held one per byte)."""
    return 16 if name == 'float4e2m1' else 2 ** (np.dtype(fmt).itemsize * 8)


def probes(fmt, nbits, ncodes):
    """Every finite value of the format, midpoints and their float32 neighbours, overflow."""
    if nbits == 8:
        codes = np.arange(ncodes, dtype=np.uint8)
    else:  # bfloat16: every 97th code plus the edges (65536 codes would bloat the fixture)
        codes = np.unique(np.concatenate([np.arange(0, 65536, 97), [0, 1, 0x7f7f, 0x7f80, 0x8001]]))
        codes = codes.astype(np.uint16)
    vals = codes.view(fmt).astype(np.float32)
    pos = np.unique(vals[np.isfinite(vals) & (vals >= 0)])
    mids = ((pos[:-1].astype(np.float64) + pos[1:]) / 2).astype(np.float32)
    out = [pos, mids, np.nextafter(mids, np.float32(np.inf)), np.nextafter(mids, np.float32(0))]
    top = float(pos[-1])
    with np.errstate(over='ignore'):
        big = np.array([top * 1.03, top * 1.5, top * 4, 3e38, np.inf, pos[1] / 3, 1e-30],
                       np.float32)
    out.append(big)
    x = np.concatenate(out)
    return np.concatenate([x, -x, np.array([np.nan], np.float32)])


def encode(fmt, x, saturate):
    finfo = ml_dtypes.finfo(fmt)
    y = x.copy()
    if saturate and np.dtype(fmt).itemsize == 1:  # ONNX saturates float8 only
        y = np.where(np.isnan(y), y, np.clip(y, -float(finfo.max), float(finfo.max))).astype(np.float32)
    q = y.astype(fmt)
    back = q.astype(np.float32)
    bits = q.view(np.uint8 if q.dtype.itemsize == 1 else np.uint16)
    return ['nan' if np.isnan(b) else int(c) for b, c in zip(back, bits)]


def main():
    table = {}
    for name, fmt in FORMATS.items():
        nbits = np.dtype(fmt).itemsize * 8
        entry = {}
        ncodes = code_count(name, fmt)
        if nbits == 8:
            dec = np.arange(ncodes, dtype=np.uint8).view(fmt).astype(np.float32)
            entry['decode'] = [num(v) for v in dec]
        x = probes(fmt, nbits, ncodes)
        entry['inputs'] = [f32_bits(v) for v in x]
        entry['saturate'] = encode(fmt, x, True)
        entry['nosaturate'] = encode(fmt, x, False)
        table[name] = entry
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, '..', 'test', 'unit', 'fixtures', 'small-floats.json')
    with open(path, 'w') as f:
        json.dump({'generator': 'scripts/small-float-table.py', 'ml_dtypes': ml_dtypes.__version__,
                   'formats': table}, f, separators=(',', ':'))
        f.write('\n')


if __name__ == '__main__':
    main()
