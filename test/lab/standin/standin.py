#!/usr/bin/env python3
"""A stand-in Ethereum client for nodeform's lab hosts (standard library only).

    standin.py --client NAME --reference FLAGS.json [--check-args] [client argv...]

Accepts exactly the flags in the client's flag reference (src/clients/flags/NAME.json), and exits 2 with
"unknown flag --x" on anything else. Running, a consensus client serves a small Beacon API and an execution
client a small JSON-RPC API where its http-address/http-port flags say; the head advances one block per
NODEFORM_STANDIN_SLOT_SECONDS (default 1), and a start reports syncing for NODEFORM_STANDIN_SYNC_SECONDS
(default 0). In its data dir it writes a marker, identity files on first start (as the real client does)
and one file per head advance under its chain-data dir; a restart resumes from the chain data, a wipe of it
starts from 0. While DATADIR/nodeform-standin.stall exists the head stops (a stall: the distance grows); once it
is removed the head catches up at two slots per slot. `init GENESIS` (geth, erigon) creates the chain data with a genesis marker and exits 0, as
does nimbus `trustedNodeSync` (with a checkpoint marker; nothing is downloaded). With
NODEFORM_STANDIN_CHECKPOINT_DOWNLOAD=1 a consensus stand-in started on empty chain data with a checkpoint URL flag
(--checkpoint-sync-url, --checkpointSyncUrl) GETs the finalized state and block from it, as the real clients do at
start, and records their sizes in CHAINDATA/checkpoint-download.json (the bytes are not used).
--check-args prints what it parsed as JSON and exits, for tests. SIGTERM/SIGINT stop it at once, exit 0.
"""
import hashlib
import json
import math
import os
import secrets
import shlex
import signal
import socket
import sys
import threading
import time
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLOTS_PER_EPOCH = 32
NETWORK_IDS = {"mainnet": 1, "sepolia": 11155111, "holesky": 17000, "hoodi": 560048}
MARKER = "nodeform-standin.json"
# While this file is in the data dir, the head does not move (a stalled node).
STALL_FILE = "nodeform-standin.stall"


def client(kind, name, port, version, identity, chain, subcommands=None, needs_subcommand=False,
           switch_values=True, network_id_flags=(), network_name_flags=(), genesis_flags=()):
    return dict(kind=kind, name=name, port=port, version=version, identity=identity, chain=chain,
                subcommands=subcommands or {}, needs_subcommand=needs_subcommand, switch_values=switch_values,
                network_id_flags=network_id_flags, network_name_flags=network_name_flags, genesis_flags=genesis_flags)


# Per client: kind, display name, default API port, `--version` text, identity files and chain-data dir
# (relative to the data dir; Nimbus keeps no identity file by default), subcommands
# (word -> run the node, init from a genesis file, checkpoint: a one-shot sync, version), whether running needs one, whether switches also take =true/=false (clap does
# not), and which flags name the execution chain (an id, a network name, a genesis or chain spec file).
CLIENTS = {
    "lighthouse": client("consensus", "Lighthouse", 5052, "Lighthouse v{v}-standin\nBLS library: blst-portable",
                         ["beacon/network/key"], "beacon/chain_db",
                         {"bn": "run", "beacon_node": "run", "beacon": "run"}, needs_subcommand=True, switch_values=False),
    "prysm": client("consensus", "Prysm", 3500, "beacon-chain version Prysm/v{v}/standin", ["network-keys"], "beaconchaindata"),
    "teku": client("consensus", "teku", 5051, "teku/v{v}/linux-x86_64/standin",
                   ["beacon/kvstore/generated-node-key.dat"], "beacon/db"),
    # Nimbus makes a fresh network key each start unless --netkey-file says otherwise.
    "nimbus": client("consensus", "Nimbus", 5052, "Nimbus beacon node v{v}-standin", [], "db",
                     {"trustedNodeSync": "checkpoint"}),
    "lodestar": client("consensus", "Lodestar", 9596, "Version: v{v}/standin", ["peer-id.json", "enr"], "chain-db",
                       {"beacon": "run"}, needs_subcommand=True),
    "geth": client("execution", "Geth", 8545, "geth version {v}-stable-standin", ["geth/nodekey"], "geth/chaindata",
                   {"init": "init", "version": "version"}, network_id_flags=("--networkid",)),
    "nethermind": client("execution", "Nethermind", 8545, "Version: {v}+standin", ["keystore/node.key.plain"], "nethermind_db",
                         network_name_flags=("--config", "-c"), genesis_flags=("--Init.ChainSpecPath",)),
    "besu": client("execution", "besu", 8545, "besu/v{v}/linux-x86_64/standin", ["key"], "database",
                   network_id_flags=("--network-id",), network_name_flags=("--network",), genesis_flags=("--genesis-file",)),
    "erigon": client("execution", "erigon", 8545, "erigon version {v}-standin", ["nodekey"], "chaindata",
                     {"init": "init"}, network_id_flags=("--networkid",), network_name_flags=("--chain",)),
}


class Usage(Exception):
    """A command line the real client would refuse: exit 2."""


class Fatal(Exception):
    """A start the real client would abort: exit 1."""


def load_reference(path):
    try:
        with open(path, encoding="utf-8") as f:
            rows = json.load(f)
    except (OSError, ValueError) as e:
        raise Fatal(f"cannot read flag reference {path}: {e}")
    if not isinstance(rows, list) or not all(isinstance(r, dict) and isinstance(r.get("flag"), str) for r in rows):
        raise Fatal(f"flag reference {path}: expected an array of {{flag, takesValue, ...}}")
    return rows


def reference_version(rows):
    versions = [r["version"] for r in rows if isinstance(r.get("version"), str) and r["version"]]
    # The most common one (the first seen on a tie): references pin one release per client.
    v = os.environ.get("NODEFORM_STANDIN_VERSION") or (Counter(versions).most_common(1)[0][0] if versions else "0.0.0")
    return v[1:] if v.startswith("v") else v


def parse(name, rows, argv):
    """The command line as the client would read it; raises Usage for anything it would refuse."""
    spec = CLIENTS[name]
    known = {r["flag"]: r for r in rows}
    if "--help" in argv or "-h" in argv:
        return {"action": "help"}
    if "--version" in argv or (argv[:1] == ["version"] and "version" in spec["subcommands"]):
        return {"action": "version"}
    flags, positionals, i = [], [], 0
    while i < len(argv):
        word = argv[i]
        i += 1
        if not word.startswith("-") or word == "-":
            positionals.append(word)
            continue
        flag, eq, value = word.partition("=")
        ref = known.get(flag)
        if ref is None:
            raise Usage(f"unknown flag {flag}")
        if ref.get("takesValue"):
            if not eq:
                if i >= len(argv):
                    raise Usage(f"flag {flag} needs a value")
                value = argv[i]
                i += 1
            flags.append((flag, value, ref.get("role")))
        elif eq and not (spec["switch_values"] and value.lower() in ("true", "false")):
            raise Usage(f"flag {flag} takes no value (got {word})")
        else:
            flags.append((flag, value.lower() if eq else None, ref.get("role")))

    action, sub, genesis = "run", None, None
    if positionals and positionals[0] in spec["subcommands"]:
        sub = positionals.pop(0)
        action = spec["subcommands"][sub]
    elif spec["needs_subcommand"]:
        words = ", ".join(w for w, a in spec["subcommands"].items() if a == "run")
        raise Usage(f"{name} needs a subcommand ({words})" + (f", got '{positionals[0]}'" if positionals else ""))
    if action == "init":
        if len(positionals) != 1:
            raise Usage(f"{sub} takes one argument, the genesis file path")
        genesis = positionals.pop()
    if positionals:
        raise Usage(f"unexpected argument '{positionals[0]}'")

    def role(r):
        found = [v for _, v, rl in flags if rl == r]
        return found[-1] if found else None

    port = role("http-port")
    if port is None:
        port = spec["port"]
    elif port.isdigit() and int(port) <= 65535:
        port = int(port)
    else:
        raise Usage(f"invalid port '{port}' for {next(f for f, _, rl in flags if rl == 'http-port')}")
    datadir = os.path.abspath(os.path.expanduser(role("datadir") or f"~/.{name}"))
    return {
        "action": action,
        "client": name,
        "kind": spec["kind"],
        "subcommand": sub,
        "genesis": genesis,
        "flags": [[f, v] for f, v, _ in flags],
        "http": {"address": role("http-address") or "127.0.0.1", "port": port},
        "datadir": datadir,
        "identity": [os.path.join(datadir, f) for f in spec["identity"]],
        "chaindata": os.path.join(datadir, spec["chain"]),
        "jwt": role("jwt"),
        "chainId": chain_id(spec, flags),
        "genesisFile": next((v for f, v, _ in reversed(flags) if f in spec["genesis_flags"]), None),
    }


def chain_id(spec, flags):
    """The execution chain id the flags select; None when they leave it to the genesis (or mainnet)."""
    if spec["kind"] != "execution":
        return None
    for flag, value, _ in reversed(flags):
        if flag in spec["network_id_flags"] and value and value.isdigit():
            return int(value)
        if flag in spec["network_name_flags"] and value in NETWORK_IDS:
            return NETWORK_IDS[value]
        if value is None and flag[2:] in NETWORK_IDS:  # geth-style --sepolia
            return NETWORK_IDS[flag[2:]]
    return None


class Chain:
    """Head and sync state as a function of time since start; persisted as one file per block.

    While the file STALL_FILE exists in the data dir the head stops (the clock goes on, so the distance grows);
    once it is gone the head moves at two slots per slot until it has caught up with the clock again.
    """

    def __init__(self, chaindata, slot_seconds, sync_seconds, stall_file=None):
        self.dir = chaindata
        self.slot = slot_seconds
        self.sync = sync_seconds
        self.stall_file = stall_file
        self.t0 = time.monotonic()
        self.lock = threading.Lock()
        self.last = self.t0
        # Slots gained since start (a fraction between slots); equals the clock's unless stalled or catching up.
        self.progress = 0.0
        os.makedirs(chaindata, exist_ok=True)
        blocks = [int(f[:-4]) for f in os.listdir(chaindata) if f.endswith(".blk") and f[:-4].isdigit()]
        self.start = max(blocks, default=0)
        self.written = self.start

    def elapsed(self):
        return time.monotonic() - self.t0

    def tick(self):
        with self.lock:
            now = time.monotonic()
            step, self.last = (now - self.last) / self.slot, now
            clock = (now - self.t0) / self.slot
            if self.stall_file and os.path.exists(self.stall_file):
                return
            # Within a slot of the clock it keeps up with it; further behind it gains two slots per slot.
            self.progress = clock if self.progress + 1 >= clock else min(clock, self.progress + 2 * step)

    def head(self):
        self.tick()
        return self.start + int(self.progress)

    def distance(self):
        self.tick()
        behind = int(self.elapsed() / self.slot) - int(self.progress)
        left = self.sync - self.elapsed()
        return max(behind, 0 if left <= 0 else max(1, math.ceil(left / self.slot)))

    def persist(self):
        head = self.head()
        while self.written < head:
            self.written += 1
            os.makedirs(self.dir, exist_ok=True)
            with open(os.path.join(self.dir, f"{self.written:012d}.blk"), "w") as f:
                f.write(json.dumps({"number": self.written, "root": root(self.written)}) + "\n")


def root(n, what="block"):
    return "0x" + hashlib.sha256(f"{what}:{n}".encode()).hexdigest()


def beacon(state, path):
    """(status, body) for a Beacon API GET."""
    chain, peers, version = state["chain"], state["peers"], state["version"]
    head, distance = chain.head(), chain.distance()
    finalized = max(0, head // SLOTS_PER_EPOCH - 2)
    justified = max(0, head // SLOTS_PER_EPOCH - 1)
    parts = path.strip("/").split("/")
    if path == "/eth/v1/node/syncing":
        return 200, {"data": {"head_slot": str(head), "sync_distance": str(distance), "is_syncing": distance > 0,
                              "is_optimistic": False, "el_offline": False}}
    if path == "/eth/v1/node/health":
        return (206 if distance > 0 else 200), None
    if path == "/eth/v1/node/version":
        return 200, {"data": {"version": version}}
    if path == "/eth/v1/node/peer_count":
        return 200, {"data": {"disconnected": "0", "connecting": "0", "connected": str(peers), "disconnecting": "0"}}
    if path == "/eth/v1/beacon/genesis":
        return 200, {"data": {"genesis_time": "1700000000", "genesis_validators_root": root(0, "validators"),
                              "genesis_fork_version": "0x00000000"}}
    if len(parts) == 6 and parts[:4] == ["eth", "v1", "beacon", "states"] and parts[5] == "finality_checkpoints":
        if not (parts[4] in ("head", "finalized", "justified", "genesis") or parts[4].isdigit() or parts[4].startswith("0x")):
            return 400, {"code": 400, "message": f"Invalid state ID: {parts[4]}"}
        cp = lambda e: {"epoch": str(e), "root": root(e * SLOTS_PER_EPOCH)}  # noqa: E731
        return 200, {"execution_optimistic": False, "finalized": False,
                     "data": {"previous_justified": cp(max(0, justified - 1)), "current_justified": cp(justified),
                              "finalized": cp(finalized)}}
    if len(parts) == 5 and parts[:4] == ["eth", "v1", "beacon", "headers"]:
        slot = {"head": head, "genesis": 0, "finalized": finalized * SLOTS_PER_EPOCH}.get(parts[4])
        if slot is None and parts[4].isdigit() and int(parts[4]) <= head:
            slot = int(parts[4])
        if slot is None:
            return 404, {"code": 404, "message": "NOT_FOUND: beacon block"}
        return 200, {"execution_optimistic": False, "finalized": slot <= finalized * SLOTS_PER_EPOCH,
                     "data": {"root": root(slot), "canonical": True, "header": {
                         "message": {"slot": str(slot), "proposer_index": str(slot % 64), "parent_root": root(max(0, slot - 1)),
                                     "state_root": root(slot, "state"), "body_root": root(slot, "body")},
                         "signature": "0x" + "00" * 96}}}
    return 404, {"code": 404, "message": f"NOT_FOUND: {path}"}


def rpc(state, request):
    """One JSON-RPC response object."""
    chain = state["chain"]
    if not isinstance(request, dict) or not isinstance(request.get("method"), str):
        return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "invalid request"}}
    head, distance, method = chain.head(), chain.distance(), request["method"]
    results = {
        "eth_syncing": lambda: False if distance == 0 else {
            "startingBlock": hex(chain.start), "currentBlock": hex(head), "highestBlock": hex(head + distance)},
        "eth_blockNumber": lambda: hex(head),
        "eth_chainId": lambda: hex(state["chainId"]),
        "net_version": lambda: str(state["chainId"]),
        "net_peerCount": lambda: hex(state["peers"]),
        "net_listening": lambda: True,
        "web3_clientVersion": lambda: state["version"],
    }
    reply = {"jsonrpc": "2.0", "id": request.get("id")}
    if method in results:
        reply["result"] = results[method]()
    else:
        reply["error"] = {"code": -32601, "message": f"the method {method} does not exist/is not available"}
    return reply


class Api(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = {}

    def log_message(self, *_):
        pass

    def reply(self, status, body):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.state["kind"] != "consensus":
            return self.reply(405, {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "use POST"}})
        self.reply(*beacon(self.state, self.path.split("?", 1)[0]))

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.state["kind"] != "execution":
            return self.reply(405, {"code": 405, "message": "method not allowed"})
        try:
            request = json.loads(body)
        except ValueError:
            return self.reply(200, {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}})
        self.reply(200, [rpc(self.state, r) for r in request] if isinstance(request, list) else rpc(self.state, request))


def write_file(path, text, mode=0o600):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def check_jwt(args):
    """Consensus clients need the secret to exist; execution clients make it when missing (as geth does)."""
    path = args["jwt"]
    if path is None:
        return
    if not os.path.exists(path):
        if args["kind"] == "consensus":
            raise Fatal(f"JWT secret file {path} does not exist")
        write_file(path, secrets.token_hex(32))
    with open(path) as f:
        f.read()


def file_chain_id(path):
    """The chain id of a genesis.json (config.chainId) or a Nethermind chain spec (params.chainID, hex)."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise Fatal(f"failed to read genesis file {path}: {e}")
    doc = doc if isinstance(doc, dict) else {}
    value = (doc.get("config") or {}).get("chainId") or (doc.get("params") or {}).get("chainID") or (doc.get("params") or {}).get("networkID")
    if isinstance(value, str):
        value = int(value, 16) if value.startswith("0x") else int(value) if value.isdigit() else None
    return value if isinstance(value, int) else None


def init(args):
    chain = file_chain_id(args["genesis"])
    os.makedirs(args["chaindata"], exist_ok=True)
    write_file(os.path.join(args["chaindata"], "genesis.json"),
               json.dumps({"genesis": args["genesis"], "chainId": chain}) + "\n", 0o644)
    print(f"nodeform-standin {args['client']}: wrote genesis state to {args['chaindata']}", flush=True)


def genesis_chain_id(chaindata):
    try:
        with open(os.path.join(chaindata, "genesis.json")) as f:
            value = json.load(f).get("chainId")
        return value if isinstance(value, int) else None
    except (OSError, ValueError):
        return None


CHECKPOINT_URL_FLAGS = ("--checkpoint-sync-url", "--checkpointSyncUrl")


def fetch_checkpoint(args, head):
    """GETs the finalized state and block from the checkpoint URL flag's provider, on empty chain data only."""
    url = next((v for f, v in reversed(args["flags"]) if f in CHECKPOINT_URL_FLAGS and v), None)
    marker = os.path.join(args["chaindata"], "checkpoint-download.json")
    if args["kind"] != "consensus" or not url or head > 0 or os.path.exists(marker):
        return
    got = {}
    for what, path in (("state", "/eth/v2/debug/beacon/states/finalized"), ("block", "/eth/v2/beacon/blocks/finalized")):
        request = urllib.request.Request(url.rstrip("/") + path, headers={
            "Accept": "application/octet-stream", "User-Agent": f"nodeform-standin/{args['client']}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                got[what] = len(response.read())
        except (OSError, ValueError) as e:
            print(f"nodeform-standin {args['client']}: checkpoint {what} download failed: {e}", flush=True)
            return
    write_file(marker, json.dumps(got) + "\n", 0o644)
    print(f"nodeform-standin {args['client']}: downloaded the checkpoint state ({got['state']} bytes) and block "
          f"({got['block']} bytes)", flush=True)


def serve(args, version, argv):
    slot = float(os.environ.get("NODEFORM_STANDIN_SLOT_SECONDS") or 1)
    sync = float(os.environ.get("NODEFORM_STANDIN_SYNC_SECONDS") or 0)
    peers = int(os.environ.get("NODEFORM_STANDIN_PEERS") or 8)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _: stop.set())

    datadir = args["datadir"]
    os.makedirs(datadir, exist_ok=True)
    write_file(os.path.join(datadir, MARKER), json.dumps(
        {"client": args["client"], "version": version, "standin": True, "pid": os.getpid(), "argv": argv}) + "\n", 0o644)
    for path in args["identity"]:
        if not os.path.exists(path):
            write_file(path, secrets.token_hex(32))
    chain = Chain(args["chaindata"], slot, sync, os.path.join(datadir, STALL_FILE))
    check_jwt(args)
    if os.environ.get("NODEFORM_STANDIN_CHECKPOINT_DOWNLOAD") == "1":
        threading.Thread(target=fetch_checkpoint, args=(args, chain.start), daemon=True).start()
    # A genesis or chain spec named on the command line must be readable, as for the real client.
    from_file = file_chain_id(args["genesisFile"]) if args["genesisFile"] else None
    chain_id = args["chainId"] or from_file or genesis_chain_id(args["chaindata"]) or 1

    Api.state = {"kind": args["kind"], "chain": chain, "peers": peers,
                 "version": f"{CLIENTS[args['client']]['name']}/v{version}-standin/linux-x86_64/python{sys.version_info[0]}",
                 "chainId": chain_id}
    address, port = args["http"]["address"], args["http"]["port"]
    server_class = type("Server", (ThreadingHTTPServer,), {"address_family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                                                            "daemon_threads": True})
    try:
        server = server_class((address, port), Api)
    except OSError as e:
        raise Fatal(f"could not listen on {address}:{port}: {e.strerror or e}")
    api = "beacon-api" if args["kind"] == "consensus" else "json-rpc"
    print(f"nodeform-standin {args['client']} v{version} pid {os.getpid()}: {api} on {address}:{server.server_address[1]}, "
          f"datadir {datadir}, head {chain.start}; argv: {shlex.join(argv)}", flush=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    while not stop.wait(min(0.2, slot)):
        chain.persist()
    server.shutdown()
    server.server_close()
    print(f"nodeform-standin {args['client']}: stopping on signal at head {chain.head()}", flush=True)


def main(argv):
    own = {"--client": None, "--reference": None}
    check = False
    while argv and (argv[0] in own or argv[0] == "--check-args"):
        if argv[0] == "--check-args":
            check, argv = True, argv[1:]
        elif len(argv) > 1:
            own[argv[0]], argv = argv[1], argv[2:]
        else:
            break
    name, reference = own["--client"], own["--reference"]
    if name not in CLIENTS or not reference:
        print(f"usage: standin.py --client {{{','.join(CLIENTS)}}} --reference FLAGS.json [--check-args] [argv...]", file=sys.stderr)
        return 2
    try:
        rows = load_reference(reference)
        version = reference_version(rows)
        try:
            args = parse(name, rows, argv)
        except Usage as e:
            print(str(e), file=sys.stderr)
            return 2
        if check:
            print(json.dumps(args))
        elif args["action"] == "version":
            print(CLIENTS[name]["version"].format(v=version))
        elif args["action"] == "help":
            print(f"{name} (nodeform stand-in) v{version}; flags:\n" +
                  "\n".join(f"  {r['flag']}{' VALUE' if r.get('takesValue') else ''}" for r in rows))
        elif args["action"] == "init":
            init(args)
        elif args["action"] == "checkpoint":
            os.makedirs(args["chaindata"], exist_ok=True)
            write_file(os.path.join(args["chaindata"], "checkpoint.json"), json.dumps({"argv": argv}) + "\n", 0o644)
            print(f"nodeform-standin {name}: wrote a checkpoint state to {args['chaindata']}", flush=True)
        else:
            serve(args, version, argv)
        return 0
    except Fatal as e:
        print(f"Fatal: {e}", file=sys.stderr, flush=True)
        return 1
    except OSError as e:
        print(f"Fatal: {e}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
