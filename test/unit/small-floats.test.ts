// The storage-only float formats (ir/small-floats.ts) against the reference table that
// scripts/small-float-table.py makes with ml_dtypes: the value of every float8 code point, and
// the code every probe (each value, each midpoint and its float32 neighbours, overflow, inf, NaN)
// narrows to with and without saturation. The same table checks the LLVM lowering in
// test/codegen/small-floats.test.ts.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SMALL_FLOATS, decodeSmall, encodeSmall } from '../../ir/small-floats.js';

interface Entry {
  decode?: (number | 'nan' | 'inf' | '-inf')[];
  inputs: number[];
  saturate: (number | 'nan')[];
  nosaturate: (number | 'nan')[];
}

export const SMALL_FLOAT_TABLE = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures',
  'small-floats.json'), 'utf8')) as { formats: Record<string, Entry> };

export const f32FromBits = (u: number): number => new Float32Array(new Uint32Array([u]).buffer)[0];

describe('small float formats', () => {
  for (const f of SMALL_FLOATS) {
    const t = SMALL_FLOAT_TABLE.formats[f.name];
    it(`${f.name}: the table covers it`, () => {
      expect(t.inputs.length).toBeGreaterThan(f.name === 'float4e2m1' ? 60 : 500);
    });
    if (t.decode) {
      it(`${f.name}: every code point decodes to the reference value`, () => {
        const got = t.decode!.map((_, code) => decodeSmall(f, code));
        const want = t.decode!.map((v) => (typeof v === 'number' ? v : Number(v.replace('inf', 'Infinity'))));
        expect(got).toEqual(want);
      });
    }
    for (const saturate of [true, false]) {
      it(`${f.name}: float32 narrows like the reference (saturate=${saturate})`, () => {
        const want = saturate ? t.saturate : t.nosaturate;
        const bad: string[] = [];
        t.inputs.forEach((bits, i) => {
          const x = f32FromBits(bits), code = encodeSmall(f, x, saturate);
          const ok = want[i] === 'nan' ? Number.isNaN(decodeSmall(f, code)) : code === want[i];
          if (!ok) bad.push(`${x} -> ${code}, want ${want[i]}`);
        });
        expect(bad.slice(0, 10)).toEqual([]);
      });
    }
  }
});
