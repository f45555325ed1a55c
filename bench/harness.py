#!/usr/bin/python3
"""umigame benchmark harness (issue 5): the dataplane beside its peers in one run.

Run through bench/run.sh (which installs packages, reserves hugepages and builds a release
tree); run directly only as root with a release build at --build-dir:

    /usr/bin/python3 bench/harness.py [--quick] [--only ip6-16,ip4-16] [--build-dir build-release]

Traffic never leaves the process: DPDK `net_pcap` with `rx_pcap=FILE,infinite_rx=1` (pcaps
generated here, documentation prefixes only) is the source, `net_null,no-rx=1` the sink. Every
DPDK process gets `--no-pci` and its own `--file-prefix umibench-<pid>-<n>`; everything it
starts is stopped, and every runtime directory removed, on exit and on Ctrl-C.

Programs measured on the same vdevs and cores, one after the other:
  testpmd   dpdk-testpmd in io mode: the I/O ceiling of the vdevs (no lookup at all)
  l3fwd     DPDK's l3fwd (LPM) built from /usr/share/dpdk/examples (dpdk-doc), patched in a
            temporary copy: RX checksum offload masked by the device's capabilities, and a
            thread printing port counters (the example prints none)
  umigamed  the daemon in poll mode, configured over its control socket

Rates are egress packets counted by the programs themselves over a fixed window after a
warm-up, repeated (consecutive windows); the median and min-max are reported. Each scenario is
also captured once to a pcap (`tx_pcap=`) and checked packet by packet; a scenario whose
output is wrong fails loudly and does not score.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
DPDK_RUNTIME = Path("/var/run/dpdk")
L3FWD_SRC = Path("/usr/share/dpdk/examples/l3fwd")
EXAMPLES_COMMON = Path("/usr/share/dpdk/examples/common")

# Addresses (documentation prefixes only). The pcap source is the first net_pcap device of a
# process, whose MAC the PMD fixes at 02:70:63:61:70:00 (the second gets ...:01).
SRC_PORT_MAC = "02:70:63:61:70:00"
GEN_MAC = "02:00:00:00:00:01"       # the imaginary traffic generator on de0's link
GW_MAC = "02:00:00:00:00:02"        # the static neighbour (next hop) on de1's link
R_IN6, R_OUT6, GW6 = "2001:db8:1::ff", "2001:db8:2::ff", "2001:db8:2::1"
R_IN4, R_OUT4, GW4 = "198.51.100.254", "192.0.2.254", "192.0.2.1"
SRC6_NET = "2001:db8:1::"          # /64: traffic sources
SRC4_NET = "198.51.100."           # /24: traffic sources
DST4_NET = "203.0.113."            # /24, split into 16 /28 routes: traffic destinations
HLIM = 64
N_FLOWS = 1024
IMIX = [64, 576, 64, 64, 1500, 64, 576, 64, 64, 576, 64, 64]  # 7:4:1 (simple IMIX)
SIZES = ["64", "78", "512", "1500", "imix"]
SEED = 5
NOISY = 0.95  # a polling core that ran less than this share of the window was disturbed

# --- small utilities ---------------------------------------------------------------------------


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


class BenchError(Exception):
    pass


class CorrectnessError(BenchError):
    pass


def wait_until(pred: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise BenchError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def read_status(pid: int) -> dict[str, int]:
    """VmRSS / VmHWM of a process in bytes."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0]) * 1024
    except OSError:
        pass
    return out


def hugepages_free() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("HugePages_Free:"):
            return int(line.split()[1])
    return 0


def tsc_from_cpuinfo() -> float | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("cpu MHz"):
                return float(line.split(":")[1]) * 1e6
    except OSError:
        pass
    return None


# --- process and resource bookkeeping ----------------------------------------------------------


class Resources:
    """Everything the harness starts or creates, undone in reverse order at exit."""

    def __init__(self) -> None:
        self.actions: list[tuple[str, Callable[[], Any]]] = []

    def add(self, what: str, fn: Callable[[], Any]) -> None:
        self.actions.append((what, fn))

    def close(self) -> None:
        while self.actions:
            what, fn = self.actions.pop()
            try:
                fn()
            except BaseException as e:  # keep cleaning
                print(f"cleanup: {what}: {e}", file=sys.stderr)


RES = Resources()
_prefix_serial = itertools.count(1)


def new_prefix(tag: str) -> str:
    """A DPDK file prefix of our own, its runtime directory removed at exit."""
    p = f"umibench-{os.getpid()}-{next(_prefix_serial)}-{tag}"

    def rm() -> None:
        shutil.rmtree(DPDK_RUNTIME / p, ignore_errors=True)
        try:
            Path(f"/run/umigame/{p}.lock").unlink()
        except FileNotFoundError:
            pass

    RES.add(f"remove runtime dir of {p}", rm)
    return p


class Proc:
    """A child process in its own session, output to a log file; stop() ends it (SIGINT, then
    SIGTERM, then SIGKILL of its own process group) and is registered for cleanup."""

    def __init__(self, argv: list[str], logpath: Path, env: dict[str, str] | None = None):
        self.argv = argv
        self.logpath = logpath
        self.out = open(logpath, "wb")
        full_env = {k: v for k, v in os.environ.items()
                    if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}
        full_env.update(env or {})
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.out, stderr=subprocess.STDOUT,
                                  env=full_env, start_new_session=True)
        self.pid = self.p.pid
        self.hwm = 0
        RES.add(f"stop {argv[0]} ({self.pid})", self.stop)

    def alive(self) -> bool:
        return self.p.poll() is None

    def text(self) -> str:
        if not self.out.closed:
            self.out.flush()
        return self.logpath.read_text(errors="replace")

    def tail(self, n: int = 30) -> str:
        lines = self.text().splitlines()[-n:]
        return f"--- last {len(lines)} lines of {self.logpath} ---\n" + "\n".join(lines)

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15.0) -> int | None:
        if self.p.poll() is None:
            st = read_status(self.pid)
            self.hwm = max(self.hwm, st.get("VmHWM", 0))
            for s, t in ((sig, timeout), (signal.SIGTERM, 5.0)):
                try:
                    self.p.send_signal(s)
                except ProcessLookupError:
                    break
                try:
                    self.p.wait(t)
                    break
                except subprocess.TimeoutExpired:
                    continue
            if self.p.poll() is None:
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.p.wait()
        if not self.out.closed:
            self.out.close()
        return self.p.returncode


# --- memory mode -------------------------------------------------------------------------------


@dataclass
class Mem:
    huge: bool

    def eal(self) -> list[str]:
        if self.huge:
            return ["--in-memory", "--socket-mem=512"]
        return ["--no-huge", "--no-shconf", "-m", "1024"]


# --- traffic and route files -------------------------------------------------------------------


@dataclass
class Traffic:
    """The generated inputs: pcaps per (family, size), route files per (family, table)."""
    dir: Path
    dst6_nets: list[int] = field(default_factory=list)   # 16 /64s (upper 64 bits)
    dst4_nets: list[int] = field(default_factory=list)   # 16 /28s (as ints)
    pcaps: dict[tuple[str, str], Path] = field(default_factory=dict)
    routes: dict[tuple[str, str], Path] = field(default_factory=dict)
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    l3fwd_rules: dict[str, Path] = field(default_factory=dict)


def fmt6_hi(hi: int, plen: int) -> str:
    g = [(hi >> s) & 0xFFFF for s in (48, 32, 16, 0)]
    return f"{g[0]:x}:{g[1]:x}:{g[2]:x}:{g[3]:x}::/{plen}"


def ip4s(a: int) -> str:
    return f"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}"


def frame_len(size: str) -> list[int]:
    if size == "imix":
        return IMIX
    return [int(size)]


def make_traffic(tdir: Path, sizes: list[str], tables6: list[str], tables4: list[str]) -> Traffic:
    from scapy.all import IP, UDP, Ether, IPv6, Raw, wrpcap  # Debian's python3-scapy

    rng = random.Random(SEED)
    t = Traffic(tdir)
    base6 = 0x20010DB8 << 32
    while len(t.dst6_nets) < 16:   # random /64s under 2001:db8::/32, not the two links
        hi = base6 | rng.getrandbits(32)
        if hi & 0xFFFFFFFF in (0x00010000, 0x00020000) or hi in t.dst6_nets:
            continue
        t.dst6_nets.append(hi)
    d4 = int.from_bytes(bytes(map(int, (DST4_NET + "0").split("."))), "big")
    t.dst4_nets = [d4 + 16 * k for k in range(16)]

    # Flows: N_FLOWS packets, each its own (src, dst, ports); the same flows for every size.
    flows6, flows4 = [], []
    for i in range(N_FLOWS):
        hi = t.dst6_nets[i % 16]
        dst = ":".join(f"{(hi >> s) & 0xFFFF:x}" for s in (48, 32, 16, 0)) + ":" + ":".join(
            f"{rng.getrandbits(16):x}" for _ in range(4))
        src = SRC6_NET + ":".join(f"{rng.getrandbits(16):x}" for _ in range(4))
        flows6.append((src, dst, rng.randrange(1024, 65536), rng.randrange(1024, 65536)))
        src4 = SRC4_NET + str(rng.randrange(1, 254))
        dst4 = ip4s(t.dst4_nets[i % 16] + rng.randrange(1, 15))
        flows4.append((src4, dst4, rng.randrange(1024, 65536), rng.randrange(1024, 65536)))
    rng.shuffle(flows6)
    rng.shuffle(flows4)

    for fam, flows in (("ip6", flows6), ("ip4", flows4)):
        for size in sizes:
            pkts = []
            lens = frame_len(size)
            n = N_FLOWS if len(lens) == 1 else len(lens) * math.ceil(N_FLOWS / len(lens))
            for i in range(n):
                src, dst, sp, dp = flows[i % N_FLOWS]
                L = lens[i % len(lens)]
                if fam == "ip6":
                    hdr = Ether(dst=SRC_PORT_MAC, src=GEN_MAC) / IPv6(src=src, dst=dst, hlim=HLIM) / UDP(sport=sp, dport=dp)
                else:
                    hdr = Ether(dst=SRC_PORT_MAC, src=GEN_MAC) / IP(src=src, dst=dst, ttl=HLIM, id=i & 0xFFFF) / UDP(sport=sp, dport=dp)
                pad = L - len(hdr)
                if pad < 0:
                    raise BenchError(f"{fam} frame of {L} bytes is too short for the headers")
                pkts.append(hdr / Raw(bytes((i + k) & 0xFF for k in range(pad))))
            path = tdir / f"{fam}-{size}.pcap"
            wrpcap(str(path), pkts)
            t.pcaps[(fam, size)] = path

    # Route tables (files of prefix/len lines for route_load).
    traffic6 = [fmt6_hi(h, 64) for h in t.dst6_nets]
    traffic4 = [f"{ip4s(n)}/28" for n in t.dst4_nets]
    for table in tables6:
        n = table_size(table)
        lines = list(traffic6)
        seen = {(h, 64) for h in t.dst6_nets}
        while len(lines) < n:   # random /33../64 under 2001:db8::/32
            plen = rng.randint(33, 64)
            hi = base6 | ((rng.getrandbits(32) >> (64 - plen)) << (64 - plen))
            if (hi, plen) in seen or (plen == 64 and hi & 0xFFFFFFFF in (0x00010000, 0x00020000)):
                continue
            seen.add((hi, plen))
            lines.append(fmt6_hi(hi, plen))
        path = tdir / f"routes-ip6-{table}.txt"
        path.write_text("\n".join(lines) + "\n")
        t.routes[("ip6", table)] = path
        t.counts[("ip6", table)] = len(lines)
    doc24 = {int.from_bytes(bytes(map(int, (p + "0").split("."))), "big") >> 8
             for p in (SRC4_NET, DST4_NET, "192.0.2.")}
    for table in tables4:
        n = table_size(table)
        lines = list(traffic4)
        seen = set((x, 28) for x in t.dst4_nets)
        while len(lines) < n:   # BGP-like lengths over 1.0.0.0-223.255.255.255
            r = rng.random()
            plen = 24 if r < 0.6 else rng.randint(22, 23) if r < 0.8 else rng.randint(16, 21) if r < 0.97 \
                else rng.randint(8, 15)
            a = rng.randrange(1 << 24, 224 << 24)
            a = (a >> (32 - plen)) << (32 - plen)
            if (a >> 24) == 127 or (a >> 8) in doc24 or (a, plen) in seen:
                continue
            seen.add((a, plen))
            lines.append(f"{ip4s(a)}/{plen}")
        path = tdir / f"routes-ip4-{table}.txt"
        path.write_text("\n".join(lines) + "\n")
        t.routes[("ip4", table)] = path
        t.counts[("ip4", table)] = len(lines)

    # l3fwd rule files: the 16 traffic prefixes to port 1 (its tables are sized for 1024 rules).
    r6 = tdir / "l3fwd-v6.cfg"
    r6.write_text("".join(f"R{p} 1\n" for p in traffic6))
    r4 = tdir / "l3fwd-v4.cfg"
    r4.write_text("".join(f"R{p} 1\n" for p in traffic4))
    t.l3fwd_rules = {"ip6": r6, "ip4": r4}
    return t


def table_size(table: str) -> int:
    return {"16": 16, "100k": 100_000, "1M": 1_000_000}[table]


# --- pcap reading and the correctness check ----------------------------------------------------


def read_pcap(path: Path, limit: int | None = None) -> list[bytes]:
    data = path.read_bytes()
    if len(data) < 24:
        return []
    magic = struct.unpack_from("<I", data)[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    out, off = [], 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack_from(endian + "IIII", data, off)
        off += 16
        out.append(data[off:off + incl])
        off += incl
        if limit and len(out) >= limit:
            break
    return out


def ip4_checksum(hdr: bytes) -> int:
    s = 0
    for i in range(0, len(hdr), 2):
        s += (hdr[i] << 8) | hdr[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def mac_bytes(m: str) -> bytes:
    return bytes(int(x, 16) for x in m.split(":"))


def expected_frame(f: bytes, out_mac: bytes) -> bytes:
    """What a correct router sends for input frame f: MACs rewritten, hop limit / TTL minus one,
    IPv4 header checksum recomputed from scratch."""
    b = bytearray(f)
    b[0:6] = mac_bytes(GW_MAC)
    b[6:12] = out_mac
    et = (b[12] << 8) | b[13]
    if et == 0x86DD:
        b[14 + 7] -= 1
    elif et == 0x0800:
        ihl = (b[14] & 15) * 4
        b[14 + 8] -= 1
        b[14 + 10:14 + 12] = b"\0\0"
        b[14 + 10:14 + 12] = ip4_checksum(bytes(b[14:14 + ihl])).to_bytes(2, "big")
    return bytes(b)


def flow_key(f: bytes) -> tuple | None:
    """(family, src, dst, sport, dport, len) of one of our UDP flow frames, else None."""
    if len(f) < 14:
        return None
    et = (f[12] << 8) | f[13]
    if et == 0x86DD and len(f) >= 62 and f[14 + 6] == 17 and f[22:30] == bytes.fromhex("20010db800010000"):
        return ("ip6", f[22:38], f[38:54], f[54:56], f[56:58], len(f))
    if et == 0x0800 and len(f) >= 42 and f[14 + 9] == 17 and f[26:29] == bytes([198, 51, 100]):
        ihl = (f[14] & 15) * 4
        return ("ip4", f[26:30], f[30:34], f[14 + ihl:16 + ihl], f[16 + ihl:18 + ihl], len(f))
    return None


def is_control_traffic(f: bytes) -> bool:
    """Frames the daemon itself originates: ARP, and ICMPv6 ND/MLD (RS, RA, NS, NA, MLDv2)."""
    et = (f[12] << 8) | f[13]
    if et == 0x0806:
        return True
    if et == 0x86DD and len(f) > 54:
        nh, off = f[20], 54
        if nh == 0 and len(f) > 62:  # hop-by-hop (MLD router alert)
            nh, off = f[54], 54 + (f[55] + 1) * 8
        return nh == 58 and off < len(f) and f[off] in (130, 131, 132, 133, 134, 135, 136, 143)
    return False


def check_capture(inp: Path, out_de1: list[Path], out_de0: list[Path], egress_mac: str, what: str) -> dict:
    """Every flow frame leaving de1 must be exactly the expected rewrite of an input frame;
    none may leave by de0; nothing else may appear but the daemon's own ND/MLD/ARP."""
    from scapy.all import IP, Ether, IPv6

    src = read_pcap(inp)
    emac = mac_bytes(egress_mac)
    expected = {expected_frame(f, emac) for f in src}
    by_key = {flow_key(f): f for f in src}
    de1 = [f for p in out_de1 for f in read_pcap(p)]
    de0 = [f for p in out_de0 for f in read_pcap(p)]
    ok = ctl = 0
    problems: list[str] = []
    for f in de1:
        if f in expected:
            ok += 1
            continue
        if is_control_traffic(f):
            ctl += 1
            continue
        k = flow_key(f)
        if k is None:
            problems.append(f"unexpected frame on de1: {f[:64].hex()}")
        else:
            problems.append("wrong rewrite: " + diagnose(by_key.get(k), f, emac))
        if len(problems) >= 5:
            break
    wrong_egress = sum(1 for f in de0 if flow_key(f) is not None)
    if wrong_egress:
        problems.append(f"{wrong_egress} flow frames left by the ingress port de0")
    if ok < 100:
        problems.append(f"only {ok} forwarded frames captured on de1 (at least 100 needed)")
    # An independent look with scapy at a sample: fields, IPv4 checksum as scapy recomputes it.
    sampled = 0
    for f in de1[:400]:
        if flow_key(f) is None:
            continue
        p = Ether(f)
        if p.dst.lower() != GW_MAC or p.src.lower() != egress_mac.lower():
            problems.append(f"scapy: MACs {p.src} -> {p.dst}, want {egress_mac} -> {GW_MAC}")
        if IPv6 in p and p[IPv6].hlim != HLIM - 1:
            problems.append(f"scapy: hop limit {p[IPv6].hlim}, want {HLIM - 1}")
        if IP in p:
            c = p[IP].chksum
            del p[IP].chksum
            if p[IP].ttl != HLIM - 1 or Ether(bytes(p))[IP].chksum != c:
                problems.append(f"scapy: TTL {p[IP].ttl} / checksum {c:#06x} wrong")
        sampled += 1
        if len(problems) >= 8:
            break
    res = {"scenario": what, "forwarded_checked": ok, "control_frames": ctl, "scapy_sampled": sampled,
           "problems": problems}
    if problems:
        raise CorrectnessError(f"{what}: the output is WRONG:\n  " + "\n  ".join(problems))
    return res


def diagnose(src: bytes | None, got: bytes, emac: bytes) -> str:
    if src is None:
        return f"frame not in the input: {got[:64].hex()}"
    want = expected_frame(src, emac)
    d = []
    if got[0:6] != want[0:6]:
        d.append(f"dst MAC {got[0:6].hex(':')} want {want[0:6].hex(':')}")
    if got[6:12] != want[6:12]:
        d.append(f"src MAC {got[6:12].hex(':')} want {want[6:12].hex(':')}")
    if len(got) != len(want):
        d.append(f"length {len(got)} want {len(want)}")
    elif got[12:] != want[12:]:
        i = next(i for i in range(12, len(got)) if got[i] != want[i])
        d.append(f"first differing byte at offset {i}: {got[i]:#04x} want {want[i]:#04x}"
                 + (" (hop limit)" if i == 21 and got[12:14] == b"\x86\xdd" else "")
                 + (" (TTL)" if i == 22 and got[12:14] == b"\x08\x00" else "")
                 + (" (IPv4 checksum)" if i in (24, 25) and got[12:14] == b"\x08\x00" else ""))
    return "; ".join(d) or "differs"


# --- the control socket ------------------------------------------------------------------------


class ControlError(BenchError):
    pass


class Client:
    """One connection to umigamed (PROTOCOL.md): newline-delimited JSON, hello first."""

    def __init__(self, path: Path, timeout: float = 60.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(str(path))
        self.buf = b""
        self.ids = itertools.count(1)
        self.call("hello", {"version": 1, "client": "umibench"})

    def close(self) -> None:
        self.sock.close()

    def send(self, op: str, args: dict | None = None) -> int:
        rid = next(self.ids)
        msg: dict[str, Any] = {"id": rid, "op": op}
        if args is not None:
            msg["args"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        return rid

    def recv(self) -> dict:
        while b"\n" not in self.buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ControlError("umigamed closed the control connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def reply(self) -> dict:
        while True:
            m = self.recv()
            if "event" not in m:
                return m

    def call(self, op: str, args: dict | None = None) -> dict:
        rid = self.send(op, args)
        m = self.reply()
        if m.get("id") != rid:
            raise ControlError(f"{op}: reply id {m.get('id')} for request {rid}")
        if not m.get("ok"):
            e = m.get("error") or {}
            raise ControlError(f"{op} {json.dumps(args)}: {e.get('code')}: {e.get('message')}")
        return m.get("result", {})


# --- umigamed ----------------------------------------------------------------------------------


def pcap_vdev(index: int, rx: Path | None, queues: int, infinite: bool, tx: list[Path] = ()) -> str:
    """A net_pcap device: `queues` RX queues looping the same file, one TX queue per tx file."""
    parts = [f"net_pcap{index}"]
    if rx is not None:
        parts += [f"rx_pcap={rx}"] * queues
        if infinite:
            parts.append("infinite_rx=1")
    parts += [f"tx_pcap={f}" for f in tx]
    return ",".join(parts)


def alive(p: "Proc", what: str) -> bool:
    if not p.alive():
        raise BenchError(f"{what} exited with status {p.p.returncode}\n" + p.tail())
    return True


class Daemon:
    def __init__(self, ctx: "Ctx", name: str, workers: int, de0: str, de1: str, de0_queues: int,
                 prefix: list[str] | None = None, huge: bool | None = None, ready_timeout: float = 60):
        huge = ctx.mem.huge if huge is None else huge
        self.ctx = ctx
        self.dir = ctx.work / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.sock = self.dir / "umigamed.sock"
        self.prefix = new_prefix("umigamed")
        cfg = [
            "[daemon]",
            f'socket = "{self.sock}"',
            f'file_prefix = "{self.prefix}"',
            f'hugepages = "{"on" if huge else "off"}"',
            f"memory_mb = {512 if huge or prefix else 1024}",
            f"workers = {workers}",
            'idle = "poll"',
            'hostname = "bench.example.test"',
            'log_level = "info"',
            "", "[[port]]", 'name = "de0"', f'vdev = "{de0}"', f"queues = {de0_queues}",
            "", "[[port]]", 'name = "de1"', f'vdev = "{de1}"', "queues = 1",
        ]
        self.cfg = self.dir / "umigamed.toml"
        self.cfg.write_text("\n".join(cfg) + "\n")
        self.proc = Proc([*(prefix or []), str(ctx.umigamed), "--config", str(self.cfg)],
                         self.dir / "umigamed.log")
        self.client: Client | None = None

        def ready() -> bool:
            if not self.proc.alive():
                raise BenchError(f"umigamed exited with {self.proc.p.returncode} before it was ready\n"
                                 + self.proc.tail())
            return "umigamed: ready" in self.proc.text() and self.sock.exists()

        wait_until(ready, ready_timeout, "umigamed to be ready")
        self.client = Client(self.sock)
        tsc = re.search(r"TSC frequency is ~(\d+) KHz", self.proc.text())
        if tsc and not ctx.tsc_hz:
            ctx.tsc_hz, ctx.tsc_source = int(tsc.group(1)) * 1000.0, "EAL (umigamed)"

    def call(self, op: str, args: dict | None = None) -> dict:
        assert self.client is not None
        return self.client.call(op, args)

    def interfaces(self) -> dict[str, dict]:
        return {i["name"]: i for i in self.call("interfaces")["interfaces"]}

    def rss(self) -> int:
        return read_status(self.proc.pid).get("VmRSS", 0)

    def configure(self, family: str, routes: Path | None) -> dict:
        """Addresses, static neighbour, routes (bulk, from file), forwarding on.
        Returns install figures: routes, seconds (daemon's), wall seconds, RSS delta."""
        ifs = self.interfaces()
        if ifs["de0"]["ether"].lower() != SRC_PORT_MAC:
            raise BenchError(f"de0 has MAC {ifs['de0']['ether']}, the pcaps are addressed to {SRC_PORT_MAC}")
        self.call("addr_add", {"name": "de0", "addr": R_IN6, "prefixlen": 64, "alias": True})
        self.call("addr_add", {"name": "de1", "addr": R_OUT6, "prefixlen": 64, "alias": True})
        self.call("addr_add", {"name": "de0", "family": "inet", "addr": R_IN4, "prefixlen": 24, "alias": True})
        self.call("addr_add", {"name": "de1", "family": "inet", "addr": R_OUT4, "prefixlen": 24, "alias": True})
        self.call("neighbor_set", {"addr": GW6, "lladdr": GW_MAC, "name": "de1"})
        self.call("arp_set", {"addr": GW4, "lladdr": GW_MAC})
        return self.load(family, routes) if routes is not None else {}

    def load(self, family: str, routes: Path) -> dict:
        """route_load of a file: installed count, the daemon's seconds, wall seconds, RSS delta."""
        rss0 = self.rss()
        t0 = time.monotonic()
        r = self.call("route_load", {"family": "inet6" if family == "ip6" else "inet",
                                     "gateway": GW6 if family == "ip6" else GW4, "file": str(routes)})
        wall = time.monotonic() - t0
        time.sleep(0.3)  # let RCU reclaim what the batch retired
        return {"installed": r.get("installed"), "seconds": r.get("seconds"), "wall": wall,
                "rss_delta": self.rss() - rss0, "rss_after": self.rss()}

    def forwarding(self, on: bool) -> None:
        self.call("sysctl_set", {"name": "net.inet6.ip6.forwarding", "value": int(on)})
        self.call("sysctl_set", {"name": "net.inet.ip.forwarding", "value": int(on)})

    def counters(self) -> tuple[float, dict]:
        t0 = time.monotonic()
        st = self.call("stats")
        t1 = time.monotonic()
        return (t0 + t1) / 2, st

    def egress(self, st: dict) -> int:
        return next(p["tx_packets"] for p in st["ports"] if p["name"] == "de1")

    def stop(self) -> int:
        if self.client:
            self.client.close()
            self.client = None
        hwm = read_status(self.proc.pid).get("VmHWM", 0)
        rc = self.proc.stop(signal.SIGTERM)
        self.proc.hwm = max(self.proc.hwm, hwm)
        self.ctx.peak_rss = max(self.ctx.peak_rss, self.proc.hwm)
        if rc not in (0, None):
            log(f"warning: umigamed exited with status {rc}\n{self.proc.tail(10)}")
        return self.proc.hwm


# --- the run context ---------------------------------------------------------------------------


@dataclass
class Result:
    scenario: str
    family: str
    routes: str
    size: str
    program: str
    workers: int
    samples: list[float]
    note: str = ""
    rss_peak: int = 0
    correctness: str = ""
    cpu: float = float("nan")

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else float("nan")


@dataclass
class Ctx:
    args: argparse.Namespace
    work: Path
    shm: Path
    out: Path
    umigamed: Path
    mem: Mem
    traffic: Traffic | None = None
    l3fwd: Path | None = None
    l3fwd_note: str = ""
    tsc_hz: float = 0.0
    tsc_source: str = ""
    peak_rss: int = 0
    results: list[Result] = field(default_factory=list)
    control: list[dict] = field(default_factory=list)
    checks: list[dict] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    profiles: list[Path] = field(default_factory=list)
    instructions: list[dict] = field(default_factory=list)
    guard_selftest: dict | None = None


Snapshot = tuple[float, dict[str, tuple[str, int]]]


def cpu_snapshot(pid: int) -> Snapshot:
    """(monotonic time, {thread id: (name, ns on a CPU)}) for every thread of a process."""
    out = {}
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                name = Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip()
                out[tid] = (name, int(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[0]))
            except (OSError, ValueError, IndexError):
                pass
    except OSError:
        pass
    return time.monotonic(), out


def cpu_share(s0: Snapshot, s1: Snapshot, workers_named: str | None = "rte-worker") -> float:
    """The smallest share of wall time that a polling thread actually got on its CPU between
    two snapshots: 1.0 on a quiet machine; less when other processes took the forwarding core
    (the rate then understates the program). Polling threads are the EAL worker lcores
    (`rte-worker-N`); with workers_named=None (l3fwd, whose main lcore polls too), every
    thread that ran more than 20 % of the time."""
    dt = (s1[0] - s0[0]) * 1e9
    if dt <= 0:
        return float("nan")
    shares = [((n, (ns - s0[1].get(t, (n, 0))[1]) / dt)) for t, (n, ns) in s1[1].items()]
    if workers_named:
        pollers = [x for n, x in shares if n.startswith(workers_named)]
    else:
        pollers = [x for _, x in shares if x > 0.2]
    return min(pollers) if pollers else float("nan")


def control_busy(s0: Snapshot, s1: Snapshot) -> str:
    """A note when umigamed's control thread (the main thread, named umigamed) was busy
    for more than 20 % of the measurement: it shares CPU 0 with everything else."""
    dt = (s1[0] - s0[0]) * 1e9
    for t, (n, ns) in s1[1].items():
        if n == "umigamed" and dt > 0:
            x = (ns - s0[1].get(t, (n, 0))[1]) / dt
            if x > 0.2:
                return f"control thread {100 * x:.0f}% busy"
    return ""


def measure_windows(read: Callable[[], tuple[float, int]], warmup: float, window: float, reps: int) -> list[float]:
    """Rates (packets/s) over `reps` consecutive windows after `warmup` seconds."""
    time.sleep(warmup)
    t0, c0 = read()
    rates = []
    for _ in range(reps):
        time.sleep(window)
        t1, c1 = read()
        rates.append((c1 - c0) / (t1 - t0))
        t0, c0 = t1, c1
    return rates


class off_cpu0:
    """With a umigamed worker spinning on CPU 0, a process pinned to CPU 0 in another session
    got no CPU at all for minutes here (kernel 6.18; testpmd/l3fwd workers there do not do
    it): the harness leaves CPU 0 while umigamed runs more than one worker."""

    def __init__(self, workers: int):
        self.move = workers > 1 and (os.cpu_count() or 1) > 1
        self.before: set[int] = set()

    def __enter__(self) -> None:
        if self.move:
            self.before = os.sched_getaffinity(0)
            os.sched_setaffinity(0, set(range(1, os.cpu_count() or 2)))

    def __exit__(self, *exc: Any) -> None:
        if self.move:
            os.sched_setaffinity(0, self.before)


def run_umigamed(ctx: Ctx, family: str, table: str, size: str, workers: int) -> Result:
    with off_cpu0(workers):
        return _run_umigamed(ctx, family, table, size, workers)


def _run_umigamed(ctx: Ctx, family: str, table: str, size: str, workers: int) -> Result:
    a = ctx.args
    t = ctx.traffic
    assert t is not None
    name = f"umigamed-{family}-{table}-{size}-w{workers}"
    de0 = pcap_vdev(0, t.pcaps[(family, size)], workers, True)
    d = Daemon(ctx, name, workers, de0, "net_null0,no-rx=1", workers)
    try:
        d.configure(family, t.routes[(family, table)])
        d.forwarding(True)

        def read() -> tuple[float, int]:
            ts, st = d.counters()
            return ts, d.egress(st)

        time.sleep(a.warmup)
        _, st0 = d.counters()
        c0 = cpu_snapshot(d.proc.pid)
        rates = measure_windows(read, 0, a.window, a.reps)
        c1 = cpu_snapshot(d.proc.pid)
        _, st1 = d.counters()
        note = forwarding_note(st0, st1, family)
    finally:
        hwm = d.stop()
    busy = control_busy(c0, c1)
    note = "; ".join(x for x in (note, busy) if x)
    r = Result(f"{family}-{table}", family, table, size, "umigamed", workers, rates, note, hwm)
    r.cpu = cpu_share(c0, c1)
    return r


def forwarding_note(st0: dict, st1: dict, family: str) -> str:
    """Flags a run in which packets were dropped or punted rather than forwarded."""
    def rx(st: dict) -> int:
        return next(p["rx_packets"] for p in st["ports"] if p["name"] == "de0")
    grp = "ip6" if family == "ip6" else "ip"
    fwd = st1[grp].get("forward", 0) - st0[grp].get("forward", 0)
    got = rx(st1) - rx(st0)
    drops = {d["reason"]: d["count"] for d in st1["drops"]}
    drops0 = {d["reason"]: d["count"] for d in st0["drops"]}
    moved = {k: v - drops0.get(k, 0) for k, v in drops.items() if v - drops0.get(k, 0) > 0}
    if got and fwd < 0.99 * got:
        return f"only {fwd} of {got} received packets forwarded; drops {moved}"
    return ""


def run_testpmd(ctx: Ctx, size: str, workers: int) -> Result:
    a = ctx.args
    t = ctx.traffic
    assert t is not None
    name = f"testpmd-{size}-w{workers}"
    wdir = ctx.work / name
    wdir.mkdir(parents=True, exist_ok=True)
    lcores = "0@0," + ",".join(f"{i}@{i % os.cpu_count()}" for i in range(1, workers + 1))
    argv = ["stdbuf", "-oL", "dpdk-testpmd", f"--lcores={lcores}", "--main-lcore=0", "--no-pci",
            f"--file-prefix={new_prefix('testpmd')}", "--no-telemetry", *ctx.mem.eal(),
            "--log-level=lib.eal:debug",
            f"--vdev={pcap_vdev(0, t.pcaps[('ip6', size)], workers, True)}", "--vdev=net_null0,no-rx=1",
            "--", "--forward-mode=io", "--stats-period=1", f"--nb-cores={workers}", f"--rxq={workers}",
            f"--txq={workers}", "--total-num-mbufs=32768"]
    p = Proc(argv, wdir / "testpmd.log")
    try:
        wait_until(lambda: alive(p, "testpmd") and "Tx-pps" in p.text(), 60, "testpmd to forward")
        warm = math.ceil(a.warmup)
        total = warm + a.reps * int(a.window) + 1
        wait_until(lambda: alive(p, "testpmd") and len(testpmd_pps(p.text(), 1)) >= 1 + warm, warm + 30,
                   "testpmd warm-up")
        c0 = cpu_snapshot(p.pid)
        wait_until(lambda: alive(p, "testpmd") and len(testpmd_pps(p.text(), 1)) >= total + 1, total + 30,
                   "testpmd statistics")
        c1 = cpu_snapshot(p.pid)
    finally:
        p.stop()
    text = p.text()
    m = re.search(r"TSC frequency is ~(\d+) KHz", text)
    if m and not ctx.tsc_hz:
        ctx.tsc_hz, ctx.tsc_source = int(m.group(1)) * 1000.0, "EAL log (testpmd)"
    pps = testpmd_pps(text, 1)[1 + warm:]  # the first block shows 0 (nothing "since last show")
    w = int(a.window)
    rates = [statistics.mean(pps[i * w:(i + 1) * w]) for i in range(a.reps)]
    r = Result("io-ceiling", "any", "-", size, "testpmd", workers, rates)
    r.cpu = cpu_share(c0, c1)
    return r


def testpmd_pps(text: str, port: int) -> list[float]:
    return [float(m.group(2)) for m in re.finditer(r"NIC statistics for port (\d+)\s.*?Tx-pps:\s+(\d+)", text, re.S)
            if int(m.group(1)) == port]


# --- l3fwd -------------------------------------------------------------------------------------

L3FWD_STATS = r'''
/* umibench: port counters for the harness (the example prints none). */
#include <pthread.h>
#include <unistd.h>
static void *umibench_stats(void *arg)
{
	(void)arg;
	printf("UMIBENCH tsc_hz %" PRIu64 "\n", rte_get_tsc_hz());
	fflush(stdout);
	while (!force_quit) {
		uint16_t p;
		uint64_t now = rte_get_tsc_cycles();
		RTE_ETH_FOREACH_DEV(p) {
			struct rte_eth_stats st;
			if (rte_eth_stats_get(p, &st) == 0)
				printf("UMIBENCH stats %" PRIu64 " %u %" PRIu64 " %" PRIu64 "\n",
				       now, p, st.ipackets, st.opackets);
		}
		fflush(stdout);
		usleep(100000);
	}
	return NULL;
}
static void umibench_start_stats(void)
{
	pthread_t t;
	cpu_set_t cs;
	const char *c = getenv("UMIBENCH_STATS_CPU");
	CPU_ZERO(&cs);
	CPU_SET(c ? atoi(c) : 0, &cs);
	if (pthread_create(&t, NULL, umibench_stats, NULL) == 0) {
		pthread_setaffinity_np(t, sizeof(cs), &cs);
		pthread_detach(t);
	}
}

int
main(int argc, char **argv)
'''


def build_l3fwd(ctx: Ctx) -> None:
    """Copy the example to a temp dir, patch it (never in the repository), build it."""
    if ctx.args.no_l3fwd:
        ctx.l3fwd_note = "l3fwd skipped (--no-l3fwd)"
        return
    if not (L3FWD_SRC / "main.c").exists():
        ctx.l3fwd_note = f"l3fwd skipped: {L3FWD_SRC} not found (install dpdk-doc)"
        return
    d = ctx.work / "l3fwd-src"
    ex = d / "examples"
    shutil.copytree(L3FWD_SRC, ex / "l3fwd")
    if EXAMPLES_COMMON.exists():
        shutil.copytree(EXAMPLES_COMMON, ex / "common")
    main_c = ex / "l3fwd" / "main.c"
    src = main_c.read_text()
    edits = [
        # Request only the RX checksum offloads the device has (vdevs have none).
        ("\t\tret = rte_eth_dev_configure(portid, nb_rx_queue,",
         "\t\tlocal_port_conf.rxmode.offloads &= dev_info.rx_offload_capa;\n"
         "\t\tret = rte_eth_dev_configure(portid, nb_rx_queue,"),
        ("rxq_conf.offloads = port_conf.rxmode.offloads;",
         "rxq_conf.offloads = port_conf.rxmode.offloads & dev_info.rx_offload_capa;"),
        ("\nint\nmain(int argc, char **argv)\n", L3FWD_STATS),
        ("\trte_eal_mp_remote_launch(l3fwd_lkp.main_loop, NULL, CALL_MAIN);",
         "\tumibench_start_stats();\n\trte_eal_mp_remote_launch(l3fwd_lkp.main_loop, NULL, CALL_MAIN);"),
    ]
    for old, new in edits:
        if src.count(old) != 1:
            ctx.l3fwd_note = f"l3fwd skipped: could not patch main.c (no unique '{old.strip()[:50]}')"
            return
        src = src.replace(old, new)
    main_c.write_text(src)
    cp = subprocess.run(["make", "-C", str(ex / "l3fwd"), "-j2"], capture_output=True, text=True,
                        env={**os.environ, "CFLAGS": "-D_GNU_SOURCE"})
    binary = ex / "l3fwd" / "build" / "l3fwd"
    (ctx.work / "l3fwd-build.log").write_text(cp.stdout + cp.stderr)
    if cp.returncode != 0 or not binary.exists():
        tail = "\n".join((cp.stdout + cp.stderr).splitlines()[-8:])
        ctx.l3fwd_note = f"l3fwd skipped: the example did not build:\n{tail}"
        return
    ctx.l3fwd = binary


def run_l3fwd(ctx: Ctx, family: str, size: str, workers: int) -> Result:
    a = ctx.args
    t = ctx.traffic
    assert t is not None and ctx.l3fwd is not None
    name = f"l3fwd-{family}-{size}-w{workers}"
    wdir = ctx.work / name
    wdir.mkdir(parents=True, exist_ok=True)
    ncpu = os.cpu_count() or 1
    lcores = ",".join(f"{i}@{i % ncpu}" for i in range(1, workers + 1))
    config = ",".join(f"(0,{q},{q + 1})" for q in range(workers))
    argv = [str(ctx.l3fwd), f"--lcores={lcores}", "--no-pci", f"--file-prefix={new_prefix('l3fwd')}",
            "--no-telemetry", *ctx.mem.eal(),
            f"--vdev={pcap_vdev(0, t.pcaps[(family, size)], workers, True)}", "--vdev=net_null0,no-rx=1",
            "--", "-p", "0x3", f"--config={config}", "--parse-ptype", "--lookup=lpm",
            f"--rule_ipv4={t.l3fwd_rules['ip4']}", f"--rule_ipv6={t.l3fwd_rules['ip6']}",
            f"--eth-dest=1,{GW_MAC}"]
    p = Proc(argv, wdir / "l3fwd.log", env={"UMIBENCH_STATS_CPU": "0"})

    def read() -> tuple[float, int]:
        if not p.alive():
            raise BenchError("l3fwd exited\n" + p.tail())
        s = re.findall(r"UMIBENCH stats (\d+) 1 (\d+) (\d+)", p.text())
        if not s:
            raise BenchError("l3fwd printed no counters\n" + p.tail())
        tsc, _, opk = s[-1]
        return int(tsc) / hz, int(opk)

    try:
        m = wait_until(lambda: alive(p, "l3fwd") and re.search(r"UMIBENCH tsc_hz (\d+)", p.text()), 60,
                       "l3fwd to start")
        hz = float(m.group(1))
        if not ctx.tsc_hz:
            ctx.tsc_hz, ctx.tsc_source = hz, "rte_get_tsc_hz() (l3fwd)"
        wait_until(lambda: "UMIBENCH stats" in p.text(), 30, "l3fwd counters")
        time.sleep(a.warmup)
        c0 = cpu_snapshot(p.pid)
        rates = measure_windows(read, 0, a.window, a.reps)
        c1 = cpu_snapshot(p.pid)
    finally:
        p.stop()
    r = Result(f"{family}-16", family, "16", size, "l3fwd", workers, rates)
    r.cpu = cpu_share(c0, c1, None)
    return r


# --- instruction counts ------------------------------------------------------------------------
#
# Rates on a shared VM move by 20-30 % between windows; instruction counts do not. Each program
# forwards the 64 B pcap under valgrind's callgrind with instrumentation off until it is
# forwarding, then on for a window, then dumped: instructions executed by the whole process in
# the window (drivers, ethdev, mempool and the program's own code) over the packets the source
# delivered. net_pcap's infinite_rx fills every burst it is asked for, and both programs ask
# for 32, so packets = 32 x calls of its RX function (the pcap library's busiest function).

CALLGRIND = ["valgrind", "--tool=callgrind", "--instr-atstart=no"]
# Where the I/O path runs, not counted as a program's own: the vdev drivers, ethdev, mbufs,
# mempools and rings, EAL, and the dynamic loader's TLS lookups they make.
IO_OBJECTS = r"librte_(net_pcap|net_null|ethdev|mbuf|mempool|ring|eal)|ld-linux|tls_get_addr"


def callgrind_window(pid: int, out: Path, seconds: float) -> dict:
    """Instrumentation on for `seconds`, then dump; returns instructions, packets, per packet
    and the program's own share (everything outside IO_OBJECTS)."""
    for cmd in (["-i", "on"], None, ["-d"], ["-i", "off"]):
        if cmd is None:
            time.sleep(seconds)
            continue
        r = subprocess.run(["callgrind_control", *cmd, str(pid)], capture_output=True, text=True)
        if r.returncode != 0 or "not detected" in r.stdout + r.stderr:
            raise BenchError(f"callgrind_control {' '.join(cmd)} failed: {r.stdout}{r.stderr}")
    dump = Path(f"{out}.1")
    wait_until(lambda: dump.exists() and dump.stat().st_size > 0, 60, "the callgrind dump")
    time.sleep(0.5)
    txt = subprocess.run(["callgrind_annotate", "--tree=caller", str(dump)], capture_output=True,
                         text=True, check=True).stdout
    total = int(re.search(r"([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS", txt).group(1).replace(",", ""))
    # --tree=caller: each function's callers ("< caller (Nx)"), then the function ("* ...").
    best = (0, 0)  # (inclusive Ir, calls) of the busiest net_pcap function
    callers = 0
    for line in txt.splitlines():
        m = re.match(r"\s*[\d,]+ \([\d.]+%\)\s+<.*\(([\d,]+)x\)", line)
        if m:
            callers += int(m.group(1).replace(",", ""))
            continue
        m = re.match(r"\s*([\d,]+) \([\d.]+%\)\s+\*\s+.*librte_net_pcap", line)
        if m and int(m.group(1).replace(",", "")) > best[0]:
            best = (int(m.group(1).replace(",", "")), callers)
        if not line.strip() or "*" in line:
            callers = 0
    packets = 32 * best[1]
    if packets == 0:
        raise BenchError(f"no net_pcap RX calls in {dump}")
    flat = subprocess.run(["callgrind_annotate", str(dump)], capture_output=True, text=True,
                          check=True).stdout
    foreign = 0
    for line in flat.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)", line)
        if m and "PROGRAM TOTALS" not in line and re.search(IO_OBJECTS, m.group(2)):
            foreign += int(m.group(1).replace(",", ""))
    return {"instructions": total, "packets": packets, "per_packet": total / packets,
            "own_per_packet": (total - foreign) / packets}


def run_instructions(ctx: Ctx, family: str) -> dict:
    """Instructions per forwarded 64 B packet, umigamed and l3fwd, 16 routes."""
    t = ctx.traffic
    assert t is not None
    seconds = 4.0 if ctx.args.quick else 8.0
    pcap = t.pcaps[(family, "64")]
    res: dict[str, Any] = {"scenario": f"{family}-16", "size": "64"}
    wdir = ctx.work / f"instr-umigamed-{family}"
    d = Daemon(ctx, wdir.name, 1, pcap_vdev(0, pcap, 1, True), "net_null0,no-rx=1", 1,
               prefix=[*CALLGRIND, f"--callgrind-out-file={wdir / 'callgrind.out'}"], huge=False,
               ready_timeout=300)
    try:
        d.configure(family, t.routes[(family, "16")])
        d.forwarding(True)
        wait_until(lambda: d.egress(d.counters()[1]) > 10_000, 300, "umigamed forwarding under valgrind",
                   interval=0.5)
        res["umigamed"] = callgrind_window(d.proc.pid, wdir / "callgrind.out", seconds)
    finally:
        d.stop()
    if ctx.l3fwd is not None:
        ldir = ctx.work / f"instr-l3fwd-{family}"
        ldir.mkdir(parents=True, exist_ok=True)
        argv = [*CALLGRIND, f"--callgrind-out-file={ldir / 'callgrind.out'}", str(ctx.l3fwd),
                "--lcores=1@1", "--no-pci", f"--file-prefix={new_prefix('l3fwd')}", "--no-telemetry",
                "--no-huge", "--no-shconf", "-m", "512",
                f"--vdev={pcap_vdev(0, pcap, 1, True)}", "--vdev=net_null0,no-rx=1",
                "--", "-p", "0x3", "--config=(0,0,1)", "--parse-ptype", "--lookup=lpm",
                f"--rule_ipv4={t.l3fwd_rules['ip4']}", f"--rule_ipv6={t.l3fwd_rules['ip6']}",
                f"--eth-dest=1,{GW_MAC}"]
        p = Proc(argv, ldir / "l3fwd.log", env={"UMIBENCH_STATS_CPU": "0"})
        try:
            def forwarding() -> bool:
                if not p.alive():
                    raise BenchError("l3fwd exited under valgrind\n" + p.tail())
                s = re.findall(r"UMIBENCH stats \d+ 1 \d+ (\d+)", p.text())
                return bool(s) and int(s[-1]) > 10_000
            wait_until(forwarding, 300, "l3fwd forwarding under valgrind", interval=0.5)
            res["l3fwd"] = callgrind_window(p.pid, ldir / "callgrind.out", seconds)
        finally:
            p.stop()
        res["ratio"] = res["l3fwd"]["per_packet"] / res["umigamed"]["per_packet"]
    return res


# --- correctness capture -----------------------------------------------------------------------


def capture_check(ctx: Ctx, family: str, table: str, workers: int) -> dict:
    """One short run with both ports written to pcaps, then the check."""
    with off_cpu0(workers):
        return _capture_check(ctx, family, table, workers)


def _capture_check(ctx: Ctx, family: str, table: str, workers: int) -> dict:
    t = ctx.traffic
    assert t is not None
    name = f"capture-{family}-{table}-w{workers}"
    wdir = ctx.shm / name
    wdir.mkdir(parents=True, exist_ok=True)
    inp = t.pcaps[(family, "imix")] if (family, "imix") in t.pcaps else t.pcaps[(family, ctx.args.sizes[0])]
    # One TX queue (and so one file) per worker on each port.
    c0 = [wdir / f"de0-out-{q}.pcap" for q in range(workers)]
    c1 = [wdir / f"de1-out-{q}.pcap" for q in range(workers)]
    d = Daemon(ctx, name, workers, pcap_vdev(0, inp, workers, True, c0), pcap_vdev(1, None, 1, False, c1), workers)
    try:
        d.configure(family, t.routes[(family, table)])
        egress_mac = d.interfaces()["de1"]["ether"]
        d.forwarding(True)
        time.sleep(0.05)
        d.forwarding(False)
        time.sleep(0.05)
    finally:
        d.stop()
    try:
        res = check_capture(inp, c1, c0, egress_mac, f"{family}-{table} (workers {workers})")
    finally:
        for f in c0 + c1:
            f.unlink(missing_ok=True)
    return res


def guard_selftest(ctx: Ctx) -> dict:
    """Negative control: testpmd in io mode forwards without rewriting anything, fast. Its
    output must be rejected by the same check, or the guard is worthless."""
    t = ctx.traffic
    assert t is not None
    wdir = ctx.shm / "guard-selftest"
    wdir.mkdir(parents=True, exist_ok=True)
    inp = t.pcaps[("ip6", "imix")]
    c0, c1 = wdir / "p0.pcap", wdir / "p1.pcap"
    argv = ["dpdk-testpmd", "--lcores=0@0,1@1", "--main-lcore=0", "--no-pci",
            f"--file-prefix={new_prefix('guard')}", "--no-telemetry", *ctx.mem.eal(),
            f"--vdev={pcap_vdev(0, inp, 1, False, [c0])}", f"--vdev={pcap_vdev(1, None, 1, False, [c1])}",
            "--", "--forward-mode=io", "--stats-period=1", "--total-num-mbufs=16384", "--no-flush-rx"]
    p = Proc(argv, wdir / "testpmd.log")
    try:
        wait_until(lambda: alive(p, "testpmd") and "Tx-pps" in p.text(), 60, "testpmd to forward")
    finally:
        p.stop()
    try:
        check_capture(inp, [c1], [c0], "02:70:63:61:70:01", "guard self-test (testpmd io)")
    except CorrectnessError as e:
        return {"scenario": "self-test: testpmd io output", "rejected": True,
                "reason": str(e).splitlines()[1].strip()}
    finally:
        for f in (c0, c1):
            f.unlink(missing_ok=True)
    raise BenchError("the correctness guard ACCEPTED testpmd's unmodified io output: the guard is broken")


# --- control-plane scenarios -------------------------------------------------------------------


def one_by_one(d: Daemon, family: str, n: int, seed: int, label: str) -> dict:
    """route_add through the socket, one request at a time (each waits for its reply). The
    prefixes (IPv6 /64s under 2001:db8:e000::/36, IPv4 /32s) are disjoint from the tables."""
    assert d.client is not None
    rng = random.Random(seed)
    if family == "ip6":
        prefixes = [(f"2001:db8:e{rng.getrandbits(12):03x}:{rng.getrandbits(16):x}::", 64) for _ in range(n)]
        gw, fam = GW6, "inet6"
    else:
        prefixes = [(ip4s(rng.randrange(1 << 24, 100 << 24)), 32) for _ in range(n)]
        gw, fam = GW4, "inet"
    prefixes = list(dict.fromkeys(prefixes))
    ok = err = 0
    first_err = ""
    t0 = time.monotonic()
    for dest, plen in prefixes:
        try:
            d.call("route_add", {"family": fam, "dest": dest, "prefixlen": plen, "gateway": gw})
            ok += 1
        except ControlError as e:
            err += 1
            first_err = first_err or str(e)
    dt = time.monotonic() - t0
    return {"test": f"route_add one by one ({family}, {label})", "routes": ok, "errors": err, "seconds": dt,
            "routes_per_s": ok / dt if dt else 0, "first_error": first_err}


class Churn(threading.Thread):
    """~rate route changes/s (adds, then deletes, of /64s under 2001:db8:f000::/36) on a
    connection of its own, pipelined in small batches, paced by the clock."""

    def __init__(self, sock: Path, rate: int):
        super().__init__(daemon=True)
        self.client = Client(sock)
        self.rate = rate
        self.stop_flag = threading.Event()
        self.done = self.errors = 0
        self.t0 = self.t1 = 0.0
        self.exc: BaseException | None = None

    def run(self) -> None:
        try:
            rng = random.Random(SEED + 2)
            pool = list(dict.fromkeys(f"2001:db8:f{rng.getrandbits(12):03x}:{rng.getrandbits(16):x}::"
                                      for _ in range(4096)))
            installed: list[str] = []
            free = list(pool)
            batch = max(1, self.rate // 200)   # every 5 ms
            self.t0 = time.monotonic()
            sent = 0
            while not self.stop_flag.is_set():
                due = int((time.monotonic() - self.t0) * self.rate)
                n = min(batch, due - sent)
                if n <= 0:
                    time.sleep(0.001)
                    continue
                for _ in range(n):
                    if free and (len(installed) < 2000 or not installed or rng.random() < 0.5):
                        p = free.pop(rng.randrange(len(free)))
                        installed.append(p)
                        self.client.send("route_add", {"family": "inet6", "dest": p, "prefixlen": 64,
                                                       "gateway": GW6})
                    else:
                        p = installed.pop(rng.randrange(len(installed)))
                        free.append(p)
                        self.client.send("route_delete", {"family": "inet6", "dest": p, "prefixlen": 64})
                for _ in range(n):
                    m = self.client.reply()
                    if m.get("ok"):
                        self.done += 1
                    else:
                        self.errors += 1
                sent += n
            self.t1 = time.monotonic()
        except BaseException as e:
            self.exc = e
            self.t1 = time.monotonic()
        finally:
            self.client.close()


def run_churn(ctx: Ctx) -> list[Result]:
    a = ctx.args
    t = ctx.traffic
    assert t is not None
    table = "100k" if ("ip6", "100k") in t.routes else "16"
    size = "64" if "64" in a.sizes else a.sizes[0]
    d = Daemon(ctx, f"churn-ip6-{table}", 1, pcap_vdev(0, t.pcaps[("ip6", size)], 1, True), "net_null0,no-rx=1", 1)
    try:
        d.configure("ip6", t.routes[("ip6", table)])
        d.forwarding(True)

        def read() -> tuple[float, int]:
            ts, st = d.counters()
            return ts, d.egress(st)

        time.sleep(a.warmup)
        c0 = cpu_snapshot(d.proc.pid)
        base = measure_windows(read, 0, a.window, a.reps)
        c1 = cpu_snapshot(d.proc.pid)
        churn = Churn(d.sock, a.churn_rate)
        churn.start()
        try:
            time.sleep(0.5)
            c2 = cpu_snapshot(d.proc.pid)
            rates = measure_windows(read, 0, a.window, a.reps)
            c3 = cpu_snapshot(d.proc.pid)
        finally:
            churn.stop_flag.set()
            churn.join(30)
        if churn.exc:
            raise BenchError(f"churn client failed: {churn.exc}")
        achieved = churn.done / max(1e-9, churn.t1 - churn.t0)
        ctx.control.append({"test": "route churn (ip6)", "target_changes_per_s": a.churn_rate,
                            "changes_per_s": achieved, "errors": churn.errors,
                            "fwd_mpps_without": statistics.median(base) / 1e6,
                            "fwd_mpps_with": statistics.median(rates) / 1e6})
        _, st = d.counters()
        note = f"{achieved:,.0f} route changes/s on other prefixes ({churn.errors} errors)"
    finally:
        hwm = d.stop()
    rs = [Result(f"ip6-{table}", "ip6", table, size, "umigamed", 1, base, "churn baseline", hwm),
          Result(f"ip6-{table}+churn", "ip6", table, size, "umigamed", 1, rates, note, hwm)]
    rs[0].cpu, rs[1].cpu = cpu_share(c0, c1), cpu_share(c2, c3)
    return rs


def run_install(ctx: Ctx) -> None:
    """Bulk install rate and memory from route_load of the largest tables, and one-by-one
    route_add through the socket, each on a daemon of its own (no traffic)."""
    t = ctx.traffic
    assert t is not None
    empty = ctx.work / "empty.pcap"
    if not empty.exists():
        empty.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for family in ("ip6", "ip4"):
        tables = [k[1] for k in t.routes if k[0] == family]
        table = max(tables, key=table_size)
        d = Daemon(ctx, f"install-{family}", 1, pcap_vdev(0, empty, 1, False), "net_null0,no-rx=1", 1)
        try:
            d.configure(family, None)
            n1 = ctx.args.one_by_one
            ctx.control.append(one_by_one(d, family, n1, SEED + 1, "empty table"))
            info = d.load(family, t.routes[(family, table)])
            n = info["installed"]
            ctx.control.append({"test": f"route_load bulk ({family}, {table})", "routes": n,
                                "seconds": info["seconds"], "wall_seconds": info["wall"],
                                "routes_per_s": n / info["seconds"] if info["seconds"] else 0,
                                "rss_delta_mb": info["rss_delta"] / 1e6,
                                "mb_per_million": info["rss_delta"] / 1e6 / (n / 1e6) if n else 0})
            ctx.control.append(one_by_one(d, family, max(500, n1 // 10), SEED + 3, f"{table} table"))
        finally:
            d.stop()


def run_profile(ctx: Ctx, family: str, table: str, size: str) -> Path | None:
    """perf (cpu-clock sampling: VMs often lack hardware counters) on the worker's CPU while
    umigamed forwards; the top of `perf report` goes to bench/out/profile-<scenario>.txt."""
    if shutil.which("perf") is None:
        log("perf not found (apt-get install linux-perf): no profile")
        return None
    t = ctx.traffic
    assert t is not None
    d = Daemon(ctx, f"profile-{family}-{table}-{size}", 1, pcap_vdev(0, t.pcaps[(family, size)], 1, True),
               "net_null0,no-rx=1", 1)
    data = ctx.work / f"perf-{family}-{table}.data"
    cpu = 1 % (os.cpu_count() or 1)
    try:
        d.configure(family, t.routes[(family, table)])
        d.forwarding(True)
        time.sleep(ctx.args.warmup)
        cp = subprocess.run(["perf", "record", "-e", "cpu-clock", "-F", "4999", "-C", str(cpu), "-o", str(data),
                             "--", "sleep", str(ctx.args.window)], capture_output=True, text=True)
        if cp.returncode != 0:
            log(f"perf record failed: {cp.stderr.strip()[-300:]}")
            return None
        rep = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--no-children", "--sort", "dso,symbol",
                              "--percent-limit", "0.5"], capture_output=True, text=True)
    finally:
        d.stop()
    out = ctx.out / f"profile-{family}-{table}-{size}.txt"
    lines = [re.sub(r"\s+", " ", l).strip() for l in rep.stdout.splitlines() if l.strip() and not l.startswith("#")]
    lines = [l[:150] for l in lines]
    out.write_text(f"# perf record -e cpu-clock -C {cpu} (worker core), umigamed {family}-{table} {size} B, "
                   f"{ctx.args.window:g} s\n" + "\n".join(lines) + "\n")
    return out


# --- reporting ---------------------------------------------------------------------------------


def fmt_rate(r: Result) -> str:
    if not r.samples:
        return "-"
    lo, hi = min(r.samples) / 1e6, max(r.samples) / 1e6
    return f"{r.median / 1e6:6.2f} [{lo:.2f}-{hi:.2f}]"


def peers(ctx: Ctx, r: Result) -> tuple[Result | None, Result | None]:
    l3 = next((x for x in ctx.results if x.program == "l3fwd" and x.family == r.family and x.size == r.size
               and x.workers == r.workers), None)
    io = next((x for x in ctx.results if x.program == "testpmd" and x.size == r.size and x.workers == r.workers),
              None)
    return l3, io


def rows(ctx: Ctx) -> list[dict]:
    out = []
    for r in ctx.results:
        l3, io = peers(ctx, r)
        med = r.median
        cpp = ctx.tsc_hz * r.workers / med if med and ctx.tsc_hz else float("nan")
        lens = frame_len(r.size)
        avg = sum(lens) / len(lens)
        out.append({
            "scenario": r.scenario, "family": r.family, "routes": r.routes, "size": r.size,
            "program": r.program, "workers": r.workers,
            "mpps_median": round(med / 1e6, 3), "mpps_min": round(min(r.samples) / 1e6, 3),
            "mpps_max": round(max(r.samples) / 1e6, 3), "reps": len(r.samples),
            "gbps": round(med * avg * 8 / 1e9, 2),
            "cycles_per_packet": round(cpp, 1),
            "ratio_l3fwd": round(med / l3.median, 3) if l3 and r.program == "umigamed" else "",
            "share_io": round(med / io.median, 3) if io and r.program != "testpmd" else "",
            "correctness": r.correctness, "rss_peak_mb": round(r.rss_peak / 1e6, 1) if r.rss_peak else "",
            "samples_mpps": " ".join(f"{x / 1e6:.3f}" for x in r.samples),
            "worker_cpu_share": round(r.cpu, 3) if not math.isnan(r.cpu) else "", "note": r.note,
        })
    return out


def report(ctx: Ctx, started: float, cmdline: str) -> str:
    lines = []
    a = ctx.args
    lines.append(f"umigame benchmark — {time.strftime('%Y-%m-%d %H:%M')} — {cmdline}")
    lines.append(f"machine: {os.cpu_count()} CPUs, {cpu_model()}; TSC {ctx.tsc_hz / 1e9:.3f} GHz ({ctx.tsc_source}); "
                 f"memory: {'hugepages' if ctx.mem.huge else '--no-huge (rates roughly halved!)'}")
    lines.append(f"method: warm-up {a.warmup:g} s, {a.reps} consecutive window(s) of {a.window:g} s; "
                 f"Mpps = median [min-max]; source net_pcap infinite_rx, sink net_null")
    if ctx.l3fwd_note:
        lines.append(f"NOTE: {ctx.l3fwd_note}")
    lines.append("")
    hdr = f"{'scenario':<18} {'size':>5} {'program':<9} {'w':>1} {'Mpps median [min-max]':>24} {'cyc/pkt':>8} " \
          f"{'x l3fwd':>8} {'of io':>6} {'cpu':>5}  note"
    lines.append(hdr)
    lines.append("-" * len(hdr))
    for r, row in zip(ctx.results, rows(ctx)):
        x = f"{row['ratio_l3fwd']:.2f}" if row["ratio_l3fwd"] != "" else "-"
        io = f"{100 * row['share_io']:.0f}%" if row["share_io"] != "" else "-"
        c = f"{row['cycles_per_packet']:.0f}" if not math.isnan(row["cycles_per_packet"]) else "-"
        note = ("CORRECTNESS FAILED " if r.correctness.startswith("FAIL") else "") + r.note
        cpu = "-" if math.isnan(r.cpu) else f"{100 * r.cpu:.0f}%" + ("!" if r.cpu < NOISY else "")
        lines.append(f"{r.scenario:<18} {r.size:>5} {r.program:<9} {r.workers:>1} {fmt_rate(r):>24} {c:>8} {x:>8} "
                     f"{io:>6} {cpu:>5}  {note}")
    if any(r.cpu < NOISY for r in ctx.results):
        lines.append(f"cpu = the smallest share of the measurement time that a polling core of the program really "
                     f"ran; '!' = under {100 * NOISY:.0f} %: other processes took the core, that rate is understated")
    lines.append("")
    if ctx.checks:
        lines.append("correctness guard (tx_pcap capture, every forwarded frame compared with the expected rewrite):")
        if ctx.guard_selftest:
            lines.append(f"  self-test: testpmd io output (no rewrite) rejected: {ctx.guard_selftest['reason']}")
        for c in ctx.checks:
            status = "ok" if not c.get("problems") else "FAILED: " + "; ".join(c["problems"][:3])
            lines.append(f"  {c['scenario']:<28} {c.get('forwarded_checked', 0):>8} frames checked, "
                         f"{c.get('scapy_sampled', 0)} dissected by scapy: {status}")
        lines.append("")
    if ctx.control:
        lines.append("control plane:")
        for c in ctx.control:
            if "mb_per_million" in c:
                lines.append(f"  {c['test']:<34} {c['routes']:>9,} routes in {c['seconds']:.3f} s "
                             f"({c['routes_per_s'] / 1e6:.2f} M routes/s; wall {c['wall_seconds']:.2f} s incl. "
                             f"request); RSS +{c['rss_delta_mb']:.1f} MB = {c['mb_per_million']:.1f} MB per million")
            elif "changes_per_s" in c:
                lines.append(f"  {c['test']:<34} {c['changes_per_s']:,.0f} changes/s (asked {c['target_changes_per_s']:,}); "
                             f"forwarding {c['fwd_mpps_with']:.2f} Mpps vs {c['fwd_mpps_without']:.2f} without "
                             f"({c['fwd_mpps_with'] / c['fwd_mpps_without']:.2f}x)")
            else:
                lines.append(f"  {c['test']:<34} {c['routes']:>9,} routes in {c['seconds']:.2f} s "
                             f"({c['routes_per_s']:,.0f} routes/s, {c['errors']} errors)")
        lines.append("")
    lines.append(f"peak daemon RSS (VmHWM over all runs): {ctx.peak_rss / 1e6:.1f} MB")
    if ctx.instructions:
        lines.append("\ninstructions per forwarded packet (callgrind; whole process: drivers included; "
                     "'own' leaves out the I/O path: drivers, ethdev, mbuf, mempool, ring, EAL):")
        for r in ctx.instructions:
            u = r["umigamed"]
            line = (f"  {r['scenario']:<8} {r['size']} B  umigamed {u['per_packet']:6.1f} (own {u['own_per_packet']:5.1f})")
            if "l3fwd" in r:
                l3 = r["l3fwd"]
                line += (f"  l3fwd {l3['per_packet']:6.1f} (own {l3['own_per_packet']:5.1f})"
                         f"  -> {r['ratio']:.2f}x l3fwd by instructions")
            lines.append(line)
    for p in ctx.profiles:
        top = [l.strip() for l in p.read_text().splitlines()[1:9]]
        lines.append(f"\nprofile ({p.name}, top symbols on the worker core):")
        lines += [f"  {l}" for l in top]
    lines += targets(ctx)
    if ctx.failures:
        lines.append("")
        lines.append("FAILURES:")
        lines += [f"  {f}" for f in ctx.failures]
    lines.append(f"\ntook {time.monotonic() - started:.0f} s")
    return "\n".join(lines)


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "?"


def targets(ctx: Ctx) -> list[str]:
    def get(prog: str, fam: str, routes: str, size: str = "64", w: int = 1) -> Result | None:
        return next((r for r in ctx.results if r.program == prog and r.family == fam and r.routes == routes
                     and r.size == size and r.workers == w and not r.scenario.endswith("churn")
                     and r.note != "churn baseline"), None)

    out = ["", "targets (issue 5):"]

    def line(name: str, val: float | None, want: float, unit: str = "x", le: bool = False) -> None:
        if val is None:
            out.append(f"  {name:<52} not measured")
            return
        ok = val <= want if le else val >= want
        v = f"{val:7.3f}" if unit == "x" else f"{val:7.2f}"
        out.append(f"  {name:<52} {v}{unit}  (target {'<=' if le else '>='} {want:g}{unit})  "
                   f"{'met' if ok else 'MISSED'}")

    for fam, label in (("ip6", "IPv6"), ("ip4", "IPv4")):
        u, l3 = get("umigamed", fam, "16"), get("l3fwd", fam, "16")
        line(f"{label} 64 B, 16 routes, vs l3fwd", u.median / l3.median if u and l3 else None, 1.0)
    u16, u1m = get("umigamed", "ip6", "16"), get("umigamed", "ip6", "1M")
    line("IPv6 64 B, 1M routes vs 16 routes", u1m.median / u16.median if u16 and u1m else None, 0.8)
    ncpu = os.cpu_count() or 1
    for fam, label in (("ip6", "IPv6"), ("ip4", "IPv4")):
        w1, wn = get("umigamed", fam, "16"), get("umigamed", fam, "16", w=ncpu) if ncpu > 1 else None
        line(f"{label} 64 B, {ncpu} workers vs 1 (worker {ncpu} shares CPU 0)",
             wn.median / w1.median if w1 and wn else None, 1.8)
    bulk = next((c for c in ctx.control if c["test"].startswith("route_load bulk (ip6")), None)
    line("bulk install (route_load), IPv6", bulk["routes_per_s"] / 1e6 if bulk else None, 0.5, " M/s")
    line("memory per million IPv6 routes (RSS delta)", bulk["mb_per_million"] if bulk else None, 100, " MB", le=True)
    return out


def chart(ctx: Ctx, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = [r for r in ctx.results if r.samples]
    fig, axes = plt.subplots(2, 1, figsize=(13, 9))
    # (a) 64 B (or the first size): every scenario, every program.
    size0 = "64" if any(r.size == "64" for r in res) else (res[0].size if res else "64")
    sel = [r for r in res if r.size == size0]
    labels = [f"{r.scenario}\n{r.program} w{r.workers}" for r in sel]
    colors = {"testpmd": "#999999", "l3fwd": "#4c72b0", "umigamed": "#dd8452"}
    ax = axes[0]
    for i, r in enumerate(sel):
        lo, hi = min(r.samples) / 1e6, max(r.samples) / 1e6
        ax.bar(i, r.median / 1e6, color=colors.get(r.program, "#55a868"),
               yerr=[[r.median / 1e6 - lo], [hi - r.median / 1e6]], capsize=3)
        ax.text(i, r.median / 1e6, f"{r.median / 1e6:.1f}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(sel)), labels, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("Mpps")
    ax.set_title(f"{size0} B frames: median, min-max bars (testpmd io = I/O ceiling)")
    # (b) umigame per size and table, one worker, with l3fwd.
    ax = axes[1]
    sizes = [s for s in SIZES if any(r.size == s for r in res)]
    order = ["l3fwd ip6-16", "umigamed ip6-16", "umigamed ip6-100k", "umigamed ip6-1M", "l3fwd ip4-16",
             "umigamed ip4-16", "umigamed ip4-1M"]
    series = sorted({(r.program, r.scenario) for r in res if r.workers == 1 and r.program != "testpmd"
                     and "churn" not in r.scenario and r.note != "churn baseline"},
                    key=lambda ps: order.index(f"{ps[0]} {ps[1]}") if f"{ps[0]} {ps[1]}" in order else 99)
    width = 0.8 / max(1, len(series))
    for k, (prog, scen) in enumerate(series):
        ys = []
        for s in sizes:
            r = next((x for x in res if x.program == prog and x.scenario == scen and x.size == s and x.workers == 1
                      and x.note != "churn baseline"), None)
            ys.append(r.median / 1e6 if r else 0)
        ax.bar([i + k * width for i in range(len(sizes))], ys, width, label=f"{prog} {scen}")
    io = [next((x.median / 1e6 for x in res if x.program == "testpmd" and x.size == s and x.workers == 1), 0)
          for s in sizes]
    ax.plot([i + 0.4 - width / 2 for i in range(len(sizes))], io, "k_", markersize=30, label="testpmd io ceiling")
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(sizes))], [f"{s} B" if s != "imix" else "IMIX" for s in sizes])
    ax.set_ylabel("Mpps (1 worker)")
    ax.legend(fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.08))
    ax.set_title("by frame size, one worker core")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- main --------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smoke run: 64 B only, one repetition, short windows")
    ap.add_argument("--build-dir", default=os.environ.get("UMIGAME_BENCH_BUILD", "build-release"))
    ap.add_argument("--out", default=str(REPO / "bench" / "out"))
    ap.add_argument("--only", default="", help="comma list of scenarios: ip6-16,ip6-100k,ip6-1M,ip4-16,ip4-1M,"
                                              "multi,churn,install (default: all)")
    ap.add_argument("--sizes", default=None, help=f"comma list from {','.join(SIZES)}")
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--window", type=float, default=None, help="seconds per measurement window")
    ap.add_argument("--warmup", type=float, default=None)
    ap.add_argument("--workers-max", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--churn-rate", type=int, default=10_000)
    ap.add_argument("--one-by-one", type=int, default=None, help="routes added one request at a time")
    ap.add_argument("--no-l3fwd", action="store_true")
    ap.add_argument("--profile", action="store_true", help="also profile the worker core with perf "
                    "(ip6-16 and ip4-16, 64 B) into bench/out/profile-*.txt")
    ap.add_argument("--instructions", action="store_true",
                    help="also count instructions per packet under callgrind (umigamed and l3fwd, "
                         "ip6-16 and ip4-16, 64 B): a figure the machine's noise does not move")
    ap.add_argument("--keep-work", action="store_true", help="keep the temp dir (logs, pcaps, route files)")
    a = ap.parse_args()
    a.sizes = (a.sizes.split(",") if a.sizes else (["64"] if a.quick else SIZES))
    for s in a.sizes:
        if s not in SIZES:
            ap.error(f"unknown size {s}")
    a.reps = a.reps or (1 if a.quick else 3)
    a.window = a.window or (2.0 if a.quick else 3.0)
    a.warmup = a.warmup if a.warmup is not None else (1.0 if a.quick else 2.0)
    a.one_by_one = a.one_by_one or (5_000 if a.quick else 20_000)
    a.only = set(filter(None, a.only.split(",")))
    return a


def want(a: argparse.Namespace, what: str) -> bool:
    return not a.only or what in a.only


def main() -> int:
    a = parse_args()
    if os.geteuid() != 0:
        print("harness.py must run as root (DPDK, hugepages); use bench/run.sh", file=sys.stderr)
        return 2
    build = Path(a.build_dir)
    build = build if build.is_absolute() else REPO / build
    umigamed = build / "tools" / "umigamed" / "umigamed"
    if not umigamed.exists():
        print(f"{umigamed} not built (bench/run.sh builds it)", file=sys.stderr)
        return 2
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"umibench-{os.getpid()}-", dir="/tmp"))
    if not a.keep_work:
        RES.add(f"remove {work}", lambda: shutil.rmtree(work, ignore_errors=True))
    # Captures go to tmpfs: no disk writeback of hundreds of MB during later measurements.
    shm = Path(tempfile.mkdtemp(prefix=f"umibench-{os.getpid()}-", dir="/dev/shm" if Path("/dev/shm").is_dir()
                                else "/tmp"))
    RES.add(f"remove {shm}", lambda: shutil.rmtree(shm, ignore_errors=True))
    # The harness itself (pcap generation, checks, the churn client) stays on CPU 0, away from
    # the forwarding core(s); the DPDK programs set their own lcore affinity.
    if (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {0})
    free = hugepages_free()
    mem = Mem(huge=free >= 300)
    ctx = Ctx(a, work, shm, out, umigamed, mem)
    started = time.monotonic()
    cmdline = "bench/run.sh " + " ".join(sys.argv[1:])
    log(f"work dir {work}; {'hugepages: ' + str(free) + ' free' if mem.huge else 'NO hugepages: --no-huge'}")

    tables6 = [t for t in ("16", "100k", "1M") if want(a, f"ip6-{t}") or (t == "100k" and want(a, "churn"))
               or (t == "16" and want(a, "multi"))]
    tables4 = [t for t in ("16", "1M") if want(a, f"ip4-{t}") or (t == "16" and want(a, "multi"))]
    if want(a, "install"):
        tables6 = sorted(set(tables6) | {"1M"}, key=table_size)
        tables4 = sorted(set(tables4) | {"1M"}, key=table_size)
    sizes_needed = sorted(set(a.sizes) | {"imix"}, key=SIZES.index)
    log(f"generating pcaps ({', '.join(sizes_needed)}) and route tables (ip6 {tables6}, ip4 {tables4})")
    ctx.traffic = make_traffic(work, sizes_needed, tables6, tables4)
    log("building l3fwd from the DPDK examples (patched copy in the work dir)")
    build_l3fwd(ctx)
    if ctx.l3fwd_note:
        log(ctx.l3fwd_note)

    def attempt(what: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except CorrectnessError:
            raise
        except BenchError as e:
            ctx.failures.append(f"{what}: {str(e).splitlines()[0]}")
            log(f"FAILED {what}: {e}")
            return None

    # Correctness first: a scenario whose output is wrong does not score. The guard itself is
    # tested first on output that must fail (testpmd io: no rewrite at all).
    log("correctness guard self-test (testpmd io output must be rejected)")
    st = attempt("guard self-test", lambda: guard_selftest(ctx))
    if st:
        ctx.guard_selftest = st
        log(f"  rejected as it should be: {st['reason']}")
    bad: set[tuple[str, str, int]] = set()
    plan = [(f, t, 1) for f, ts in (("ip6", tables6), ("ip4", tables4)) for t in ts
            if want(a, f"{f}-{t}") or (t == "100k" and want(a, "churn"))]
    if want(a, "multi") and a.workers_max > 1:
        plan += [("ip6", "16", a.workers_max), ("ip4", "16", a.workers_max)]
    for fam, table, w in plan:
        log(f"correctness capture {fam}-{table} workers={w}")
        try:
            ctx.checks.append(capture_check(ctx, fam, table, w))
        except CorrectnessError as e:
            print("\n" + "!" * 78 + f"\n{e}\n" + "!" * 78 + "\n", flush=True)
            ctx.checks.append({"scenario": f"{fam}-{table} (workers {w})", "problems": [str(e).splitlines()[-1]]})
            ctx.failures.append(str(e).splitlines()[0])
            bad.add((fam, table, w))
        except BenchError as e:
            ctx.failures.append(f"capture {fam}-{table}: {str(e).splitlines()[0]}")
            log(f"FAILED capture {fam}-{table}: {e}")
            bad.add((fam, table, w))

    def add(r: Result | None, fam: str = "", table: str = "") -> None:
        if r is None:
            return
        if (fam, table, r.workers) in bad:
            r.correctness = "FAILED"
            r.note = "not scored: wrong output " + r.note
        elif r.program == "umigamed":
            r.correctness = "ok"
        ctx.results.append(r)
        log(f"  {r.program:<9} {r.scenario:<14} {r.size:>5} B w{r.workers}: {fmt_rate(r)} Mpps {r.note}")

    # Per frame size, every program back to back, so that a noisy spell on this shared
    # machine hits the runs compared with each other alike.
    for size in a.sizes:
        log(f"testpmd io ceiling, {size} B")
        add(attempt(f"testpmd {size}", lambda: run_testpmd(ctx, size, 1)))
        for fam, tables in (("ip6", tables6), ("ip4", tables4)):
            if ctx.l3fwd and any(want(a, f"{fam}-{t}") for t in tables):
                log(f"l3fwd {fam} {size} B")
                add(attempt(f"l3fwd {fam} {size}", lambda: run_l3fwd(ctx, fam, size, 1)))
            for table in tables:
                if not want(a, f"{fam}-{table}"):
                    continue
                log(f"umigamed {fam}-{table} {size} B")
                add(attempt(f"umigamed {fam}-{table} {size}", lambda: run_umigamed(ctx, fam, table, size, 1)),
                    fam, table)
    if want(a, "multi") and a.workers_max > 1:
        w = a.workers_max
        size = "64" if "64" in a.sizes else a.sizes[0]
        log(f"{w} workers, {size} B")
        add(attempt(f"testpmd {size} w{w}", lambda: run_testpmd(ctx, size, w)))
        for fam in ("ip6", "ip4"):
            if ctx.l3fwd:
                add(attempt(f"l3fwd {fam} w{w}", lambda: run_l3fwd(ctx, fam, size, w)))
            add(attempt(f"umigamed {fam}-16 w{w}", lambda: run_umigamed(ctx, fam, "16", size, w)), fam, "16")
    if want(a, "churn"):
        log("route churn")
        for r in attempt("churn", lambda: run_churn(ctx)) or []:
            add(r, "ip6", r.routes)
    if want(a, "install"):
        log("route install rate and memory")
        attempt("install", lambda: run_install(ctx))

    if a.profile:
        for fam in ("ip6", "ip4"):
            if (fam, "16") in ctx.traffic.routes:
                size = "64" if "64" in a.sizes else a.sizes[0]
                log(f"profiling umigamed {fam}-16 {size} B with perf")
                p = attempt(f"profile {fam}", lambda: run_profile(ctx, fam, "16", size))
                if p:
                    ctx.profiles.append(p)

    if a.instructions:
        for fam in ("ip6", "ip4"):
            if (fam, "16") in ctx.traffic.routes and (fam, "64") in ctx.traffic.pcaps:
                log(f"instructions per packet under callgrind, {fam}-16 64 B")
                r = attempt(f"instructions {fam}", lambda: run_instructions(ctx, fam))
                if r:
                    ctx.instructions.append(r)

    text = report(ctx, started, cmdline)
    print("\n" + text)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / "report.txt").write_text(text + "\n")
    with open(out / "results.csv", "w", newline="") as f:
        rs = rows(ctx)
        if rs:
            w = csv.DictWriter(f, fieldnames=list(rs[0].keys()))
            w.writeheader()
            w.writerows(rs)
    with open(out / "control.csv", "w", newline="") as f:
        keys = sorted({k for c in ctx.control for k in c})
        if keys:
            w = csv.DictWriter(f, fieldnames=keys)
            w.writeheader()
            w.writerows(ctx.control)
    (out / "results.json").write_text(json.dumps({
        "command": cmdline, "time": stamp, "tsc_hz": ctx.tsc_hz, "tsc_source": ctx.tsc_source,
        "hugepages": mem.huge, "rows": rows(ctx), "control": ctx.control, "checks": ctx.checks, "guard_selftest": ctx.guard_selftest,
        "peak_rss_bytes": ctx.peak_rss, "failures": ctx.failures, "l3fwd_note": ctx.l3fwd_note,
        "instructions": ctx.instructions}, indent=1))
    try:
        chart(ctx, out / "results.png")
    except Exception as e:  # a report without a chart is still a report
        log(f"chart failed: {e}")
    # The latest run stays in bench/out/; every run is also kept in bench/out/runs/<time>/.
    keep = out / "runs" / stamp
    keep.mkdir(parents=True, exist_ok=True)
    for name in ("report.txt", "results.csv", "control.csv", "results.json", "results.png",
                 *(p.name for p in ctx.profiles)):
        if (out / name).exists():
            shutil.copy(out / name, keep / name)
    log(f"wrote {out}/report.txt, results.csv, control.csv, results.json, results.png (kept in {keep})")
    return 1 if ctx.failures else 0


def _on_signal(signum: int, _frame: Any) -> None:
    print(f"\nharness: received {signal.Signals(signum).name}", file=sys.stderr, flush=True)
    raise KeyboardInterrupt(f"signal {signum}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    rc = 130
    try:
        rc = main()
    except KeyboardInterrupt:
        print("\ninterrupted: stopping everything the harness started", file=sys.stderr)
    finally:
        RES.close()
    sys.exit(rc)
