// Where the runtime addon (kestrel_runtime.node: VM, loader, verifier; no LLVM) is found, in order:
//   1. $KESTREL_RUNTIME_ADDON, 2. native/build/Release (a build from source: `npm run build:native`
//   or the install script), 3. prebuilds/<platform>-<arch> (shipped in the npm package, built by
//   scripts/prebuild.mjs), each looked up in the package root above this module.
// Requires: nothing. Guarantees: pure lookup, no loading; the message of a miss names the platform
// and says what to install.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ADDON_NAME = 'kestrel_runtime.node';

/** The package root: the nearest folder above this module with a package.json. */
function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    if (dirname(dir) === dir) return undefined;
    dir = dirname(dir);
  }
  return dir;
}

/** The candidate paths, most specific first (see the file comment). */
export function runtimeAddonCandidates(): string[] {
  if (process.env.KESTREL_RUNTIME_ADDON) return [process.env.KESTREL_RUNTIME_ADDON];
  const root = packageRoot();
  if (!root) return [];
  return [join(root, 'native', 'build', 'Release', ADDON_NAME),
    join(root, 'prebuilds', `${process.platform}-${process.arch}`, ADDON_NAME)];
}

/** The first candidate that exists, or undefined. */
export function findRuntimeAddon(): string | undefined {
  return runtimeAddonCandidates().find((p) => existsSync(p));
}

/** Why no addon was found, and what to do. */
export function missingAddonMessage(): string {
  const platform = `${process.platform}-${process.arch}`;
  return `the kestrel runtime addon is missing: no prebuilt ${ADDON_NAME} ships for ${platform} `
    + `(prebuilt: linux-x64, linux-arm64) and none was built from source (looked in `
    + `${runtimeAddonCandidates().join(', ') || 'no package root'}); build it with \`npm rebuild kestrel\` `
    + '(needs cmake and a C++17 compiler) or, in a checkout, `npm run build:native`';
}
