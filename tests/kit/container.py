"""Real container engines for the kit's tests and benchmarks: Debian's docker.io, run the way Gradescope runs the kit,
and Debian's podman, rootless.

- :class:`Engine`: a ``dockerd`` of our own (its own data root, exec root, pid file and Unix socket; no
  iptables, no bridge: build containers use the host's network, grading containers none), started and
  stopped by pid. ``/usr/local/bin/docker`` may be another client: only Debian's ``/usr/bin/docker`` is used,
  always with ``DOCKER_HOST`` on our socket.
- :func:`base_image`: a minimal Debian of the host's suite from the host's apt mirror by ``debootstrap``,
  ``docker import``-ed: no image registry.
- :func:`gradescope_image`: Gradescope's steps on it: the autograder zip unpacked into ``/autograder/source``,
  its own ``setup.sh`` run (apt, then pip through the host's pip configuration: its indexes, wheel folders
  and CA bundle are mounted read-only), ``run_autograder`` copied to ``/autograder``, the container committed.
- :class:`RootlessPodman`: the same steps through podman's docker-compatible command line, as an unprivileged
  user made for it (its images in that user's home under :data:`CACHE`).
- :func:`run` grades in a fresh container (``--network none``, Docker's default capabilities, a seccomp
  profile of :func:`seccomp_profile`), with the files it needs copied in, as Gradescope copies a submission.

Images are kept between runs in the data root under :data:`CACHE` (``COURSE_KIT_CONTAINER_CACHE``), tagged
by the hash of what they are made of, so a second run on the same machine skips ``debootstrap`` and the
slow part of ``setup.sh``: the current zip's ``setup.sh`` still runs, on top of the environment that the same
``setup.sh``, ``requirements.txt`` and install rule made before. A lock file keeps two runs apart.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CACHE = Path(os.environ.get("COURSE_KIT_CONTAINER_CACHE", "/var/cache/course-kit/containers"))
DOCKER, DOCKERD, PODMAN = "/usr/bin/docker", "/usr/sbin/dockerd", "/usr/bin/podman"
# What each engine needs from Debian, by a file each package installs (debootstrap builds the base image for both).
PACKAGES = {
    "docker": {"docker.io": DOCKERD, "debootstrap": "/usr/sbin/debootstrap"},
    "podman": {"podman": PODMAN, "uidmap": "/usr/bin/newuidmap", "debootstrap": "/usr/sbin/debootstrap"},
}
PODMAN_USER = "course-kit-podman"  # rootless podman runs as this unprivileged user, created when missing
LANDLOCK = ("landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self")
PROFILE_PACKAGE = "golang-github-docker-docker-dev"  # moby's source, built from the same Debian source as docker.io
PROFILE_IN_PACKAGE = "usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json"
HOST_FILES = "/opt/host-pip"  # where the host's pip files (CA bundle, constraints) are mounted in a build container
SETUP_TAG, IMAGE_TAG = "course-kit/gradescope-setup", "course-kit/gradescope"


def unavailable(kinds: Iterable[str] = ("docker",)) -> str | None:
    """Why the engines ``kinds`` cannot be set up here (None when they can), installing their :data:`PACKAGES` when
    missing."""
    if sys.platform != "linux" or os.geteuid() != 0:
        return "needs Linux and root: it starts its own dockerd (Debian's docker.io) and runs debootstrap"
    if not _has_cap_sys_admin():
        return "root without CAP_SYS_ADMIN (itself in a container?): dockerd cannot mount its containers' file systems"
    needed = {pkg: path for kind in kinds for pkg, path in PACKAGES[kind].items()}
    missing = sorted(pkg for pkg, path in needed.items() if not Path(path).exists())
    if missing:
        if shutil.which("apt-get") is None:
            return f"{', '.join(missing)} missing and no apt-get to install them"
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *missing]):
            done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
            if done.returncode:
                return f"`{' '.join(command)}` failed: {done.stderr.strip()[-300:]}"
    return None


def _has_cap_sys_admin() -> bool:
    """Whether this process holds CAP_SYS_ADMIN (bit 21 of CapEff), without which no dockerd can run containers."""
    status = Path("/proc/self/status").read_text()
    effective = next(line.split()[1] for line in status.splitlines() if line.startswith("CapEff:"))
    return bool(int(effective, 16) >> 21 & 1)


def _package_version(package: str, field: str = "Version") -> str:
    return subprocess.run(["dpkg-query", "-W", f"-f=${{{field}}}", package], capture_output=True, text=True, check=True).stdout.strip()


@contextlib.contextmanager
def cache_lock(kind: str) -> Iterator[Path]:
    """The cache folder, ``kind``'s images held by this process alone (a second test run on the machine waits)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{kind}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield CACHE


class Engine:
    """One dockerd of our own; :meth:`cli` runs Debian's client against it."""

    name = "docker"

    def __init__(self, data_root: Path) -> None:
        self.data_root = data_root
        self.run_dir = Path(tempfile.mkdtemp(prefix="ck-dockerd-"))  # short: the sockets inside must fit 108 bytes
        self.socket = self.run_dir / "docker.sock"
        self.log = self.run_dir / "dockerd.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> None:
        command = [
            DOCKERD, "--data-root", str(self.data_root), "--exec-root", str(self.run_dir / "exec"),
            "--pidfile", str(self.run_dir / "dockerd.pid"), "--host", f"unix://{self.socket}",
            "--iptables=false", "--ip6tables=false", "--bridge=none",
            # Where a system containerd runs (docker.io's service), this dockerd uses it: namespaces of its own keep
            # it from the system dockerd's containers ("moby"), which it would otherwise list and clean up as its own.
            "--containerd-namespace", "course-kit", "--containerd-plugins-namespace", "course-kit-plugins",
        ]  # fmt: skip
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while self.cli("version", check=False).returncode != 0:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"dockerd did not start; its log ends:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.5)

    def stop(self) -> None:
        """SIGTERM to our dockerd (it stops its containers and its containerd), SIGKILL after 30 s."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def command(self) -> tuple[list[str], dict[str, str]]:
        """The client's command line and environment."""
        return [DOCKER], {**os.environ, "DOCKER_HOST": f"unix://{self.socket}"}

    def cli(
        self, *args: str, input: bytes | None = None, check: bool = True, timeout: float = 900
    ) -> subprocess.CompletedProcess[bytes]:
        """The engine's client (docker's command line, which podman's mirrors) with ``args``."""
        client, env = self.command()
        done = subprocess.run([*client, *args], input=input, capture_output=True, env=env, timeout=timeout, cwd="/")
        if check and done.returncode:
            raise RuntimeError(f"{self.name} {' '.join(args[:3])} ... exited {done.returncode}: {done.stderr.decode()[-3000:]}")
        return done

    def has_image(self, tag: str) -> bool:
        return self.cli("image", "inspect", tag, check=False).returncode == 0

    def keep_only(self, repository: str, tag: str) -> None:
        """Remove the other tags of ``repository`` (older caches), so that the data root does not grow run by run."""
        listed = self.cli("images", "--format", "{{.Repository}} {{.Tag}}").stdout.decode().splitlines()
        pairs = [line.split() for line in listed if len(line.split()) == 2]
        stale = [f"{name}:{t}" for name, t in pairs if name.removeprefix("localhost/") == repository and t != tag]  # podman: localhost/
        if stale:
            self.cli("rmi", *stale, check=False)

    def version(self) -> str:
        return f"Docker {self.cli('version', '--format', '{{.Server.Version}}').stdout.decode().strip()}"


class RootlessPodman(Engine):
    """Debian's podman, rootless, as :data:`PODMAN_USER` (created here): no daemon, its images in that user's home."""

    name = "podman"

    def __init__(self, home: Path) -> None:
        self.home = home
        self.process = None

    def start(self, timeout: float = 60) -> None:
        if subprocess.run(["id", PODMAN_USER], capture_output=True).returncode:
            subprocess.run(["useradd", "--create-home", "--home-dir", str(self.home), PODMAN_USER], check=True)  # +subuids
        self.cli("info", timeout=timeout)

    def stop(self) -> None:
        """No daemon: each grading container is removed after its run; only podman's pause process (which keeps
        the user's namespace between commands) is left, and it is stopped by its pid file."""
        uid = subprocess.run(["id", "-u", PODMAN_USER], capture_output=True, text=True, check=True).stdout.strip()
        pause = Path(f"/tmp/podman-run-{uid}/libpod/tmp/pause.pid")  # podman's place without an XDG_RUNTIME_DIR
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pause.read_text()), signal.SIGTERM)

    def command(self) -> tuple[list[str], dict[str, str]]:
        env = {"HOME": str(self.home), "USER": PODMAN_USER, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        return ["runuser", "-u", PODMAN_USER, "--", "env", "-i", *(f"{k}={v}" for k, v in env.items()), PODMAN], env

    def version(self) -> str:
        return f"rootless podman {self.cli('version', '--format', '{{.Client.Version}}').stdout.decode().strip()}"


@contextlib.contextmanager
def engine(kind: str = "docker") -> Iterator[Engine]:
    """A started :class:`Engine` (or :class:`RootlessPodman`) keeping its images under the cache, stopped (by pid)
    afterwards; leftovers of a killed run are removed first."""
    with cache_lock(kind) as cache:
        started = Engine(cache / "docker") if kind == "docker" else RootlessPodman(cache / "podman-home")
        started.start()
        try:
            started.cli("container", "prune", "--force")
            yield started
        finally:
            started.stop()


# -- the image -----------------------------------------------------------------------------------------------------


def host_suite() -> tuple[str, str]:
    """(codename, mirror): the host's Debian suite and the first apt source that serves it."""
    release = dict(
        line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line
    )
    codename = release["VERSION_CODENAME"].strip('"')
    for path in sorted(Path("/etc/apt").glob("sources.list.d/*.sources")):  # deb822: URIs: / Suites: per stanza
        for stanza in path.read_text().split("\n\n"):
            fields = dict(line.split(":", 1) for line in stanza.splitlines() if ":" in line and not line.startswith("#"))
            if codename in fields.get("Suites", "").split() and "deb" in fields.get("Types", "").split():
                return codename, fields["URIs"].split()[0]
    for path in [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt").glob("sources.list.d/*.list"))]:
        for line in path.read_text().splitlines() if path.exists() else []:
            words = [w for w in line.split() if not w.startswith("[")]
            if len(words) >= 3 and words[0] == "deb" and words[2] == codename:
                return codename, words[1]
    raise RuntimeError(f"no apt source for {codename} in /etc/apt")


def base_image(docker: Engine) -> str:
    """``course-kit/debian:<suite>-<hash>``: ``debootstrap --variant=minbase`` of the host's suite, imported."""
    codename, mirror = host_suite()
    key = hashlib.sha256(f"{codename} {mirror} minbase {_package_version('debootstrap')}".encode()).hexdigest()[:12]
    tag = f"course-kit/debian:{codename}-{key}"
    if not docker.has_image(tag):
        with tempfile.TemporaryDirectory(prefix="rootfs-", dir=CACHE) as rootfs:
            subprocess.run(
                ["debootstrap", "--variant=minbase", codename, rootfs, mirror], check=True, capture_output=True, timeout=900
            )
            # mkdtemp made it 0700, and the archive's "." entry carries that mode to the image's "/": Docker's overlay2
            # ignores it, rootless podman's storage applies it, and every uid but root is then refused everything.
            os.chmod(rootfs, 0o755)
            archive = f"{rootfs}.tar"
            try:
                subprocess.run(["tar", "-C", rootfs, "-cf", archive, "."], check=True)
                docker.cli("import", archive, tag)
            finally:
                Path(archive).unlink(missing_ok=True)
        docker.keep_only("course-kit/debian", f"{codename}-{key}")
    return tag


def pip_passthrough() -> tuple[dict[str, str], list[str]]:
    """The host's pip configuration for a build container: (``PIP_*`` environment, ``docker --volume`` mounts).

    Read from ``pip config list`` (files and ``PIP_*`` variables). Local folders (``/opt/wheels``) are mounted
    at the same path; a ``file://`` index at its parent folder, since a simple index links to its files
    relatively; single files (the CA bundle, a constraints file) under :data:`HOST_FILES`, where a package of
    the image cannot write over them.
    """
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    env: dict[str, str] = {}
    mounts: dict[str, str] = {}
    for line in listed:  # global.find-links='/opt/wheels', :env:.cert='...'; a variable wins over a file
        key, _, value = line.partition("=")
        name = "PIP_" + key.rsplit(".", 1)[-1].upper().replace("-", "_")
        if key.startswith(":env:") or name not in env:
            env[name] = value.strip("'\"")
    for name, value in env.items():
        words = []
        for word in value.split():
            path = Path(word.removeprefix("file://"))
            if path.is_absolute() and path.is_file():
                inside = f"{HOST_FILES}/{name.lower()}-{path.name}"
                mounts[str(path)] = inside
                word = inside
            elif path.is_absolute() and path.is_dir():
                folder = path.parent if word.startswith("file://") else path
                mounts[str(folder)] = str(folder)
            words.append(word)
        env[name] = " ".join(words)
    return env, [f"{host}:{inside}:ro" for host, inside in sorted(mounts.items())]


def _setup_key(autograder_zip: Path, base: str, env: Mapping[str, str]) -> str:
    """What ``setup.sh`` reads: itself, the requirements, the install rule; the base image and pip's settings."""
    h = hashlib.sha256(f"{base}\n{sorted(env.items())}".encode())
    with zipfile.ZipFile(autograder_zip) as z:
        for name in ("setup.sh", "requirements.txt", "autograder/install.py"):
            h.update(z.read(name))
    return h.hexdigest()[:12]


def _tar(entries: Mapping[str, Path | bytes]) -> bytes:
    """A tar of ``{path in the container: folder, file or bytes}``, everything owned by root, for ``docker cp -``."""
    buffer = io.BytesIO()

    def owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for inside, source in entries.items():
            name = inside.lstrip("/")
            if isinstance(source, bytes):
                info = owned_by_root(tarfile.TarInfo(name))
                info.size, info.mode = len(source), 0o644
                tar.addfile(info, io.BytesIO(source))
            else:
                tar.add(source, arcname=name, filter=lambda i: None if "__pycache__" in i.name else owned_by_root(i))
    return buffer.getvalue()


def _zip_tree(autograder_zip: Path, prefix: str) -> bytes:
    """The zip's files as a tar under ``prefix`` with the zip's modes (setup.sh and run_autograder executable)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(autograder_zip) as z, tarfile.open(fileobj=buffer, mode="w") as tar:
        for item in z.infolist():
            if item.is_dir():
                continue
            data = z.read(item)
            info = tarfile.TarInfo(f"{prefix}/{item.filename}")
            info.size, info.mode = len(data), (item.external_attr >> 16) & 0o777 or 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


# Gradescope's image build: the zip's contents in /autograder/source, then its setup.sh (as root, from there).
BUILD = (
    "set -e; rm -rf /autograder/source; mv /autograder/incoming /autograder/source; "
    "cp /autograder/source/run_autograder /autograder/run_autograder; cd /autograder/source; ./setup.sh"
)


@dataclass
class Built:
    image: str
    seconds: float
    cached: bool  # True when setup.sh ran on top of the environment of an earlier, identical set-up
    log: str


def gradescope_image(docker: Engine, autograder_zip: Path) -> Built:
    """The image Gradescope would build from ``autograder_zip``, tagged by the zip's hash."""
    start = time.perf_counter()
    base = base_image(docker)
    env, mounts = pip_passthrough()
    key = _setup_key(autograder_zip, base, env)
    digest = hashlib.sha256(autograder_zip.read_bytes()).hexdigest()[:12]
    cached = docker.has_image(f"{SETUP_TAG}:{key}")
    name = f"course-kit-build-{os.getpid()}"
    docker.cli("rm", "--force", name, check=False)
    create = ["create", "--name", name, "--network", "host", "--workdir", "/autograder"]
    for mount in mounts:
        create += ["--volume", mount]
    for variable, value in env.items():
        create += ["--env", f"{variable}={value}"]
    docker.cli(*create, f"{SETUP_TAG}:{key}" if cached else base, "bash", "-c", BUILD)
    try:
        docker.cli("cp", "-", f"{name}:/", input=_zip_tree(autograder_zip, "autograder/incoming"))
        done = docker.cli("start", "--attach", name, check=False, timeout=1800)
        log = (done.stdout + done.stderr).decode(errors="replace")
        if done.returncode:
            raise RuntimeError(f"setup.sh failed ({done.returncode}); its output ends:\n{log[-4000:]}")
        image = f"{IMAGE_TAG}:{digest}"
        docker.cli("commit", "--change", 'CMD ["/autograder/run_autograder"]', "--change", "WORKDIR /autograder", name, image)
    finally:
        docker.cli("rm", "--force", name, check=False)
    if not cached:
        docker.cli("tag", image, f"{SETUP_TAG}:{key}")
    docker.keep_only(SETUP_TAG, key)
    docker.keep_only(IMAGE_TAG, digest)
    docker.cli("image", "prune", "--force", check=False)
    return Built(image, time.perf_counter() - start, cached, log)


# -- seccomp profiles and grading runs ------------------------------------------------------------------------------


def default_profile(cache: Path) -> dict[str, Any]:
    """Docker's default seccomp profile, as shipped in the Debian source package docker.io is built from."""
    version = _package_version("docker.io", "source:Version")
    folder = cache / f"profile-{version}"
    path = folder / PROFILE_IN_PACKAGE
    if not path.exists():
        with tempfile.TemporaryDirectory(dir=cache) as download:
            command = ["apt-get", "download", f"{PROFILE_PACKAGE}={version}"]
            if subprocess.run(command, cwd=download, capture_output=True, timeout=300).returncode:  # stale package lists
                subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True, timeout=600)
                subprocess.run(command, cwd=download, check=True, capture_output=True, timeout=300)
            (deb,) = Path(download).glob("*.deb")
            subprocess.run(["dpkg-deb", "-x", str(deb), str(folder)], check=True)
    profile: dict[str, Any] = json.loads(path.read_text())
    return profile


def without(profile: dict[str, Any], calls: set[str]) -> dict[str, Any]:
    """``profile`` with ``calls`` taken out of every rule: the profile's default action (EPERM) refuses them."""
    rules = [{**rule, "names": [n for n in rule["names"] if n not in calls]} for rule in profile["syscalls"]]
    return {**profile, "syscalls": [rule for rule in rules if rule["names"]]}


@dataclass
class Ran:
    returncode: int
    output: str  # stdout and stderr of the container
    seconds: float
    files: dict[str, bytes]  # what was under ``fetch`` afterwards, by path relative to it

    def json(self, name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.files[name])
        return data


def run(
    docker: Engine,
    image: str,
    command: list[str],
    files: Mapping[str, Path | bytes],
    profile: Path | None,
    fetch: str = "/autograder/results",
    timeout: float = 900,
) -> Ran:
    """Run ``command`` in a fresh container of ``image`` with ``files`` copied in; the files under ``fetch``."""
    name = f"course-kit-run-{os.getpid()}-{time.monotonic_ns()}"
    create = ["create", "--name", name, "--network", "none"]
    if profile is not None:
        create += ["--security-opt", f"seccomp={profile}"]
    docker.cli(*create, image, *command)
    try:
        docker.cli("cp", "-", f"{name}:/", input=_tar(files))
        start = time.perf_counter()
        done = docker.cli("start", "--attach", name, check=False, timeout=timeout)
        seconds = time.perf_counter() - start
        fetched = docker.cli("cp", f"{name}:{fetch}", "-", check=False)
    finally:
        docker.cli("rm", "--force", name, check=False)
    out: dict[str, bytes] = {}
    if fetched.returncode == 0:
        with tarfile.open(fileobj=io.BytesIO(fetched.stdout)) as tar:
            for member in tar.getmembers():
                extracted = tar.extractfile(member) if member.isfile() else None
                if extracted is not None:
                    out[member.name.split("/", 1)[-1]] = extracted.read()
    return Ran(done.returncode, (done.stdout + done.stderr).decode(errors="replace"), seconds, out)
