#!/usr/bin/env node
// The `tiem` command: loads the TypeScript CLI through tsx's loader.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../client/cli.ts');
process.exit(await main(process.argv.slice(2)));
