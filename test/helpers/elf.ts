// Test helper: the section headers and dynamic symbols of an ELF64 little-endian file, parsed
// independently of the native loader, so tamper tests can aim at one section or one symbol.

export interface Section {
  readonly name: string;
  readonly type: number;
  readonly addr: number;
  readonly offset: number;
  readonly size: number;
}

export function sections(f: Buffer): Section[] {
  const shoff = Number(f.readBigUInt64LE(40));
  const shnum = f.readUInt16LE(60), shstrndx = f.readUInt16LE(62);
  const raw = Array.from({ length: shnum }, (_, i) => {
    const at = shoff + i * 64;
    return { nameAt: f.readUInt32LE(at), type: f.readUInt32LE(at + 4),
      addr: Number(f.readBigUInt64LE(at + 16)), offset: Number(f.readBigUInt64LE(at + 24)),
      size: Number(f.readBigUInt64LE(at + 32)) };
  });
  const strtab = raw[shstrndx];
  const nameOf = (at: number) => {
    const start = strtab.offset + at;
    return f.toString('latin1', start, f.indexOf(0, start));
  };
  return raw.map(({ nameAt, ...s }) => ({ name: nameOf(nameAt), ...s }));
}

export function section(f: Buffer, name: string): Section {
  const s = sections(f).find((x) => x.name === name);
  if (!s) throw new Error(`no section ${name}`);
  return s;
}

/** File offset of dynamic symbol `name`'s value (its data), through the section holding it. */
export function symbolOffset(f: Buffer, name: string): number {
  const all = sections(f);
  const dynsym = section(f, '.dynsym'), dynstr = section(f, '.dynstr');
  for (let at = dynsym.offset; at < dynsym.offset + dynsym.size; at += 24) {
    const start = dynstr.offset + f.readUInt32LE(at);
    if (f.toString('latin1', start, f.indexOf(0, start)) !== name) continue;
    const value = Number(f.readBigUInt64LE(at + 8));
    const home = all.find((s) => s.addr > 0 && value >= s.addr && value < s.addr + s.size && s.type !== 8);
    if (!home) throw new Error(`symbol ${name} is not in a file-backed section`);
    return value - home.addr + home.offset;
  }
  throw new Error(`no dynamic symbol ${name}`);
}
