"""The one install rule of every set-up: the CPU build of PyTorch, pinned, and the rest from the configured index.

Every set-up reads this module: the kit's Makefile, the student bundle (``python -m autograder setup``, which its
Makefile calls), Gradescope's ``setup.sh`` and the GitHub Classroom workflow all run
``python -m autograder.install``, and the bundles' requirement files get :func:`torch_requirements` from here.

- The pin: ``torch==2.13.0+cpu`` (the ``+cpu`` local version exists only on PyTorch's CPU index, so a CUDA build
  can never satisfy it); on macOS, where PyTorch publishes no ``+cpu`` wheel and every build is a CPU build,
  ``torch==2.13.0``.
- The index: PyTorch's CPU index is *added* to the configured one (``--extra-index-url``), so every other package
  still comes from PyPI or the mirror that pip is configured with. The index is probed first, for at most
  :data:`PROBE_TIMEOUT` seconds: where it cannot be reached, pip looks for the same pin on the configured index
  alone (a mirror that serves ``+cpu`` wheels) instead of retrying for minutes.

Standard library only: it runs before anything is installed, with any Python 3.11+.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import urllib.request
import venv
from collections.abc import Sequence
from pathlib import Path

TORCH_VERSION = "2.13.0"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
PROBE_TIMEOUT = 3.0  # seconds: an unreachable index costs this, never pip's retries
STAMP = ".installed-stamp"  # in the venv: the digest of what was installed


def torch_requirements() -> list[str]:
    """The requirement lines of the CPU build of PyTorch (one per platform family, by environment marker)."""
    return [
        f'torch=={TORCH_VERSION}+cpu; platform_system != "Darwin"',
        f'torch=={TORCH_VERSION}; platform_system == "Darwin"',
    ]


def venv_python(venv_dir: Path) -> Path:
    """The interpreter of the virtual environment ``venv_dir`` on this platform."""
    if os.name == "nt":
        return venv_dir / "Scripts" / "python.exe"
    return venv_dir / "bin" / "python"


def index_reachable(url: str = TORCH_CPU_INDEX, timeout: float = PROBE_TIMEOUT) -> bool:
    """True when ``url``'s simple index answers within ``timeout`` seconds."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/torch/", timeout=timeout) as reply:
            return 200 <= reply.status < 400
    except (OSError, ValueError):  # URLError, timeouts and refused connections are OSErrors
        return False


def pip_command(
    python: Path | str, requirements: Sequence[Path], extra_index: str | None, quiet: bool = False
) -> list[str]:
    """The ``pip install`` of ``requirements`` (files) and the torch pin, with ``extra_index`` added when given."""
    command = [str(python), "-m", "pip", "install", "--disable-pip-version-check", *(["--quiet"] if quiet else [])]
    if extra_index:
        command += ["--extra-index-url", extra_index]
    for path in requirements:
        command += ["-r", str(path)]
    return command + torch_requirements()


def digest(requirements: Sequence[Path]) -> str:
    """What an environment was installed from: the requirement files' contents and the torch rule."""
    h = hashlib.sha256("\n".join([*torch_requirements(), TORCH_CPU_INDEX]).encode())
    for path in requirements:
        h.update(Path(path).read_bytes())
    return h.hexdigest()


def is_current(venv_dir: Path, requirements: Sequence[Path]) -> bool:
    """True when ``venv_dir`` exists and was installed from exactly these requirements."""
    stamp = venv_dir / STAMP
    return venv_python(venv_dir).exists() and stamp.exists() and stamp.read_text().strip() == digest(requirements)


def install(
    requirements: Sequence[Path], venv_dir: Path | None = None, index: str | None = TORCH_CPU_INDEX, quiet: bool = False
) -> int:
    """Install ``requirements`` and the CPU torch into ``venv_dir`` (created when missing), or into this interpreter.

    ``index`` is PyTorch's CPU index (``None``: the configured index only). Returns pip's exit status.
    """
    python: Path | str = sys.executable
    if venv_dir is not None:
        if not venv_python(venv_dir).exists():
            print(f"creating {venv_dir} with Python {sys.version.split()[0]}", flush=True)
            venv.EnvBuilder(with_pip=True, symlinks=os.name != "nt").create(venv_dir)  # as `python -m venv` does
        python = venv_python(venv_dir)
    extra = index if index and index_reachable(index) else None
    if index and not extra:
        print(
            f"{index} cannot be reached: looking for {torch_requirements()[0].split(';')[0]} on the configured "
            "package index only",
            flush=True,
        )
    status = subprocess.call(pip_command(python, requirements, extra, quiet))
    if status == 0 and venv_dir is not None:
        (venv_dir / STAMP).write_text(digest(requirements) + "\n")
    return status


def main(argv: list[str] | None = None) -> int:
    """``python -m autograder.install [--venv DIR] -r FILE ...``; ``--print`` shows the torch lines only."""
    parser = argparse.ArgumentParser(prog="python -m autograder.install", description=__doc__.split("\n\n")[0])
    parser.add_argument("-r", "--requirement", action="append", type=Path, default=[], help="a requirements file")
    parser.add_argument("--venv", type=Path, default=None, help="install into this venv (created when missing)")
    parser.add_argument("--no-torch-index", action="store_true", help="use the configured package index only")
    parser.add_argument("--quiet", action="store_true", help="pip prints errors only")
    parser.add_argument("--print", action="store_true", help="print the torch requirement lines and the index, only")
    ns = parser.parse_args(argv)
    if ns.print:
        print("\n".join([f"--extra-index-url {TORCH_CPU_INDEX}", *torch_requirements()]))
        return 0
    return install(ns.requirement, ns.venv, None if ns.no_torch_index else TORCH_CPU_INDEX, ns.quiet)


if __name__ == "__main__":
    raise SystemExit(main())
