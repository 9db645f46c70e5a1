#!/usr/bin/env bash
# One command for everything. On a fresh machine it installs what is missing
# (system packages via apt-get, a .venv, this project), then does its job:
#
#   ./render.sh               render the default video (all scenes, preview quality)
#   ./render.sh test [ARGS]   run the test suite (ARGS go to pytest)
#   ./render.sh setup         only set up
#   ./render.sh [OPTIONS]     any option of `python -m scenes --help`
#
# A second run skips what is already done and starts in seconds.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

# chromium: the test that opens the HTML slides with no network (tests/test_slides.py)
# espeak-ng: the offline voice that speaks the narration (scenes/voice.py)
SYSTEM_PACKAGES=(libcairo2-dev libpango1.0-dev pkg-config fonts-dejavu-core fonts-noto-cjk chromium espeak-ng)
VENV=.venv
PY="$VENV/bin/python"

say() { printf '[render.sh] %s\n' "$*" >&2; }

ensure_system_packages() {
    local missing=() pkg
    for pkg in "${SYSTEM_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return
    say "installing system packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_venv() {
    if [ ! -x "$PY" ]; then
        local python
        python=$(command -v python3.11 || command -v python3)
        say "creating $VENV with $python"
        "$python" -m venv "$VENV"
    fi
    # Re-install only when the declared dependencies changed.
    local stamp="$VENV/.installed" want
    want=$(sha256sum pyproject.toml | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        say "installing the project and its dependencies into $VENV"
        "$PY" -m pip install -q --upgrade pip
        "$PY" -m pip install -q -e ".[test,slides,train]"
        echo "$want" > "$stamp"
    fi
}

ensure_system_packages
ensure_venv

case "${1:-}" in
    setup) say "set-up done" ;;
    test)  shift; exec "$PY" -m pytest "$@" ;;
    *)     exec "$PY" -m scenes "$@" ;;
esac
