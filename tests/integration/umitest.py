"""umitest: the integration-test harness for umigame.

The Linux kernel in other network namespaces is the independent peer. A test builds its
topology from a `Lab` (one per test, see the `lab` fixture in conftest.py):

    r = lab.router()                                   # a namespace + a config for umigamed
    h1 = lab.host("h1")                                # a namespace with a Linux stack
    r.add_port("de0", h1, "eth0", "2001:db8:1::1/64")  # veth de0 <-> eth0, af_packet vdev
    r.start()                                          # waits until hello is answered
    r.tool("ndp", "-a")                                # CompletedProcess, run in r's namespace
    r.request("interfaces", {"name": "de0"})           # one JSON request over the socket
    h1.run(["ping", "-c1", "2001:db8:1::ff"])

Every namespace (`umit-<pid>-<n>`), veth, process, socket directory and DPDK runtime
directory is registered with the lab's `Resources` the moment it exists and is removed when
the lab closes, in reverse order, whether the test passed, failed or was interrupted.
Nothing here sleeps to synchronise: wait for a condition with `wait_until`.

Rules every test keeps: documentation prefixes only (2001:db8::/32, 192.0.2.0/24,
198.51.100.0/24, 203.0.113.0/24), nothing sent outside the lab's namespaces.
"""

from __future__ import annotations

import atexit
import itertools
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

REPO = Path(__file__).resolve().parents[2]
_build = Path(os.environ.get("UMIGAME_BUILD_DIR", "build"))
BUILD = _build if _build.is_absolute() else REPO / _build
UMIGAMED = BUILD / "tools" / "umigamed" / "umigamed"
KAME_DIR = BUILD / "tools" / "kame"

PROTOCOL_VERSION = 1
READY_LINE = "umigamed: ready"
STARTUP_TIMEOUT = 60.0  # EAL init with --no-huge takes a few seconds on a busy machine
STOP_TIMEOUT = 10.0  # SIGTERM -> exit, before SIGKILL
DPDK_RUNTIME = Path("/var/run/dpdk")

RUN_ID = os.getpid()
_serial = itertools.count(1)


def unique_name() -> str:
    """`umit-<pid>-<n>`: unique per test run, recognisable by test.sh's leak check."""
    return f"umit-{RUN_ID}-{next(_serial)}"


def is_root() -> bool:
    return os.geteuid() == 0


# --- waiting ------------------------------------------------------------------------------------


class WaitTimeout(AssertionError):
    """A condition did not become true in time (an AssertionError, so pytest shows it plainly)."""


def wait_until(
    predicate: Callable[[], Any],
    timeout: float = 10.0,
    what: str | None = None,
    *,
    interval: float = 0.01,
    max_interval: float = 0.2,
) -> Any:
    """Poll `predicate` until it returns something truthy and return that value.

    Raises WaitTimeout naming `what` after `timeout` seconds. The poll interval starts small
    and backs off; this is waiting for a condition, never a sleep standing in for one.
    Exceptions from the predicate propagate (a dead daemon should fail at once).
    """
    what = what or getattr(predicate, "__name__", "a condition")
    deadline = time.monotonic() + timeout
    delay = interval
    while True:
        value = predicate()
        if value:
            return value
        now = time.monotonic()
        if now >= deadline:
            raise WaitTimeout(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(min(delay, deadline - now))
        delay = min(delay * 2, max_interval)


# --- commands -----------------------------------------------------------------------------------


class CommandError(AssertionError):
    def __init__(self, message: str, result: subprocess.CompletedProcess | None = None):
        super().__init__(message)
        self.result = result


def describe(cp: subprocess.CompletedProcess) -> str:
    argv = cp.args if isinstance(cp.args, str) else shlex.join(str(a) for a in cp.args)
    return (
        f"$ {argv}\n-> exit {cp.returncode}\n"
        f"--- stdout ---\n{cp.stdout or ''}--- stderr ---\n{cp.stderr or ''}"
    )


def _argv(cmd: str | Sequence[Any]) -> list[str]:
    return shlex.split(cmd) if isinstance(cmd, str) else [str(c) for c in cmd]


def run(
    cmd: str | Sequence[Any],
    *,
    netns: str | None = None,
    check: bool = True,
    timeout: float = 30.0,
    env: dict[str, str] | None = None,
    input: str | None = None,
) -> subprocess.CompletedProcess:
    """Run a command (optionally inside a namespace) and capture its output as text.

    With check=True a non-zero exit raises CommandError showing the command and its output.
    """
    argv = _argv(cmd)
    if netns:
        argv = ["ip", "netns", "exec", netns, *argv]
    full_env = None if env is None else {**os.environ, **env}
    try:
        cp = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            env=full_env,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else e.stdout
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else e.stderr
        raise CommandError(
            f"$ {shlex.join(argv)}\n-> still running after {timeout:g} s (killed)\n"
            f"--- stdout ---\n{out or ''}--- stderr ---\n{err or ''}"
        ) from None
    if check and cp.returncode != 0:
        raise CommandError(describe(cp), cp)
    return cp


# --- cleanup ------------------------------------------------------------------------------------


class CleanupError(AssertionError):
    pass


class Resources:
    """A LIFO stack of cleanup actions. close() runs every action even if some fail or the
    test was interrupted, then reports all failures at once."""

    def __init__(self) -> None:
        self._actions: list[tuple[str, Callable[[], Any]]] = []

    def add(self, what: str, action: Callable[[], Any]) -> None:
        self._actions.append((what, action))

    def close(self) -> None:
        errors: list[str] = []
        interrupt: BaseException | None = None
        while self._actions:
            what, action = self._actions.pop()
            try:
                action()
            except Exception as e:  # keep going: the rest must still be removed
                errors.append(f"{what}: {e}")
            except BaseException as e:  # KeyboardInterrupt: finish cleaning, then re-raise
                errors.append(f"{what}: interrupted ({type(e).__name__})")
                interrupt = interrupt or e
        if interrupt is not None:
            raise interrupt
        if errors:
            raise CleanupError("cleanup problems:\n  " + "\n  ".join(errors))


# Logs of daemons started during the current test; conftest.py attaches them to a failure report.
_test_logs: list[tuple[str, Path]] = []


def register_log(title: str, path: Path) -> None:
    _test_logs.append((title, path))


def clear_logs() -> None:
    _test_logs.clear()


def logs_for_report(max_lines: int = 200) -> list[tuple[str, str]]:
    out = []
    for title, path in _test_logs:
        try:
            lines = path.read_text(errors="replace").splitlines()
        except OSError:
            continue
        if not lines:
            continue
        cut = lines[-max_lines:]
        head = f"(last {max_lines} of {len(lines)} lines of {path})\n" if len(lines) > max_lines else f"({path})\n"
        out.append((title, head + "\n".join(cut)))
    return out


# --- namespaces, veths, processes ---------------------------------------------------------------


def list_netns() -> list[str]:
    cp = run(["ip", "netns", "list"], check=False)
    return [line.split()[0] for line in cp.stdout.splitlines() if line.strip()]


def _pid_alive(pid: int) -> bool:
    """True while the process exists and is not a zombie (a dead child nobody reaped yet)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _netns_pids(name: str) -> list[int]:
    cp = run(["ip", "netns", "pids", name], check=False)
    return [int(p) for p in cp.stdout.split()] if cp.returncode == 0 else []


def _kill_and_wait(pids: Iterable[int], what: str) -> None:
    pids = list(pids)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    wait_until(lambda: not any(_pid_alive(p) for p in pids), 10, f"{what} to die")


class Netns:
    """A network namespace named umit-<pid>-<n>, deleted (with its veths) at cleanup."""

    def __init__(self, res: Resources, name: str | None = None):
        self.name = name or unique_name()
        run(["ip", "netns", "add", self.name])
        res.add(f"delete namespace {self.name}", self.delete)
        self.run(["ip", "link", "set", "lo", "up"])

    def delete(self) -> None:
        if self.name not in list_netns():
            return
        # Anything still running in our namespace was started by this test.
        leftovers = _netns_pids(self.name)
        try:
            if leftovers:
                _kill_and_wait(leftovers, f"processes {leftovers} in {self.name}")
        finally:
            run(["ip", "netns", "del", self.name])

    def run(self, cmd: str | Sequence[Any], **kw: Any) -> subprocess.CompletedProcess:
        return run(cmd, netns=self.name, **kw)

    def sysctl(self, key: str, value: Any) -> None:
        self.run(["sysctl", "-qw", f"{key}={value}"])

    def __repr__(self) -> str:
        return f"Netns({self.name})"


def _ns_of(x: Any) -> Netns:
    return x if isinstance(x, Netns) else x.ns


def make_veth(res: Resources, a: Any, if_a: str, b: Any, if_b: str) -> None:
    """A veth pair created directly in two namespaces (a/b: Netns, LinuxHost or Router)."""
    na, nb = _ns_of(a), _ns_of(b)
    run(["ip", "link", "add", if_a, "netns", na.name, "type", "veth", "peer", "name", if_b, "netns", nb.name])

    def delete() -> None:
        if na.name in list_netns():
            run(["ip", "-n", na.name, "link", "del", if_a], check=False)

    res.add(f"delete veth {na.name}/{if_a} <-> {nb.name}/{if_b}", delete)


class Background:
    """A long-running command (tshark, a scapy sniffer, ...) with its output in a file.

    stop() ends it (SIGTERM, then SIGKILL) and returns its output; cleanup calls stop()."""

    def __init__(self, res: Resources, cmd: str | Sequence[Any], out_path: Path, *, netns: str | None = None,
                 env: dict[str, str] | None = None):
        argv = _argv(cmd)
        if netns:
            argv = ["ip", "netns", "exec", netns, *argv]
        self.argv = argv
        self.out_path = out_path
        self._out = open(out_path, "wb")
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=self._out, stderr=subprocess.STDOUT,
            env=None if env is None else {**os.environ, **env}, start_new_session=True,
        )
        res.add(f"stop {shlex.join(argv)}", self.stop)

    def stop(self, timeout: float = 5.0) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._out.close()
        return self.output()

    def output(self) -> str:
        return self.out_path.read_text(errors="replace")


class LinuxHost:
    """A namespace whose kernel is the peer: addresses, ping, ip neigh, ndisc6, scapy."""

    def __init__(self, lab: "Lab", name: str):
        self.lab = lab
        self.name = name
        self.ns = Netns(lab.res)

    def run(self, cmd: str | Sequence[Any], **kw: Any) -> subprocess.CompletedProcess:
        return self.ns.run(cmd, **kw)

    def spawn(self, cmd: str | Sequence[Any], name: str = "bg", **kw: Any) -> Background:
        return self.lab.spawn(cmd, netns=self.ns, name=f"{self.name}-{name}", **kw)

    def setup_interface(self, ifname: str, addrs: str | Sequence[str] | None = None, *, nodad: bool = True,
                        offloads: bool = False) -> None:
        """Configure one end of a veth: offloads off (DPDK must see finished checksums and
        MTU-sized frames), addresses (`nodad` unless asked), link up."""
        if not offloads:
            self.run(["ethtool", "-K", ifname, "tx", "off", "tso", "off", "gso", "off"])
        for addr in [addrs] if isinstance(addrs, str) else list(addrs or []):
            self.add_address(ifname, addr, nodad=nodad)
        self.run(["ip", "link", "set", ifname, "up"])

    def add_address(self, ifname: str, addr: str, *, nodad: bool = True) -> None:
        family = "-6" if ":" in addr else "-4"
        cmd = ["ip", family, "addr", "add", addr, "dev", ifname]
        if nodad and family == "-6":
            cmd.append("nodad")
        self.run(cmd)

    def addresses(self, ifname: str, family: str = "inet6") -> list[dict]:
        """`ip -j addr` entries for ifname: dicts with local, prefixlen, scope, and flags such as
        tentative/dadfailed set to True."""
        data = json.loads(self.run(["ip", "-j", "addr", "show", "dev", ifname]).stdout or "[]")
        return [a for link in data for a in link.get("addr_info", []) if a.get("family") == family]

    def address(self, ifname: str, addr: str) -> dict | None:
        plain = addr.split("/")[0]
        return next((a for a in self.addresses(ifname) if a.get("local") == plain), None)

    def wait_address_ready(self, ifname: str, addr: str, timeout: float = 10.0) -> dict:
        """Wait until DAD for addr finished; raises if the kernel marked it dadfailed."""

        def settled() -> dict | None:
            a = self.address(ifname, addr)
            if a and a.get("dadfailed"):
                raise AssertionError(f"{self.name}: DAD failed for {addr} on {ifname}: {a}")
            return a if a and not a.get("tentative") else None

        return wait_until(settled, timeout, f"{self.name}: DAD to finish for {addr} on {ifname}")

    def mac(self, ifname: str) -> str:
        data = json.loads(self.run(["ip", "-j", "link", "show", "dev", ifname]).stdout)
        return data[0]["address"]

    def neighbors(self, ifname: str | None = None) -> list[dict]:
        """`ip -j -6 neigh` entries: dst, dev, lladdr, state (a list, e.g. ["REACHABLE"]), router."""
        cmd = ["ip", "-j", "-6", "neigh", "show"] + (["dev", ifname] if ifname else [])
        return json.loads(self.run(cmd).stdout or "[]")

    def ping(self, dst: str, *, count: int = 1, wait: float = 5.0, args: Sequence[str] = (),
             timeout: float | None = None) -> subprocess.CompletedProcess:
        """iputils ping; returns the CompletedProcess (check returncode yourself)."""
        cmd = ["ping", "-n", "-c", str(count), "-W", f"{wait:g}", *args, dst]
        return self.run(cmd, check=False, timeout=timeout or wait * count + 10)

    def link_local(self, ifname: str) -> dict | None:
        """The `ip -j addr` entry of ifname's link-local address, or None."""
        return next((a for a in self.addresses(ifname) if a.get("scope") == "link"), None)

    def wait_link_ready(self, ifname: str, timeout: float = 10.0) -> str:
        """Wait until the kernel has brought ifname fully up for IPv6 and return its link-local
        address (preferred). For up to about a second after `ip link set up` the kernel has
        not yet seen the link as ready: it has no ff00::/8 route on it and drops incoming
        multicast (Ip6InNoRoutes), e.g. a peer's DAD probe or NS for its addresses."""

        def ready() -> str | None:
            a = self.link_local(ifname)
            return a["local"] if a and not a.get("tentative") and not a.get("dadfailed") else None

        return wait_until(ready, timeout, f"{self.name}: a preferred link-local address on {ifname}")

    def packet_socket(self, ifname: str) -> "PacketSocket":
        """A raw AF_PACKET socket on ifname in this host's namespace, for sending crafted
        frames (e.g. built with scapy) and reading what arrives; closed at cleanup."""
        return PacketSocket(self.lab.res, self.ns, ifname)

    def __repr__(self) -> str:
        return f"LinuxHost({self.name}, {self.ns.name})"


_CLONE_NEWNET = 0x40000000
_ETH_P_ALL = 0x0003


class PacketSocket:
    """A raw AF_PACKET socket bound to one interface inside a namespace.

    The socket is created by a short-lived thread that first joins the namespace (setns
    affects only the calling thread), so the test process itself stays where it is and can
    send and receive from any thread without a subprocess. `send(frame)` transmits a whole
    Ethernet frame; `recv_until(match, timeout)` returns the first frame (bytes) for which
    `match(frame)` is truthy, keeping none of the others."""

    def __init__(self, res: Resources, ns: Netns, ifname: str):
        import ctypes
        import threading

        self.ifname = ifname
        made: dict[str, Any] = {}

        def open_in_namespace() -> None:
            try:
                libc = ctypes.CDLL(None, use_errno=True)
                fd = os.open(f"/var/run/netns/{ns.name}", os.O_RDONLY)
                try:
                    if libc.setns(fd, _CLONE_NEWNET) != 0:
                        err = ctypes.get_errno()
                        raise OSError(err, f"setns({ns.name}): {os.strerror(err)}")
                finally:
                    os.close(fd)
                sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(_ETH_P_ALL))
                try:
                    sock.bind((ifname, _ETH_P_ALL))
                except BaseException:
                    sock.close()
                    raise
                made["sock"] = sock
            except BaseException as e:  # reported in the caller's thread
                made["error"] = e

        t = threading.Thread(target=open_in_namespace, name=f"netns-{ns.name}")
        t.start()
        t.join()
        if "error" in made:
            raise made["error"]
        self.sock: socket.socket = made["sock"]
        res.add(f"close packet socket on {ns.name}/{ifname}", self.close)

    def close(self) -> None:
        self.sock.close()

    def send(self, frame: bytes) -> None:
        n = self.sock.send(bytes(frame))
        if n != len(frame):
            raise OSError(f"short send on {self.ifname}: {n} of {len(frame)} bytes")

    def drain(self) -> int:
        """Discard whatever has already arrived; returns how many frames."""
        n = 0
        self.sock.setblocking(False)
        try:
            while True:
                try:
                    self.sock.recv(65535)
                except BlockingIOError:
                    return n
                n += 1
        finally:
            self.sock.setblocking(True)

    def recv_until(self, match: Callable[[bytes], Any], timeout: float, what: str = "a frame") -> bytes:
        """The first received frame that `match` accepts; WaitTimeout naming `what` if none
        arrives within `timeout` seconds. Outgoing frames (PACKET_OUTGOING) are seen too."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WaitTimeout(f"timed out after {timeout:g} s waiting for {what} on {self.ifname}")
            self.sock.settimeout(remaining)
            try:
                frame = self.sock.recv(65535)
            except TimeoutError:
                continue
            if match(frame):
                return frame


# --- the control socket -------------------------------------------------------------------------


class ControlError(Exception):
    """An error reply: `code` (ENXIO, EPERM, version, ...) and `message`."""

    def __init__(self, op: str, code: str, message: str):
        super().__init__(f"{op}: {code}: {message}")
        self.op = op
        self.code = code
        self.message = message


class ControlClient:
    """One connection to umigamed's socket speaking PROTOCOL.md: newline-delimited JSON,
    request ids, `hello` first, events kept aside until asked for."""

    def __init__(self, path: Path | str, *, timeout: float = 10.0, client: str = "umitest", hello: bool = True):
        self.path = str(path)
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._buf = b""
        self._events: deque[dict] = deque()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.settimeout(timeout)
            self.sock.connect(self.path)
            self.hello: dict | None = None
            if hello:
                self.hello = self.call("hello", {"version": PROTOCOL_VERSION, "client": client})
        except BaseException:
            self.sock.close()
            raise

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "ControlClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def send(self, op: str, args: dict | None = None) -> int:
        rid = next(self._ids)
        msg: dict[str, Any] = {"id": rid, "op": op}
        if args is not None:
            msg["args"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        return rid

    def recv(self, timeout: float | None = None) -> dict:
        """The next message (reply or event) from the daemon."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while b"\n" not in self._buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no message from umigamed on {self.path} in time")
            self.sock.settimeout(remaining)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"umigamed closed the connection on {self.path}")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def reply(self, rid: int, timeout: float | None = None) -> dict:
        """Wait for the reply to request `rid`; events seen meanwhile are kept for event()."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            msg = self.recv(max(deadline - time.monotonic(), 0.001))
            if "event" in msg:
                self._events.append(msg)
            elif msg.get("id") == rid:
                return msg

    def call_raw(self, op: str, args: dict | None = None, timeout: float | None = None) -> dict:
        """Send one request and return the whole reply object."""
        return self.reply(self.send(op, args), timeout)

    def call(self, op: str, args: dict | None = None, timeout: float | None = None) -> dict:
        """Send one request; return its `result`, or raise ControlError."""
        msg = self.call_raw(op, args, timeout)
        if msg.get("ok"):
            return msg.get("result", {})
        err = msg.get("error") or {}
        raise ControlError(op, err.get("code", "?"), err.get("message", json.dumps(msg)))

    def event(self, rid: int | None = None, name: str | None = None, timeout: float | None = None) -> dict:
        """The next event (optionally of request `rid` and/or named `name`)."""

        def matches(m: dict) -> bool:
            return (rid is None or m.get("id") == rid) and (name is None or m.get("event") == name)

        for m in list(self._events):
            if matches(m):
                self._events.remove(m)
                return m
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            msg = self.recv(max(deadline - time.monotonic(), 0.001))
            if "event" in msg and matches(msg):
                return msg
            self._events.append(msg)


# --- the router ---------------------------------------------------------------------------------


class RouterError(AssertionError):
    pass


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return json.dumps(str(v))  # a JSON string is a valid TOML basic string


class Router:
    """umigamed in its own namespace, with its own config, socket, file prefix and log."""

    def __init__(self, lab: "Lab", name: str = "r1", *, hostname: str = "r1.example.test",
                 hugepages: str = "off", memory_mb: int = 256, workers: int | str = 1,
                 idle: str = "adaptive", log_level: str = "info",
                 startup: str | Sequence[str] | None = None, socket_path: Path | str | None = None,
                 file_prefix: str | None = None, daemon_extra: dict[str, Any] | None = None):
        self.lab = lab
        self.res = lab.res
        self.name = name
        self.ns = Netns(lab.res)
        self.id = self.ns.name
        self.dir = lab.workdir / self.id  # config, logs: kept by pytest for inspection
        self.dir.mkdir(parents=True, exist_ok=True)
        # The socket lives in a short /tmp path (sun_path is 108 bytes; pytest's tmp paths are
        # long), in a 0755 directory so tests can also talk to it as an unprivileged user.
        self.rundir = Path(tempfile.mkdtemp(prefix=f"{self.id}-", dir="/tmp"))
        self.rundir.chmod(0o755)
        self.res.add(f"remove {self.rundir}", lambda: shutil.rmtree(self.rundir, ignore_errors=True))
        self.socket = Path(socket_path) if socket_path else self.rundir / "umigamed.sock"
        self.file_prefix = file_prefix or self.id
        self._owns_prefix = file_prefix is None
        if self._owns_prefix:
            self.res.add(f"remove {DPDK_RUNTIME / self.file_prefix}",
                         lambda: shutil.rmtree(DPDK_RUNTIME / self.file_prefix, ignore_errors=True))
        self.daemon = {
            "socket": str(self.socket),
            "file_prefix": self.file_prefix,
            "hugepages": hugepages,
            "memory_mb": memory_mb,
            "workers": workers,
            "idle": idle,
            "hostname": hostname,
            "log_level": log_level,
            **(daemon_extra or {}),
        }
        self.startup = startup
        self.ports: list[dict[str, Any]] = []
        self.config_path = self.dir / "umigamed.toml"
        self.stderr_path = self.dir / "umigamed.stderr.log"
        self.stdout_path = self.dir / "umigamed.stdout.log"
        self.proc: subprocess.Popen | None = None
        self._files: list[Any] = []
        self._expect_exit = False  # set when the test stopped it or expected it to exit
        self.killed = False

    # -- topology and config --

    def add_port(self, name: str, host: LinuxHost | None = None, host_ifname: str = "eth0",
                 host_addrs: str | Sequence[str] | None = None, *, nodad: bool = True, queues: int = 1,
                 iface: str | None = None, vdev: str | None = None) -> str:
        """A DPDK port. With `host`, a veth is made whose router-side end (named `iface`,
        default the port name) lives in the router's namespace with the kernel kept off it
        (disable_ipv6=1, no addresses, up), and whose other end is host's `host_ifname`
        (offloads off, `host_addrs`, up). Without `host`, only the config entry is added (for
        vdevs that point elsewhere, e.g. a missing interface). Returns the kernel interface."""
        iface = iface or name
        if host is not None:
            make_veth(self.res, self.ns, iface, host.ns, host_ifname)
            self.ns.sysctl(f"net.ipv6.conf.{iface}.disable_ipv6", 1)
            self.ns.run(["ip", "addr", "flush", "dev", iface])
            self.ns.run(["ip", "link", "set", iface, "up"])
            host.setup_interface(host_ifname, host_addrs, nodad=nodad)
        self.ports.append({
            "name": name,
            "vdev": vdev or f"net_af_packet{len(self.ports)},iface={iface}",
            "queues": queues,
        })
        return iface

    def config_text(self) -> str:
        daemon = dict(self.daemon)
        if self.startup is not None:
            text = self.startup if isinstance(self.startup, str) else "\n".join(self.startup) + "\n"
            startup_path = self.dir / "rc.net6"
            startup_path.write_text(text)
            daemon["startup"] = str(startup_path)
        lines = [f"# written by umitest for {self.name} ({self.id})", "[daemon]"]
        lines += [f"{k} = {toml_value(v)}" for k, v in daemon.items() if v is not None]
        for port in self.ports:
            lines += ["", "[[port]]"] + [f"{k} = {toml_value(v)}" for k, v in port.items()]
        return "\n".join(lines) + "\n"

    def write_config(self, text: str | None = None) -> Path:
        """Write the config (or `text` verbatim, e.g. a deliberately broken one)."""
        self.config_path.write_text(self.config_text() if text is None else text)
        return self.config_path

    # -- lifecycle --

    def start(self, *, wait: bool = True, timeout: float = STARTUP_TIMEOUT, config_text: str | None = None,
              env: dict[str, str] | None = None, args: Sequence[str] = ()) -> "Router":
        if not UMIGAMED.exists():
            raise RouterError(f"{UMIGAMED} is not built (run scripts/build.sh)")
        if self.proc is not None:
            raise RouterError(f"{self.id}: already started")
        cfg = self.write_config(config_text)
        # Never let a test daemon talk to the systemd that may be supervising this test run.
        base_env = {k: v for k, v in os.environ.items()
                    if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID")}
        base_env.update(env or {})
        out = open(self.stdout_path, "ab")
        err = open(self.stderr_path, "ab")
        self._files = [out, err]
        argv = ["ip", "netns", "exec", self.ns.name, str(UMIGAMED), "--config", str(cfg), *args]
        # Own session: a Ctrl-C on the terminal reaches pytest, whose finalizers stop us cleanly.
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=base_env,
                                     start_new_session=True)
        self.res.add(f"stop umigamed {self.name} ({self.id}, pid {self.proc.pid})", self._finalize)
        register_log(f"umigamed {self.name} stderr", self.stderr_path)
        register_log(f"umigamed {self.name} stdout", self.stdout_path)
        if wait:
            self.wait_ready(timeout)
        return self

    def stderr_text(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def stdout_text(self) -> str:
        return self.stdout_path.read_text(errors="replace") if self.stdout_path.exists() else ""

    def _tail(self, n: int = 40) -> str:
        lines = self.stderr_text().splitlines()[-n:]
        return f"--- last {len(lines)} lines of {self.stderr_path} ---\n" + "\n".join(lines)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def try_hello(self) -> dict | None:
        """The hello result if the daemon answers on its socket now, else None."""
        try:
            with ControlClient(self.socket, timeout=2.0) as c:
                return c.hello
        except OSError:  # no socket yet, refused, closed, timed out
            return None

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> dict:
        """Wait until the daemon answers hello on its socket and has said it is ready."""
        assert self.proc is not None

        def ready() -> dict | None:
            if self.proc.poll() is not None:
                self._expect_exit = True  # reported here; cleanup need not report it again
                raise RouterError(f"umigamed {self.id} exited with status {self.proc.returncode} before it was "
                                  f"ready\n{self._tail()}")
            hello = self.try_hello()
            return hello if hello is not None and READY_LINE in self.stderr_text() else None

        try:
            return wait_until(ready, timeout, f"umigamed {self.id} to answer hello on {self.socket} "
                                              f"and print '{READY_LINE}'")
        except WaitTimeout as e:
            raise RouterError(f"{e}\n{self._tail()}") from None

    def start_expect_failure(self, timeout: float = 30.0, **kw: Any) -> subprocess.CompletedProcess:
        """Start a daemon that must refuse to run; return its exit status and output.

        Fails (and stops it) if it prints the ready line or is still running after `timeout`."""
        self.start(wait=False, **kw)
        assert self.proc is not None
        self._expect_exit = True
        try:
            wait_until(lambda: self.proc.poll() is not None or READY_LINE in self.stderr_text(), timeout,
                       f"umigamed {self.id} to refuse to start")
        except WaitTimeout:
            pass
        if self.proc.poll() is None:
            self.stop()
            raise RouterError(f"umigamed {self.id} started although it should have refused\n{self._tail()}")
        for f in self._files:
            f.close()
        return subprocess.CompletedProcess(self.proc.args, self.proc.returncode, self.stdout_text(),
                                           self.stderr_text())

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int | None:
        """Signal the daemon and wait for it; SIGKILL (recorded in .killed) after `timeout`.
        Returns the exit status (negative: killed by that signal)."""
        if self.proc is None:
            return None
        self._expect_exit = True
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.killed = True
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()
        for f in self._files:
            f.close()
        return self.proc.returncode

    def _finalize(self) -> None:
        """Cleanup: stop the daemon if the test left it running, and report a daemon that
        died during the test, needed SIGKILL, exited non-zero on SIGTERM or kept its socket."""
        if self.proc is None:
            return
        problems = []
        if self.proc.poll() is not None and not self._expect_exit:
            problems.append(f"died during the test with status {self.proc.returncode}")
        elif self.proc.poll() is None:
            rc = self.stop()
            if self.killed:
                problems.append(f"did not exit within {STOP_TIMEOUT:g} s of SIGTERM (killed)")
            elif rc != 0:
                problems.append(f"exited with status {rc} on SIGTERM")
            elif self.socket.exists() or self.socket.is_symlink():
                problems.append(f"left its socket {self.socket} behind")
        for f in self._files:
            f.close()
        if problems:
            raise RouterError(f"umigamed {self.name} ({self.id}): " + "; ".join(problems) + "\n" + self._tail())

    # -- talking to it --

    def client(self, **kw: Any) -> ControlClient:
        """A persistent connection (hello done), closed at cleanup; for events."""
        c = ControlClient(self.socket, **kw)
        self.res.add("close control connection", c.close)
        return c

    def hello(self) -> dict:
        with ControlClient(self.socket) as c:
            assert c.hello is not None
            return c.hello

    def request(self, op: str, args: dict | None = None, timeout: float = 10.0) -> dict:
        """One request on a fresh connection: returns `result` or raises ControlError."""
        with ControlClient(self.socket, timeout=timeout) as c:
            return c.call(op, args)

    def request_raw(self, op: str, args: dict | None = None, timeout: float = 10.0) -> dict:
        """One request on a fresh connection: returns the whole reply object."""
        with ControlClient(self.socket, timeout=timeout) as c:
            return c.call_raw(op, args)

    def tool(self, name: str, *args: Any, check: bool = False, timeout: float = 30.0, user: str | None = None,
             env: dict[str, str] | None = None, input: str | None = None) -> subprocess.CompletedProcess:
        """Run a KAME tool (build/tools/kame/<name>) inside the router's namespace with
        UMIGAME_SOCKET set. `user="nobody"` runs it unprivileged (for EPERM checks)."""
        path = KAME_DIR / name
        if not path.exists():
            raise RouterError(f"{path} is not built (run scripts/build.sh)")
        argv: list[str] = [str(path), *map(str, args)]
        if user is not None:
            pw = pwd.getpwnam(user)
            argv = ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups", *argv]
        return run(argv, netns=self.ns.name, check=check, timeout=timeout,
                   env={"UMIGAME_SOCKET": str(self.socket), **(env or {})}, input=input)

    def __repr__(self) -> str:
        return f"Router({self.name}, {self.id})"


# --- the lab: one per test ----------------------------------------------------------------------

_open_labs: set["Lab"] = set()


class Lab:
    """Everything one test makes. Use as a context manager (the `lab` fixture does)."""

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.res = Resources()
        self._bg = itertools.count(1)
        _open_labs.add(self)

    def netns(self) -> Netns:
        return Netns(self.res)

    def host(self, name: str = "h1") -> LinuxHost:
        return LinuxHost(self, name)

    def router(self, name: str = "r1", **config: Any) -> Router:
        return Router(self, name, **config)

    def veth(self, a: Any, if_a: str, b: Any, if_b: str) -> None:
        make_veth(self.res, a, if_a, b, if_b)

    def spawn(self, cmd: str | Sequence[Any], *, netns: Any = None, name: str = "bg",
              env: dict[str, str] | None = None) -> Background:
        ns = _ns_of(netns).name if netns is not None else None
        out = self.workdir / f"{name}-{next(self._bg)}.out"
        return Background(self.res, cmd, out, netns=ns, env=env)

    def close(self) -> None:
        _open_labs.discard(self)
        self.res.close()

    def __enter__(self) -> "Lab":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _close_open_labs() -> None:
    # Last line of defence (e.g. pytest killed by SIGTERM mid-test): remove what is still open.
    for lab in list(_open_labs):
        try:
            lab.close()
        except BaseException:
            pass


atexit.register(_close_open_labs)


def reap_stale() -> list[str]:
    """Remove what earlier, killed test runs left behind: umit-<pid>-* namespaces, DPDK runtime
    directories and /tmp directories whose <pid> is no longer alive. Returns what was removed."""
    removed = []

    def stale(name: str) -> bool:
        m = re.match(r"umit-(\d+)-\d+", name)
        return bool(m) and int(m.group(1)) != RUN_ID and not _pid_alive(int(m.group(1)))

    for ns in list_netns():
        if stale(ns):
            pids = _netns_pids(ns)
            if pids:
                _kill_and_wait(pids, f"processes left in {ns}")
            run(["ip", "netns", "del", ns], check=False)
            removed.append(f"namespace {ns}")
    for base in (DPDK_RUNTIME, Path("/tmp")):
        if base.is_dir():
            for d in base.glob("umit-*"):
                if stale(d.name):
                    shutil.rmtree(d, ignore_errors=True)
                    removed.append(str(d))
    return removed


# --- forwarding topologies (issue 3) ------------------------------------------------------------
#
#   forwarding_net():  Linux h1 [eth0] -- [de0] umigame r1 [de1] -- [eth0] Linux h2
#   router_chain():    Linux h1 [eth0] -- [de0] r1 [de1] -- [de0] r2 [de1] -- [eth0] Linux h2
#
# Addresses (documentation prefixes only):
#   h1 link   2001:db8:1::/64   198.51.100.0/24   h1 ::1 / .1,  router ::ff / .254
#   h2 link   2001:db8:2::/64   203.0.113.0/24    h2 ::1 / .1,  router ::ff / .254
#   r1-r2     2001:db8:12::/64  192.0.2.0/24      r1 ::1 / .1,  r2 ::2 / .2
# Linux hosts route everything (default, both families) through their router.

from typing import NamedTuple as _NamedTuple  # noqa: E402

H1_IP6, R_H1_IP6 = "2001:db8:1::1", "2001:db8:1::ff"
H2_IP6, R_H2_IP6 = "2001:db8:2::1", "2001:db8:2::ff"
H1_IP4, R_H1_IP4 = "198.51.100.1", "198.51.100.254"
H2_IP4, R_H2_IP4 = "203.0.113.1", "203.0.113.254"
R1_MID_IP6, R2_MID_IP6 = "2001:db8:12::1", "2001:db8:12::2"
R1_MID_IP4, R2_MID_IP4 = "192.0.2.1", "192.0.2.2"


class ForwardingNet(_NamedTuple):
    r: Router
    h1: LinuxHost
    h2: LinuxHost
    lab: "Lab"


class RouterChain(_NamedTuple):
    r1: Router
    r2: Router
    h1: LinuxHost
    h2: LinuxHost
    lab: "Lab"


def router_link(lab: "Lab", ra: Router, port_a: str, rb: Router, port_b: str) -> None:
    """A veth between two umigame routers (before either starts): DPDK port `port_a` of ra and
    `port_b` of rb, with both namespace kernels kept off the veth ends."""
    make_veth(lab.res, ra.ns, port_a, rb.ns, port_b)
    for r, ifname in ((ra, port_a), (rb, port_b)):
        r.ns.sysctl(f"net.ipv6.conf.{ifname}.disable_ipv6", 1)
        r.ns.run(["ip", "addr", "flush", "dev", ifname])
        r.ns.run(["ip", "link", "set", ifname, "up"])
        r.add_port(ifname)  # config entry only: net_af_packetN,iface=<ifname>


def set_link_mtu(r: Router, port: str, peer: Any, peer_ifname: str, mtu: int) -> None:
    """Set the MTU of both ends of a router port's veth (before the router starts, so that the
    DPDK port reads it). `peer` is the LinuxHost or Router on the other end."""
    r.ns.run(["ip", "link", "set", port, "mtu", str(mtu)])
    _ns_of(peer).run(["ip", "link", "set", peer_ifname, "mtu", str(mtu)])


def configure_address(r: Router, ifname: str, addr: str, prefixlen: int) -> None:
    """Add an address through the control socket (inet6 or inet, by its form)."""
    args: dict[str, Any] = {"name": ifname, "addr": addr, "prefixlen": prefixlen, "alias": True}
    if ":" not in addr:
        args["family"] = "inet"
    r.request("addr_add", args)


def wait_addresses_preferred(r: Router, ifnames: Sequence[str], timeout: float = 15.0) -> None:
    """Wait until every inet6 address on the given ports has left tentative (none duplicated)."""

    def settled() -> bool:
        for ifc in r.request("interfaces")["interfaces"]:
            if ifc["name"] not in ifnames:
                continue
            for a in ifc["inet6"]:
                if "duplicated" in a["flags"]:
                    raise AssertionError(f"{r.name}: {a['addr']} on {ifc['name']} is duplicated")
                if "tentative" in a["flags"]:
                    return False
        return True

    wait_until(settled, timeout, f"{r.name}: addresses on {', '.join(ifnames)} to be preferred")


def enable_forwarding(r: Router, *, inet6: bool = True, inet: bool = True) -> None:
    if inet6:
        r.request("sysctl_set", {"name": "net.inet6.ip6.forwarding", "value": 1})
    if inet:
        r.request("sysctl_set", {"name": "net.inet.ip.forwarding", "value": 1})


def _linux_end(h: LinuxHost, addr6: str, addr4: str, gw6: str, gw4: str) -> None:
    h.add_address("eth0", f"{addr6}/64")
    h.add_address("eth0", f"{addr4}/24")
    h.run(["ip", "-6", "route", "add", "default", "via", gw6, "dev", "eth0"])
    h.run(["ip", "-4", "route", "add", "default", "via", gw4, "dev", "eth0"])


def forwarding_net(lab: "Lab", *, h2_mtu: int | None = None, forwarding: bool = True,
                   router_name: str = "r1", **router_config: Any) -> ForwardingNet:
    """h1 -- r1 -- h2, started, addressed in both families, forwarding on (unless told not
    to), every address preferred and both Linux links ready. `h2_mtu` sets the MTU of the
    r1-h2 veth (both ends) before the router starts."""
    r = lab.router(router_name, **router_config)
    h1, h2 = lab.host("h1"), lab.host("h2")
    r.add_port("de0", h1, "eth0")
    r.add_port("de1", h2, "eth0")
    if h2_mtu is not None:
        set_link_mtu(r, "de1", h2, "eth0", h2_mtu)
    r.start()
    _linux_end(h1, H1_IP6, H1_IP4, R_H1_IP6, R_H1_IP4)
    _linux_end(h2, H2_IP6, H2_IP4, R_H2_IP6, R_H2_IP4)
    configure_address(r, "de0", R_H1_IP6, 64)
    configure_address(r, "de1", R_H2_IP6, 64)
    configure_address(r, "de0", R_H1_IP4, 24)
    configure_address(r, "de1", R_H2_IP4, 24)
    if forwarding:
        enable_forwarding(r)
    h1.wait_link_ready("eth0")
    h2.wait_link_ready("eth0")
    wait_addresses_preferred(r, ["de0", "de1"])
    return ForwardingNet(r, h1, h2, lab)


def router_chain(lab: "Lab", **router_config: Any) -> RouterChain:
    """h1 -- r1 -- r2 -- h2, both routers started and forwarding, with static routes so that
    h1's and h2's networks reach each other in both families."""
    r1 = lab.router("r1", **router_config)
    r2 = lab.router("r2", hostname="r2.example.test", **router_config)
    h1, h2 = lab.host("h1"), lab.host("h2")
    r1.add_port("de0", h1, "eth0")
    router_link(lab, r1, "de1", r2, "de0")
    r2.add_port("de1", h2, "eth0")
    r1.start()
    r2.start()
    _linux_end(h1, H1_IP6, H1_IP4, R_H1_IP6, R_H1_IP4)
    _linux_end(h2, H2_IP6, H2_IP4, R_H2_IP6, R_H2_IP4)
    configure_address(r1, "de0", R_H1_IP6, 64)
    configure_address(r1, "de0", R_H1_IP4, 24)
    configure_address(r1, "de1", R1_MID_IP6, 64)
    configure_address(r1, "de1", R1_MID_IP4, 24)
    configure_address(r2, "de0", R2_MID_IP6, 64)
    configure_address(r2, "de0", R2_MID_IP4, 24)
    configure_address(r2, "de1", R_H2_IP6, 64)
    configure_address(r2, "de1", R_H2_IP4, 24)
    for r in (r1, r2):
        enable_forwarding(r)
    r1.request("route_add", {"family": "inet6", "dest": "2001:db8:2::", "prefixlen": 64, "gateway": R2_MID_IP6})
    r1.request("route_add", {"family": "inet", "dest": "203.0.113.0", "prefixlen": 24, "gateway": R2_MID_IP4})
    r2.request("route_add", {"family": "inet6", "dest": "2001:db8:1::", "prefixlen": 64, "gateway": R1_MID_IP6})
    r2.request("route_add", {"family": "inet", "dest": "198.51.100.0", "prefixlen": 24, "gateway": R1_MID_IP4})
    h1.wait_link_ready("eth0")
    h2.wait_link_ready("eth0")
    wait_addresses_preferred(r1, ["de0", "de1"])
    wait_addresses_preferred(r2, ["de0", "de1"])
    return RouterChain(r1, r2, h1, h2, lab)


def shared_link(lab: "Lab", r: Router, port: str, hosts: Sequence[LinuxHost], *, name: str = "sw") -> LinuxHost:
    """Put router port `port` and every host's `eth0` on one Ethernet segment: a Linux bridge
    in its own namespace (STP and multicast snooping off, no IPv6 of its own, so it forwards
    at once and adds no traffic). Call before r.start(); the hosts' eth0 get offloads off and
    come up without addresses. Returns the switch host."""
    sw = lab.host(name)
    sw.ns.sysctl("net.ipv6.conf.all.disable_ipv6", 1)
    sw.ns.sysctl("net.ipv6.conf.default.disable_ipv6", 1)
    r.add_port(port, sw, "p0")
    sw.run(["ip", "link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0",
            "mcast_snooping", "0"])
    sw.run(["ip", "link", "set", "p0", "master", "br0"])
    for n, h in enumerate(hosts, start=1):
        make_veth(lab.res, sw, f"p{n}", h, "eth0")
        sw.setup_interface(f"p{n}")
        sw.run(["ip", "link", "set", f"p{n}", "master", "br0"])
        h.setup_interface("eth0")
    sw.run(["ip", "link", "set", "br0", "up"])
    return sw


def link_local_of(r: Router, ifname: str) -> str:
    """The router's link-local address on ifname, without zone."""
    ifc = r.request("interfaces", {"name": ifname})["interfaces"][0]
    return next(a["addr"] for a in ifc["inet6"] if a["addr"].startswith("fe80:")).split("%")[0]


def stats_flat(r: Router) -> dict[str, int]:
    """The `stats` reply flattened to one dict: ip6.X, icmp6.X, ip.X, icmp.X, drop.REASON,
    icmp6_out.TYPE, icmp6_in.TYPE, icmp_out.TYPE, icmp_in.TYPE."""
    st = r.request("stats")
    out: dict[str, int] = {}
    for group in ("ip6", "icmp6", "ip", "icmp"):
        for k, v in (st.get(group) or {}).items():
            out[f"{group}.{k}"] = v
    for hist, prefix in (("icmp6_out_hist", "icmp6_out"), ("icmp6_in_hist", "icmp6_in"),
                         ("icmp_out_hist", "icmp_out"), ("icmp_in_hist", "icmp_in")):
        for k, v in (st.get(hist) or {}).items():
            out[f"{prefix}.{k}"] = v
    for d in st.get("drops", []):
        out[f"drop.{d['reason']}"] = out.get(f"drop.{d['reason']}", 0) + d["count"]
    return out


def stats_delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """Counters that moved between two stats_flat() snapshots."""
    keys = set(before) | set(after)
    return {k: after.get(k, 0) - before.get(k, 0) for k in sorted(keys) if after.get(k, 0) != before.get(k, 0)}
