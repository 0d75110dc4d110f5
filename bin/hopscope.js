#!/usr/bin/env node
// The CLI runs the same TypeScript lib/ as the app; tsx compiles it on the fly.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../lib/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
