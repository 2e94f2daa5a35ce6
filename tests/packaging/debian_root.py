"""A clean Debian root for installing the .deb: ``debootstrap --variant=minbase`` of this
machine's release (bookworm), with the package's dependencies, made once per machine and kept
under /var/cache (a fresh copy per test, so every install starts clean)."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
from pathlib import Path

CACHE = Path("/var/cache/hospital-ebill-tests")
#: the .deb's Depends (adduser, fonts-wqy-microhei) and what the test itself runs in the root
INCLUDE = ("adduser", "fonts-wqy-microhei", "ca-certificates")
MIRROR = "http://deb.debian.org/debian"


def release() -> str:
    """This machine's Debian codename (the root is of the same release)."""
    for line in Path("/etc/os-release").read_text(encoding="utf-8").splitlines():
        if line.startswith("VERSION_CODENAME="):
            return line.split("=", 1)[1].strip('"')
    return "bookworm"


def base_root() -> Path:
    """The cached minimal root, bootstrapped on first use (about 1.5 min, network to the mirror)."""
    name = f"{release()}-minbase-" + "-".join(sorted(INCLUDE))
    done = CACHE / name
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test runs never bootstrap at once
        if not (done / "usr" / "bin" / "dpkg").is_file():
            partial = CACHE / (name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            subprocess.run(["debootstrap", "--variant=minbase", f"--include={','.join(INCLUDE)}", release(),
                            str(partial), MIRROR], check=True, capture_output=True, timeout=1200)
            shutil.rmtree(done, ignore_errors=True)
            partial.rename(done)
    return done


def fresh_root(target: Path) -> Path:
    """A private copy of the base root at ``target`` (owners, modes and device nodes kept)."""
    subprocess.run(["cp", "-a", str(base_root()), str(target)], check=True, timeout=600)
    return target
