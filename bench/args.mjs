// The command line the bench scripts share: `--name value` options, `--flag` switches, and where
// the shared test data is ($KESTREL_SHARED, else ../shared from the working directory).
import { resolve } from 'node:path';

export const args = process.argv.slice(2);

/** The value after `--name`, or `dflt` when the option is absent. */
export const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};

export const shared = process.env.KESTREL_SHARED ?? resolve('..', 'shared');
