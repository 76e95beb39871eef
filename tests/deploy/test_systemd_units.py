"""deploy/systemd/, checked by systemd itself: `systemd-analyze verify` loads each unit as
systemd would after `systemctl daemon-reload`, in a root laid out as deploy/README.md installs
the service (units in /etc/systemd/system, the virtualenv's commands in /opt/involve-intake/venv).

It refuses what would stop a unit from starting (no ExecStart, a command that is not there or
not executable, a timer whose service is missing) and reports keys systemd does not know, which
it would otherwise ignore without a word: a misspelt hardening setting is a setting not applied.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import missing_program

ROOT = Path(__file__).resolve().parents[2]
SYSTEMD = ROOT / "deploy" / "systemd"
UNITS = sorted(path.name for path in SYSTEMD.iterdir() if path.suffix in {".service", ".timer"})
VENV_BIN = Path("opt/involve-intake/venv/bin")
# Where the machine's own units are (sysinit.target and the like, which every service needs).
SYSTEM_UNITS = next((path for path in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system"))
                     if path.is_dir()), None)


def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None or SYSTEM_UNITS is None:
        missing_program("systemd is not installed (Debian: apt-get install systemd)")
    return found


def installed_root(root: Path, units: dict[str, str]) -> Path:
    """A root with ``units`` installed as deploy/README.md installs them, and the commands they
    run (copies of this virtualenv's, which pip made as it will on the VM)."""
    assert SYSTEM_UNITS is not None
    shutil.copytree(SYSTEM_UNITS, root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    for name, text in units.items():
        (root / "etc/systemd/system" / name).write_text(text)
    (root / VENV_BIN).mkdir(parents=True)
    for command in ("intake", "gunicorn"):
        shutil.copy2(Path(sys.executable).parent / command, root / VENV_BIN / command)
    return root


def verify(root: Path, names: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([systemd_analyze(), "verify", f"--root={root}",
                           *(f"/etc/systemd/system/{name}" for name in names)],
                          capture_output=True, text=True, timeout=60, check=False)


def shipped() -> dict[str, str]:
    return {name: (SYSTEMD / name).read_text("utf-8") for name in UNITS}


def test_systemd_loads_every_unit_without_a_complaint(tmp_path: Path) -> None:
    assert UNITS == ["involve-intake-purge.service", "involve-intake-purge.timer",
                     "involve-intake-web.service", "involve-intake-worker.service"]
    checked = verify(installed_root(tmp_path, shipped()), UNITS)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout + checked.stderr == ""


def test_a_misspelt_setting_or_a_missing_command_is_reported(tmp_path: Path) -> None:
    """The check above can fail: systemd names what is wrong in a unit."""
    units = shipped()
    units["involve-intake-web.service"] = units["involve-intake-web.service"].replace(
        "NoNewPrivileges=true", "NoNewPrivilege=true")
    units["involve-intake-worker.service"] = units["involve-intake-worker.service"].replace(
        "/venv/bin/intake worker", "/venv/bin/intake-missing worker")
    checked = verify(installed_root(tmp_path, units), UNITS)
    output = checked.stdout + checked.stderr
    assert checked.returncode != 0
    assert "Unknown key 'NoNewPrivilege'" in output or "Unknown key name 'NoNewPrivilege'" in output
    assert "intake-missing" in output
