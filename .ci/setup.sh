# Installs what building and testing need, skipping whatever is already there at the right
# version. Sourced by serve.sh and test.sh; safe to run any number of times.
# Usage: source .ci/setup.sh [--test]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WITH_TEST_TOOLS=false
[ "${1:-}" = "--test" ] && WITH_TEST_TOOLS=true

log() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

# Build outputs live outside the clone so that later runs (and CI in a fresh clone) reuse them.
# A machine where the cache folder can't be made falls back to the clone's own target/.
if [ -z "${CARGO_TARGET_DIR:-}" ]; then
  if mkdir -p /var/cache/labshare/target 2>/dev/null && [ -w /var/cache/labshare/target ]; then
    export CARGO_TARGET_DIR=/var/cache/labshare/target
  else
    export CARGO_TARGET_DIR="$ROOT/target"
  fi
fi
# Incremental compilation only pays while editing; in the shared cache it grew by gigabytes a run
# and once filled the disk.
export CARGO_INCREMENTAL=0
export PATH="$HOME/.cargo/bin:$ROOT/end2end/node_modules/.bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
APT_UPDATED=false
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  if [ "$APT_UPDATED" = false ]; then $SUDO apt-get update -q >/dev/null; APT_UPDATED=true; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

apt_install pkg-config gcc curl
# Node.js may come from elsewhere than Debian (with its own npm): only install it when missing.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then apt_install nodejs npm; fi
if $WITH_TEST_TOOLS; then
  # Debian's Chromium for the browser tests (no browser download), CJK fonts so that Chinese
  # renders, Python's aiosmtpd as a real SMTP server, PostgreSQL for the second backend (and
  # openssl to make its test certificates).
  apt_install chromium fonts-noto-cjk python3-aiosmtpd postgresql openssl python3-venv
  # nginx for the several-servers test, which runs its own: the package's service is not
  # started (a policy-rc.d refusing it for the install, unless the machine has one already).
  if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
    if [ -e /usr/sbin/policy-rc.d ]; then
      apt_install nginx-light
    else
      printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
      $SUDO chmod +x /usr/sbin/policy-rc.d
      apt_install nginx-light
      $SUDO rm -f /usr/sbin/policy-rc.d
    fi
  fi
fi

# The REST API's checks: the OpenAPI validator, schemathesis and a calendar parser, pinned, in a
# virtual environment in the cache folder (from the Python package index).
if $WITH_TEST_TOOLS; then
  API_TOOLS="$CARGO_TARGET_DIR/api-tools"
  API_TOOL_PINS="schemathesis==4.32.5 openapi-spec-validator==0.9.0 icalendar==7.3.2"
  if [ "$(cat "$API_TOOLS/pins" 2>/dev/null)" != "$API_TOOL_PINS" ]; then
    log "installing the API checkers ($API_TOOL_PINS)"
    rm -rf "$API_TOOLS"
    python3 -m venv "$API_TOOLS"
    # shellcheck disable=SC2086
    "$API_TOOLS/bin/pip" install -q $API_TOOL_PINS
    echo "$API_TOOL_PINS" > "$API_TOOLS/pins"
  fi
  export API_TOOLS
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32 target"
  rustup target add wasm32-unknown-unknown
fi

CARGO_LEPTOS_VERSION=0.3.10
if ! cargo leptos --version 2>/dev/null | grep -q " $CARGO_LEPTOS_VERSION"; then
  log "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 10 minutes, once)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
fi

# cargo-deny checks licences, bans and sources of every dependency in the test command.
CARGO_DENY_VERSION=0.20.2
if $WITH_TEST_TOOLS && ! cargo deny --version 2>/dev/null | grep -q " $CARGO_DENY_VERSION"; then
  log "installing cargo-deny $CARGO_DENY_VERSION (a few minutes, once)"
  cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked
fi

# wasm-bindgen's CLI must match the library version locked in Cargo.lock exactly.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION"; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# wasm-opt (binaryen 132, from npm: Debian's 108 breaks hydration) and Playwright, pinned by
# end2end/package-lock.json.
if [ ! -x "$ROOT/end2end/node_modules/.bin/wasm-opt" ] || [ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]; then
  log "installing npm packages (binaryen, Playwright)"
  (cd "$ROOT/end2end" && npm ci --no-audit --no-fund --loglevel=error)
fi

# The site (wasm, JS, CSS) is written to target/site inside the workspace by cargo-leptos.
export LEPTOS_SITE_ROOT="$ROOT/target/site"
