#!/usr/bin/env node
'use strict';
// Runs the TypeScript sources directly, so `npx agentbus` works straight after `npm ci`.
const { resolve } = require('node:path');

// tsx resolves @agentbus/* through tsconfig paths; point it at the root tsconfig whatever the cwd.
process.env.TSX_TSCONFIG_PATH = resolve(__dirname, '..', '..', '..', 'tsconfig.json');
require('tsx/cjs/api').register();
require('../src/main.ts');
