// The consensus client profiles by name.

import { lighthouse } from './lighthouse.js';
import { lodestar } from './lodestar.js';
import { nimbus } from './nimbus.js';
import { prysm } from './prysm.js';
import { teku } from './teku.js';
import type { ClientProfile, ConsensusClient } from './types.js';

export const CONSENSUS_PROFILES: Record<ConsensusClient, ClientProfile> = { lighthouse, prysm, teku, nimbus, lodestar };
