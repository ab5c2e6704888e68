#!/usr/bin/env node
// Entry point of the `frankctl` bin: runs tools/frankctl.ts through tsx's loader API.
// tsx is resolved relative to this file (not the cwd), so it works from any directory.
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('./frankctl.ts', import.meta.url);
process.exitCode = await main(process.argv.slice(2));
