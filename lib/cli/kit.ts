/**
 * `hopscope kit --pod IP [--pod IP] [--port N] [--seconds N] [--ring-mb N] [-o FILE]`: writes the
 * capture kit (lib/kit/script.ts) and prints how to run it on each node.
 */
import { chmod, writeFile } from 'node:fs/promises';
import { kitHowTo, kitScript, KitOptionError, type KitOptions } from '../kit/script';

export async function kitCommand(args: string[]): Promise<number> {
  const opts: KitOptions = { pods: [] };
  let out = 'hopscope-kit.sh';
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new KitOptionError(`${a} needs a value`);
      return v;
    };
    const count = () => {
      const v = value();
      if (!/^\d+$/.test(v)) throw new KitOptionError(`${a} takes a whole number, not ${JSON.stringify(v)}`);
      return Number(v);
    };
    if (a === '--pod') opts.pods.push(value());
    else if (a === '--port') opts.port = count();
    else if (a === '--seconds') opts.seconds = count();
    else if (a === '--ring-mb') opts.ringMb = count();
    else if (a === '-o' || a === '--out') out = value();
    else throw new KitOptionError(`unknown option ${a}`);
  }
  const script = kitScript(opts);
  if (out === '-') {
    process.stdout.write(script);
    return 0;
  }
  await writeFile(out, script);
  await chmod(out, 0o755);
  process.stdout.write(`wrote ${out}\n\n${kitHowTo(out)}`);
  return 0;
}
