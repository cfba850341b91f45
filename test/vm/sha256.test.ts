// The native SHA-256 (native/src/util/sha256.cc), which checks every artifact's digest, against
// node:crypto (which writes it): every prefix length across the one- and two-block padding cases,
// and a few MB of random bytes; both the portable code and the one the host uses (SHA-NI where the
// CPU has the SHA extensions).
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempPath } from './artifact.js';

const DRIVER = `
#include <cstdio>
#include <cstdlib>
#include <vector>
#include "util/sha256.h"
int main(int argc, char** argv) {
  FILE* f = std::fopen(argv[1], "rb");
  std::vector<unsigned char> buf;
  for (int c; (c = std::fgetc(f)) != EOF;) buf.push_back(static_cast<unsigned char>(c));
  for (int i = 2; i < argc; ++i) {
    unsigned char d[32], p[32];
    kestrel::sha256(buf.data(), std::strtoull(argv[i], nullptr, 10), d);
    kestrel::sha256_portable(buf.data(), std::strtoull(argv[i], nullptr, 10), p);
    for (unsigned char b : d) std::printf("%02x", b);
    std::printf(" ");
    for (unsigned char b : p) std::printf("%02x", b);
    std::printf("\\n");
  }
}
`;

describe('native SHA-256', () => {
  it('agrees with node:crypto on every length 0..300 and on 3 MB', () => {
    const src = tempPath('.cc'), exe = tempPath(''), data = tempPath('.bin');
    writeFileSync(src, DRIVER);
    execFileSync('c++', ['-O2', '-std=c++17', `-I${join(ROOT, 'native/src')}`, '-o', exe, src,
      join(ROOT, 'native/src/util/sha256.cc'), join(ROOT, 'native/src/util/cpu_features.cc')]);
    const bytes = randomBytes(3 << 20);
    writeFileSync(data, bytes);
    const lengths = [...Array.from({ length: 301 }, (_, i) => i), 4095, 65536, bytes.length];
    const native = execFileSync(exe, [data, ...lengths.map(String)], { encoding: 'utf8' }).trim().split('\n');
    const reference = lengths.map((n) => {
      const hex = createHash('sha256').update(bytes.subarray(0, n)).digest('hex');
      return `${hex} ${hex}`; // the host's code, then the portable code
    });
    expect(native).toEqual(reference);
  });
});
