// Reads tensor bytes stored beside the model (ONNX external data), treating the model as untrusted.
// Requires: the model directory. Guarantees (RELIABILITY.md §5-7): only a regular, singly-linked
// file reached from the model directory through plain directories (no symlink anywhere, no `..`,
// not absolute) is opened; offset/length are decimal, within the file and equal to the expected
// byte size before anything is allocated; external-data keys live in a Map, never on objects.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Codes, fail } from '../../diagnostics.js';
import type { StringEntry } from './schema.js';

export interface ExternalRef {
  readonly location: string;
  readonly offset: number;
  readonly length: number | undefined;
}

/** Parses the key/value entries; unknown keys (even `__proto__`) are ignored. */
export function parseExternalRef(entries: readonly StringEntry[], tensor: string): ExternalRef {
  const m = new Map<string, string>();
  for (const e of entries) m.set(String(e.key ?? ''), String(e.value ?? ''));
  const location = m.get('location');
  if (location === undefined) fail(Codes.EXTERNAL_PATH, 'external data has no location', { tensor });
  const offset = m.has('offset') ? parseCount(m.get('offset')!, 'offset', tensor) : 0;
  const length = m.has('length') ? parseCount(m.get('length')!, 'length', tensor) : undefined;
  return { location, offset, length };
}

function parseCount(s: string, key: string, tensor: string): number {
  if (!/^[0-9]{1,16}$/.test(s) || Number(s) > Number.MAX_SAFE_INTEGER) {
    fail(Codes.EXTERNAL_RANGE, `external data ${key} '${s.slice(0, 40)}' is not a valid byte count`,
      { tensor });
  }
  return Number(s);
}

/** Splits a location into plain components, rejecting anything that could leave the directory. */
export function checkLocation(loc: string, tensor: string): string[] {
  const bad = (why: string): never => fail(Codes.EXTERNAL_PATH,
    `external data location ${JSON.stringify(loc.slice(0, 200))} ${why}`, { tensor });
  if (loc.length === 0) bad('is empty');
  if (loc.includes('\0')) bad('contains a NUL byte');
  if (path.isAbsolute(loc) || /^[a-zA-Z]:/.test(loc) || loc.startsWith('\\')) bad('is absolute');
  const parts = loc.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) bad("contains a '..' component");
  if (parts.length === 0) bad('names no file');
  return parts;
}

/** lstat-walks the components: directories on the way, a regular single-link file at the end. */
function checkComponents(dir: string, parts: readonly string[], tensor: string):
  { path: string; st: fs.Stats } {
  let cur = dir;
  for (let i = 0; i < parts.length; i++) {
    cur = path.join(cur, parts[i]!);
    let st: fs.Stats;
    try { st = fs.lstatSync(cur); } catch {
      return fail(Codes.EXTERNAL_READ, `external data file '${parts.join('/')}' cannot be found`, { tensor });
    }
    const what = `external data path component '${parts.slice(0, i + 1).join('/')}'`;
    if (st.isSymbolicLink()) fail(Codes.EXTERNAL_PATH, `${what} is a symbolic link`, { tensor });
    const last = i === parts.length - 1;
    if (!last && !st.isDirectory()) fail(Codes.EXTERNAL_PATH, `${what} is not a directory`, { tensor });
    if (last && !st.isFile()) fail(Codes.EXTERNAL_PATH, `${what} is not a regular file`, { tensor });
    if (last && st.nlink > 1) fail(Codes.EXTERNAL_PATH, `${what} is a hard link`, { tensor });
    if (last) return { path: cur, st };
  }
  return fail(Codes.EXTERNAL_PATH, 'external data location names no file', { tensor });
}

/** Opens without following links or blocking (FIFO races) and re-checks the opened file. */
function openChecked(p: string, expect: fs.Stats, tensor: string): number {
  const flags = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;
  let fd: number;
  try { fd = fs.openSync(p, flags); } catch {
    return fail(Codes.EXTERNAL_READ, 'external data file cannot be opened', { tensor });
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile() || st.nlink > 1 || st.ino !== expect.ino || st.dev !== expect.dev) {
    fs.closeSync(fd);
    fail(Codes.EXTERNAL_PATH, 'external data file changed while it was opened', { tensor });
  }
  return fd;
}

/** Reads exactly `nbytes` of external data for `tensor`; throws KC0204-KC0206. */
export function readExternal(ref: ExternalRef, modelDir: string | undefined, nbytes: number,
  tensor: string): Uint8Array {
  if (modelDir === undefined) {
    fail(Codes.EXTERNAL_PATH, 'external data needs the model directory (import from a file)', { tensor });
  }
  const parts = checkLocation(ref.location, tensor);
  const length = ref.length ?? nbytes;
  if (length !== nbytes) {
    fail(Codes.EXTERNAL_RANGE, `external data length ${length} differs from dims x element size ${nbytes}`,
      { tensor });
  }
  const { path: p, st } = checkComponents(modelDir, parts, tensor);
  if (ref.offset + length > st.size) {
    fail(Codes.EXTERNAL_RANGE, `external data range ${ref.offset}+${length} is past the end of the `
      + `file (${st.size} bytes)`, { tensor });
  }
  const fd = openChecked(p, st, tensor);
  try {
    return readAt(fd, ref.offset, length, tensor);
  } finally {
    fs.closeSync(fd);
  }
}

function readAt(fd: number, offset: number, length: number, tensor: string): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, out, done, length - done, offset + done);
    if (n <= 0) fail(Codes.EXTERNAL_READ, 'external data file ended early', { tensor });
    done += n;
  }
  return out;
}
