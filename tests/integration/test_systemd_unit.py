"""config/: the systemd unit passes `systemd-analyze verify`, declares what DESIGN.md asks
(Type=notify, watchdog, restart on failure, /run/umigame), and the example configuration is
valid TOML with every key the daemon documents. No root or daemon needed."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

import umitest

CONFIG = umitest.REPO / "config"
UNIT = CONFIG / "umigamed.service"


def unit_settings(path: Path) -> dict[str, list[str]]:
    """`Section.Key` -> values, in file order (systemd allows repeated keys)."""
    out: dict[str, list[str]] = {}
    section = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, _, value = line.partition("=")
        out.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return out


def test_systemd_unit_passes_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (package systemd)")
    # verify insists that ExecStart's binary exists; point it at one that does.
    text = UNIT.read_text().replace("ExecStart=/usr/local/sbin/umigamed ", "ExecStart=/bin/true ")
    assert "ExecStart=/bin/true --config /etc/umigame/umigamed.toml" in text
    copy = tmp_path / "umigamed.service"
    copy.write_text(text)

    cp = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60)
    output = (cp.stdout + cp.stderr).strip()
    about_us = [line for line in output.splitlines() if "umigamed" in line]
    assert cp.returncode == 0, umitest.describe(cp)
    assert not about_us, "systemd-analyze verify complained:\n" + "\n".join(about_us)
    assert "error" not in output.lower(), output


def test_systemd_unit_is_notify_with_watchdog_and_restart():
    s = unit_settings(UNIT)
    assert s["Service.Type"] == ["notify"]
    assert s["Service.ExecStart"] == ["/usr/local/sbin/umigamed --config /etc/umigame/umigamed.toml"]
    assert s["Service.WatchdogSec"] == ["10"]
    assert s["Service.Restart"] == ["on-failure"]
    assert s["Service.RuntimeDirectory"] == ["umigame"]
    assert s["Install.WantedBy"] == ["multi-user.target"]


def test_example_config_is_valid_toml_with_every_documented_key():
    cfg = tomllib.loads((CONFIG / "umigamed.toml.example").read_text())
    daemon = cfg["daemon"]
    for key in ("socket", "file_prefix", "hugepages", "memory_mb", "workers", "idle", "hostname", "startup",
                "log_level"):
        assert key in daemon, key
    assert daemon["socket"] == "/run/umigame/umigamed.sock"
    assert daemon["hugepages"] in ("auto", "on", "off")
    assert daemon["idle"] in ("adaptive", "poll")
    assert cfg["port"] and all({"name", "vdev", "queues"} <= set(p) for p in cfg["port"])
    rc = (CONFIG / "rc.net6.example").read_text()
    assert "ifconfig de0 inet6 2001:db8:1::ff prefixlen 64 alias" in rc
