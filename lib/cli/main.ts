/**
 * `hopscope <command>`: the terminal face of lib/. Each command is a thin shell over the same
 * modules the app runs in the browser, loaded when it runs: `hopscope --help` reads this file alone.
 */

const USAGE = `usage: hopscope <command> [options] FILE...

commands:
  stats FILE...     packets, bytes, time range, link types, interfaces and the protocol
                    hierarchy of each capture (pcap, pcapng, .gz; a folder: its captures)
                    --json   one JSON document instead of text
                    --bench  also print one JSON line of throughput figures (for npm run bench)
                    --index  also build the packet index analyze works from (the bench
                             times reading and indexing alone with it)
  analyze PATH...   follow every packet across the captures of one incident (files or
                    folders) and say where requests or replies stop, and why
                    --json   the report as one JSON document (schema in the README)
                    --label FILE=NODE/INTERFACE   name a capture point explicitly
  share PATH...     upload one incident's captures (files or folders) to a Hopscope server
                    and print the link, then the delete token and command
                    --server URL     the server (default $HOPSCOPE_SERVER, else http://localhost:3000)
                    --headers-only   cut every packet after its innermost transport header first
                    --title T        --notes FILE (Markdown; - reads stdin)
                    --label FILE=NODE/INTERFACE   name a capture point explicitly
  kit --pod IP...   write hopscope-kit.sh: run as root on each node, it captures every hop of
                    the pods' traffic at once and records the node's network state
                    --port N  --seconds N (60)  --ring-mb N (100)  -o FILE (- for stdout)
                    --kubectl  a --pod that is [namespace/]name is looked up with kubectl
                               (its addresses and node; --context NAME picks the cluster)
  fields FILE...    one tab-separated row per frame with tshark's columns (see README)
  bench             the benchmark: generate (once) and read a 1,000,000-packet capture
  help              this text
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'stats':
        return await (await import('./stats')).statsCommand(rest);
      case 'analyze':
        return await (await import('./analyze')).analyzeCommand(rest);
      case 'share':
        return await (await import('./share')).shareCommand(rest);
      case 'kit':
        return await (await import('./kit')).kitCommand(rest);
      case 'fields':
        return await (await import('./fields')).fieldsCommand(rest);
      case 'bench': {
        const { main: bench } = await import('../bench/run');
        return (await bench(rest)) ?? 0;
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        process.stderr.write(`hopscope: unknown command '${cmd}'\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    process.stderr.write(`hopscope: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
