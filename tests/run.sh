#!/usr/bin/env bash
# Runs easdav's whole test suite on a fresh machine.
#
# Installs what the tests need and nothing else: Debian's libwbxml2-utils (the
# independent WBXML implementation we cross-check against) and nginx (reverse
# proxy in the end-to-end suite), and a Python venv in .venv with the peers
# listed in tests/requirements.txt (pyactivesync, caldav, caldav-server-tester,
# vdirsyncer, radicale). Then it runs every Rust test; the tests that drive the
# Python peers are Rust integration tests that spawn them, so one runner
# reports everything.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

log() { printf '\n== %s\n' "$*"; }

# --- Debian packages -------------------------------------------------------
missing=()
command -v wbxml2xml >/dev/null 2>&1 || missing+=(libwbxml2-utils)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- Python peers ----------------------------------------------------------
venv="$root/.venv"
stamp="$venv/.requirements.sha256"
want=$(sha256sum tests/requirements.txt | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "creating Python venv with the test peers"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
    "$venv/bin/pip" install -q -r tests/requirements.txt
    echo "$want" > "$stamp"
fi
export EASDAV_PYTHON="$venv/bin/python"
export EASDAV_VENV="$venv"

# --- Rust ------------------------------------------------------------------
log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
log "cargo test"
cargo test --workspace --locked --no-fail-fast
