/** `npm run orders` in-process, against a service, with what it prints collected. */
import { runOrdersCli } from '../../src/cli/orders';

export type CliRun = (...args: string[]) => Promise<{ code: number; out: string; err: string }>;

export function ordersCli(env: () => Record<string, string>): CliRun {
  return async (...args) => {
    let out = '';
    let err = '';
    const code = await runOrdersCli(args, {
      out: (line) => (out += `${line}\n`),
      err: (line) => (err += `${line}\n`),
      env: env(),
    });
    return { code, out, err };
  };
}
