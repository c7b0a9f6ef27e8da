#!/usr/bin/env node
// package.json "bin": runs the TypeScript entry through tsx (the repository runs TypeScript directly; no build step).
import { register } from 'tsx/esm/api';

register();
await import('./audit-archiver.ts');
