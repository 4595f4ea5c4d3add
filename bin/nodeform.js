#!/usr/bin/env node
// The only file that touches the process: everything else goes through run(argv, io).
import { main } from '../dist/cli/main.js';
main();
