// The worker thread behind ssz.ts: decodes and hashes beacon blocks and states with @lodestar/types.
// @lodestar/params fixes its preset (mainnet or minimal) for the whole module graph the first time it is
// imported, so each worker sets the preset it was started with BEFORE it imports @lodestar/types; one
// nodeform process can then handle chains of either preset, and hashing a state of hundreds of MB never
// blocks the main thread. Messages: see ssz.ts (WorkerRequest / WorkerReply).
import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerReply, WorkerRequest, BlockInfo, StateInfo } from './ssz.js';

const port = parentPort;
if (!port) throw new Error('ssz-worker.ts is a worker_threads entry point');
const { preset } = workerData as { preset: 'mainnet' | 'minimal' };

// The default hasher of @chainsafe/persistent-merkle-tree is pure JS (noble); as-sha256 (WebAssembly, no native
// build) hashes a state about 7 times faster here.
const { setHasher } = await import('@chainsafe/persistent-merkle-tree');
setHasher((await import('@chainsafe/persistent-merkle-tree/hasher/as-sha256')).hasher);
const { setActivePreset, PresetName } = await import('@lodestar/params/setPreset');
setActivePreset(preset === 'minimal' ? PresetName.minimal : PresetName.mainnet);
const { ssz } = await import('@lodestar/types');
const { ACTIVE_PRESET, SLOTS_PER_EPOCH } = await import('@lodestar/params');

// Every fork @lodestar/types knows, oldest first.
type Fork = keyof typeof ssz & ('phase0' | 'altair' | 'bellatrix' | 'capella' | 'deneb' | 'electra' | 'fulu' | 'gloas');
const FORKS: Fork[] = (['phase0', 'altair', 'bellatrix', 'capella', 'deneb', 'electra', 'fulu', 'gloas'] as const).filter(
  (f): f is Fork => (ssz as Record<string, unknown>)[f] !== undefined,
);

// The typed union over forks is too wide for TypeScript to follow; every fork's types have these members.
interface SszType<T> {
  deserialize(bytes: Uint8Array): T;
  serialize(value: T): Uint8Array;
  hashTreeRoot(value: T): Uint8Array;
  fromJson(json: unknown): T;
}
interface ViewDU {
  slot: number;
  genesisValidatorsRoot: Uint8Array;
  latestBlockHeader: { slot: number; proposerIndex: number; parentRoot: Uint8Array; stateRoot: Uint8Array; bodyRoot: Uint8Array };
  hashTreeRoot(): Uint8Array;
}
interface StateType {
  deserializeToViewDU(bytes: Uint8Array): ViewDU;
}
interface SignedBlock {
  message: { slot: number; proposerIndex: number; parentRoot: Uint8Array; stateRoot: Uint8Array };
}
const types = (fork: Fork) =>
  ssz[fork] as unknown as { SignedBeaconBlock: SszType<SignedBlock>; BeaconBlock: SszType<SignedBlock['message']>; BeaconState: StateType };

const hex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString('hex')}`;
const isZero = (bytes: Uint8Array) => bytes.every((b) => b === 0);
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

function known(fork: string): Fork {
  if (!(FORKS as string[]).includes(fork)) throw new Error(`fork "${fork}" is not one @lodestar/types knows (${FORKS.join(', ')})`);
  return fork as Fork;
}

function block(req: Extract<WorkerRequest, { op: 'block' }>): BlockInfo {
  const tried: string[] = [];
  // Newest first: an older fork's layout rarely decodes a newer block, and the root check settles it anyway.
  const candidates = req.fork !== undefined ? [known(req.fork)] : [...FORKS].reverse();
  for (const fork of candidates) {
    const t = types(fork);
    let signed: SignedBlock;
    let bytes: Uint8Array;
    try {
      if (req.json !== undefined) {
        signed = t.SignedBeaconBlock.fromJson(req.json);
        bytes = t.SignedBeaconBlock.serialize(signed);
      } else {
        bytes = req.ssz!;
        signed = t.SignedBeaconBlock.deserialize(bytes);
      }
    } catch (e) {
      tried.push(`${fork}: ${message(e)}`);
      continue;
    }
    const root = hex(t.BeaconBlock.hashTreeRoot(signed.message));
    if (req.fork === undefined && req.expectRoot !== undefined && root !== req.expectRoot) {
      tried.push(`${fork}: decodes, root ${root}`);
      continue;
    }
    const m = signed.message;
    return {
      fork,
      slot: m.slot,
      proposerIndex: m.proposerIndex,
      root,
      parentRoot: hex(m.parentRoot),
      stateRoot: hex(m.stateRoot),
      ...(req.json !== undefined ? { ssz: bytes } : {}),
    };
  }
  throw new Error(`not a ${req.fork ?? 'known'} SignedBeaconBlock (${ACTIVE_PRESET} preset): ${tried.join('; ')}`);
}

async function state(req: Extract<WorkerRequest, { op: 'state' }>): Promise<StateInfo> {
  const bytes = await readFile(req.path);
  const tried: string[] = [];
  for (const name of req.forks) {
    const fork = known(name);
    let view: ViewDU;
    try {
      view = types(fork).BeaconState.deserializeToViewDU(bytes);
    } catch (e) {
      tried.push(`${fork}: ${message(e)}`);
      continue;
    }
    const stateRoot = hex(view.hashTreeRoot());
    const h = view.latestBlockHeader;
    // The header a block's root is taken over: its state_root is zero until the next slot fills it in.
    const headerStateRoot = isZero(h.stateRoot) ? stateRoot : hex(h.stateRoot);
    const header = { slot: h.slot, proposerIndex: h.proposerIndex, parentRoot: h.parentRoot, stateRoot: Buffer.from(headerStateRoot.slice(2), 'hex'), bodyRoot: h.bodyRoot };
    return {
      fork,
      slot: view.slot,
      root: stateRoot,
      genesisValidatorsRoot: hex(view.genesisValidatorsRoot),
      latestBlockRoot: hex(ssz.phase0.BeaconBlockHeader.hashTreeRoot(header)),
      latestBlockSlot: h.slot,
      latestBlockStateRoot: headerStateRoot,
    };
  }
  throw new Error(`not a ${req.forks.join(' or ')} BeaconState (${ACTIVE_PRESET} preset): ${tried.join('; ')}`);
}

port.on('message', (req: WorkerRequest) => {
  const reply = (r: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(r, transfer);
  // Every failure is caught inside and sent as a reply: nothing is left to await.
  void (async () => {
    try {
      if (req.op === 'block') {
        const info = block(req);
        reply({ id: req.id, ok: true, value: info });
      } else {
        reply({ id: req.id, ok: true, value: await state(req) });
      }
    } catch (e) {
      reply({ id: req.id, ok: false, error: message(e) });
    }
  })();
});
port.postMessage({ id: 0, ok: true, value: { preset: ACTIVE_PRESET, slotsPerEpoch: SLOTS_PER_EPOCH, forks: FORKS } } satisfies WorkerReply);
