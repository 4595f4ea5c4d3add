// The execution client profiles by name.

import { besu } from './besu.js';
import { erigon } from './erigon.js';
import { geth } from './geth.js';
import { nethermind } from './nethermind.js';
import type { ClientProfile, ExecutionClient } from './types.js';

export const EXECUTION_PROFILES: Record<ExecutionClient, ClientProfile> = { geth, nethermind, besu, erigon };
