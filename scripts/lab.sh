#!/usr/bin/env bash
# Set up a development environment and open JupyterLab with the extension on an embedded store.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/jupyter-lab ]; then
    python3 -m venv .venv
    .venv/bin/python -m pip install --upgrade pip
    # Builds the TypeScript sidebar (npm) into the package and enables the server extension.
    .venv/bin/python -m pip install -e ".[sklearn,lab]"
fi
# One store at the root: the kernels (discovering upwards from notebooks/) and the server share it.
mkdir -p .artifacts
root_flag=(); [ "$(id -u)" = 0 ] && root_flag=(--allow-root)
exec .venv/bin/jupyter lab "${root_flag[@]}" --notebook-dir="$PWD" "$@" notebooks/01_sklearn_classifier.ipynb
