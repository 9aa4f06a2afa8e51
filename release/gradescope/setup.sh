#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu), from
# /autograder/source (the unpacked autograder.zip). It installs Python >= 3.11 (apt), then the
# pinned CPU build of PyTorch and the grader's pinned requirements into /autograder/venv by the
# kit's one install rule (python -m autograder.install, shipped in this zip).
# AUTOGRADER_ROOT moves the /autograder tree; AUTOGRADER_SKIP_APT=1 skips the apt step and uses
# AUTOGRADER_SETUP_PYTHON (default python3) instead: the kit's tests run the Python part that way.
set -euo pipefail
cd "$(dirname "$0")"
ROOT="${AUTOGRADER_ROOT:-/autograder}"

if [ "${AUTOGRADER_SKIP_APT:-0}" = 1 ]; then
    PY="${AUTOGRADER_SETUP_PYTHON:-python3}"
    echo "setup.sh: AUTOGRADER_SKIP_APT=1: the apt step is skipped; using $PY"
else
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    PY=python3
    if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        apt-get install -y -qq python3.11 python3.11-venv
        PY=python3.11
    else
        apt-get install -y -qq python3-venv
    fi
fi

"$PY" -m autograder.install --venv "$ROOT/venv" -r requirements.txt
"$ROOT/venv/bin/python" -c "import autograder.grading.runner, torch; print('grader ready, torch', torch.__version__)"
# The grader's files are root's alone: where the host gives the worker neither Landlock nor a mount namespace, its
# dedicated uid then reaches nothing of the suites or the reference ("files" by ownership, Gradescope's own advice
# for /autograder/source); the grader checks it from inside the worker before any student code runs.
chmod -R go-rwx .  # this folder: the unpacked zip (/autograder/source on Gradescope)
