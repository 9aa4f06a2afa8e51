#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu), from
# /autograder/source (the unpacked autograder.zip). It installs Python >= 3.11, the pinned CPU
# build of PyTorch and the grader's pinned requirements into /autograder/venv.
set -euo pipefail
cd "$(dirname "$0")"

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
PY=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    apt-get install -y -qq python3.11 python3.11-venv
    PY=python3.11
else
    apt-get install -y -qq python3-venv
fi

"$PY" -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --quiet --upgrade pip
/autograder/venv/bin/python -m pip install --quiet --index-url @TORCH_INDEX@ @TORCH_PIN@
/autograder/venv/bin/python -m pip install --quiet -r requirements.txt
/autograder/venv/bin/python -c "import autograder.grading.runner, torch; print('grader ready, torch', torch.__version__)"
