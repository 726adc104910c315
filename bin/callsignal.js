#!/usr/bin/env node
// The `callsignal` command: runs the TypeScript CLI through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../lib/cli/main.ts');
