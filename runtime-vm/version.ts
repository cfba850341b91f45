// kestrel's version, read from the package.json above this module; the compiler writes it into
// every manifest and kestrel/ort keys its compile cache by it. Importing it loads nothing else.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    if (dirname(dir) === dir) return '0.0.0';
    dir = dirname(dir);
  }
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

export const KESTREL_VERSION = packageVersion();
