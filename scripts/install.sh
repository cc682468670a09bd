#!/usr/bin/env bash
# Installs, upgrades or removes macos-agent on a Mac from the checkout this script is in (or --from
# DIR), with its production dependencies and the SMC addon built, links $PREFIX/bin/macos-agent to
# it, writes a commented config if there is none, and installs and starts the launchd service.
#
# The system service starts as root, so everything it runs or reads sits in trees only root can
# change, none under a Homebrew prefix (that belongs to the admin who installed Homebrew): the
# package and a copy of Node.js in /usr/local/libexec/macos-agent, the config in
# /etc/macos-agent/config.yaml, logs in /var/log/macos-agent. It runs as the role account
# _macos_agent; only powermetrics runs as root, through a sudoers drop-in allowing exactly its
# command lines. The user service lives under $PREFIX: $PREFIX/opt/macos-agent, $PREFIX/etc and
# $PREFIX/var/log.
#
#   sudo scripts/install.sh              system service (LaunchDaemon, all sources)
#   scripts/install.sh --user            user service (LaunchAgent: no powermetrics)
#   sudo scripts/install.sh --uninstall  remove it (keeps config and logs; --purge removes them)
#
# Non-interactive. Re-running upgrades in place. The new package is built in a staging folder
# and swapped in at the end; any failure names its step and puts back what was there before.
set -euo pipefail

readonly MIN_MACOS_MAJOR=13
readonly MIN_NODE_MAJOR=22
readonly MIN_NODE_MINOR=15
readonly PACKAGE=macos-agent

usage() {
  cat <<EOF
Usage: scripts/install.sh [--system|--user] [--prefix DIR] [--from DIR] [--node PATH]
                          [--state-dir DIR] [--uninstall [--purge]] [--dry-run]

  --system        LaunchDaemon run as the role account _macos_agent: all sources, powermetrics
                  through sudo (default as root)
  --user          LaunchAgent in your login session: no powermetrics (default otherwise)
  --prefix DIR    where the command is linked, and where the user service is installed
                  (default: /opt/homebrew on Apple Silicon, /usr/local on Intel)
  --node PATH     the Node.js to run (default: node on PATH); the system service copies it into
                  its package and needs one that loads no library from outside macOS's own
  --from DIR      the macos-agent package to install (default: the checkout holding this script)
  --state-dir DIR the service's state folder (default: /var/db/macos-agent; with --user,
                  ~/Library/Application Support/macos-agent)
  --uninstall     stop and remove the service, the package and the command; keep config and logs
  --purge         with --uninstall: also remove the config, the logs and the state folder
  --dry-run       print every action, change nothing
EOF
}

say() { printf '%s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

MODE=""
PREFIX=""
FROM=""
NODE=""
STATE_DIR=""
ACTION=install
PURGE=0
DRY_RUN=0
while [ $# -gt 0 ]; do
  case "$1" in
    --system) MODE=system ;;
    --user) MODE=user ;;
    --prefix) [ $# -ge 2 ] || die "--prefix needs a folder"; PREFIX="$2"; shift ;;
    --from) [ $# -ge 2 ] || die "--from needs a folder"; FROM="$2"; shift ;;
    --node) [ $# -ge 2 ] || die "--node needs the path of a node binary"; NODE="$2"; shift ;;
    --state-dir) [ $# -ge 2 ] || die "--state-dir needs a folder"; STATE_DIR="$2"; shift ;;
    --uninstall) ACTION=uninstall ;;
    --purge) PURGE=1 ;;
    --dry-run) DRY_RUN=1 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
  shift
done
[ "$PURGE" = 0 ] || [ "$ACTION" = uninstall ] || die "--purge goes with --uninstall"
# The system folders, relocated below a root of their own only by tests and packagers (sudo
# does not pass the variable on).
SYSTEM_ROOT="${MACOS_AGENT_SYSTEM_ROOT:-}"
SYSTEM_ROOT="${SYSTEM_ROOT%/}"
readonly ROLE_ACCOUNT=_macos_agent

STEP="start"
# Undo actions for a failed run, newest first; each is a command line run with eval.
ROLLBACK=()
STAGE=""
OLD=""

on_exit() {
  local code=$?
  trap - EXIT
  if [ "$code" -ne 0 ] && [ "$DRY_RUN" = 0 ]; then
    printf 'install.sh: step "%s" failed (exit %s)\n' "$STEP" "$code" >&2
    if [ "${#ROLLBACK[@]}" -gt 0 ]; then
      printf 'install.sh: putting back what was there before\n' >&2
      local i
      for ((i = ${#ROLLBACK[@]} - 1; i >= 0; i--)); do
        eval "${ROLLBACK[$i]}" >&2 || printf 'install.sh: could not undo: %s\n' "${ROLLBACK[$i]}" >&2
      done
    fi
  fi
  [ -z "$STAGE" ] || rm -rf "$STAGE"
  [ -z "$OLD" ] || [ ! -d "$OLD" ] || rm -rf "$OLD"
  exit "$code"
}
trap on_exit EXIT

# Runs a command, or only prints it with --dry-run.
run() {
  if [ "$DRY_RUN" = 1 ]; then
    say "would run: $(quote "$@")"
  else
    say "+ $(quote "$@")"
    "$@"
  fi
}

quote() {
  local out="" arg
  for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9_./:@%+=,-]+$ ]]; then out+="$arg "; else out+="'${arg//\'/\'\\\'\'}' "; fi
  done
  printf '%s' "${out% }"
}

# Prints the first folder at or above $1 (from the nearest that exists, on the path as given and on
# its physical path) that is not root's, or is writable by group or others without the sticky bit
# (/tmp's, where nobody may rename what root owns); fails when there is none.
untrusted_folder() {
  local dir="$1" physical start
  local -a chain=()
  while [ ! -e "$dir" ]; do parent_folder "$dir"; [ "$PARENT" != "$dir" ] || break; dir="$PARENT"; done
  physical="$(cd "$dir" && pwd -P)"
  for start in "$dir" "$physical"; do
    dir="$start"
    while :; do
      chain+=("$dir")
      parent_folder "$dir"
      [ "$PARENT" != "$dir" ] || break
      dir="$PARENT"
    done
  done
  # One find for the whole chain, nearest folder first; -quit stops at the first that fails.
  dir="$(find "${chain[@]}" -maxdepth 0 \( ! -user 0 -o \( ! -type l \( -perm -0020 -o -perm -0002 \) ! -perm -1000 \) \) -print -quit)"
  [ -n "$dir" ] || return 1
  printf '%s' "$dir"
}

# Sets PARENT to the folder above $1 (what dirname prints), without starting a process per call.
parent_folder() {
  local path="$1"
  while [ "${path%/}" != "$path" ] && [ "$path" != / ]; do path="${path%/}"; done
  case "$path" in
    /) PARENT=/ ;;
    */*) path="${path%/*}"; while [ "${path%/}" != "$path" ]; do path="${path%/}"; done; PARENT="${path:-/}" ;;
    *) PARENT=. ;;
  esac
}

version_at_least() { # have_major have_minor need_major need_minor
  [ "$1" -gt "$3" ] || { [ "$1" -eq "$3" ] && [ "$2" -ge "$4" ]; }
}

STEP="check the platform"
[ "$(uname -s)" = Darwin ] || die "macos-agent runs on macOS; this is $(uname -s)"
ARCH="$(uname -m)"
case "$ARCH" in
  arm64) DEFAULT_PREFIX=/opt/homebrew ;;
  x86_64)
    DEFAULT_PREFIX=/usr/local
    if [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || true)" = 1 ]; then
      die "this shell runs under Rosetta on an Apple Silicon Mac: run the script natively (arch -arm64 /bin/bash scripts/install.sh ...)"
    fi
    ;;
  *) die "unsupported architecture $ARCH: macos-agent supports arm64 (Apple Silicon) and x86_64 (Intel)" ;;
esac
MACOS_VERSION="$(sw_vers -productVersion)"
MACOS_MAJOR="${MACOS_VERSION%%.*}"
[[ "$MACOS_MAJOR" =~ ^[0-9]+$ ]] || die "cannot read the macOS version from sw_vers -productVersion: \"$MACOS_VERSION\""
[ "$MACOS_MAJOR" -ge "$MIN_MACOS_MAJOR" ] || die "macOS $MACOS_VERSION is not supported: macos-agent needs macOS $MIN_MACOS_MAJOR (Ventura) or later"

PREFIX="${PREFIX:-$DEFAULT_PREFIX}"
case "$PREFIX" in /*) ;; *) PREFIX="$(pwd)/$PREFIX" ;; esac
PREFIX="${PREFIX%/}"
BIN="$PREFIX/bin/$PACKAGE"
# launchd starts the service in /, so a relative state folder is taken from where this runs.
case "$STATE_DIR" in /*|'') ;; *) STATE_DIR="$(pwd)/$STATE_DIR" ;; esac

STEP="check privileges"
USER_ID="$(id -u)"
MODE="${MODE:-$([ "$USER_ID" = 0 ] && echo system || echo user)}"
if [ "$MODE" = system ]; then
  OPT="$SYSTEM_ROOT/usr/local/libexec/$PACKAGE"
  ETC="$SYSTEM_ROOT/etc/$PACKAGE"
  LOGS="$SYSTEM_ROOT/var/log/$PACKAGE"
  DEFAULT_STATE_DIR="$SYSTEM_ROOT/var/db/$PACKAGE"
else
  OPT="$PREFIX/opt/$PACKAGE"
  ETC="$PREFIX/etc/$PACKAGE"
  LOGS="$PREFIX/var/log/$PACKAGE"
  DEFAULT_STATE_DIR="$HOME/Library/Application Support/$PACKAGE"
fi
CONFIG="$ETC/config.yaml"
# The installed command, run by its path: in system mode never through $BIN, whose folder may be
# a Homebrew prefix that another account could change.
COMMAND="$OPT/bin/$PACKAGE"
SUDO_HINT=""
[ "$MODE" != system ] || SUDO_HINT="sudo "
RERUN="sudo $0 --system"
[ "$ACTION" != uninstall ] || RERUN+=" --uninstall"
if [ "$MODE" = system ] && [ "$USER_ID" != 0 ]; then
  if [ "$DRY_RUN" = 1 ]; then
    say "note: the system service needs root; for real, run: $RERUN"
  else
    die "the system service (LaunchDaemon started by root, runs as $ROLE_ACCOUNT) needs root to install: run $RERUN (or use --user for the unprivileged LaunchAgent)"
  fi
fi
if [ "$MODE" = user ] && [ "$USER_ID" = 0 ]; then
  die "the user service is a LaunchAgent in your login session: run this script without sudo, or install the system service with --system"
fi
SERVICE_FLAGS=("--$MODE" --prefix "$PREFIX")
[ -z "$STATE_DIR" ] || SERVICE_FLAGS+=(--state-dir "$STATE_DIR")

if [ "$ACTION" = uninstall ]; then
  STEP="stop and remove the service"
  if [ -x "$COMMAND" ]; then
    run "$COMMAND" service uninstall "${SERVICE_FLAGS[@]}"
  else
    say "no $COMMAND: no service to remove through it"
  fi
  STEP="remove the package"
  if [ -L "$BIN" ] || [ -e "$BIN" ]; then run rm -f "$BIN"; fi
  [ ! -e "$OPT" ] || run rm -rf "$OPT"
  if [ "$PURGE" = 1 ]; then
    STEP="purge config, logs and state"
    STATE_DIR="${STATE_DIR:-$DEFAULT_STATE_DIR}"
    for dir in "$ETC" "$LOGS" "$STATE_DIR"; do
      # Only folders of our own: a mistyped --state-dir must not take anything else with it.
      if [ "${dir##*/}" != "$PACKAGE" ]; then
        say "kept $dir: --purge removes only folders named $PACKAGE"
      elif [ -e "$dir" ]; then
        run rm -rf "$dir"
      fi
    done
    say "macos-agent removed, with its config, logs and state."
  else
    say "macos-agent removed. Kept: config $CONFIG, logs $LOGS (remove them with: ${SUDO_HINT}$0 --uninstall --purge)."
  fi
  exit 0
fi

STEP="check Node.js"
# sudo may drop Homebrew's bin folder from PATH: look there too.
[ -n "$NODE" ] || NODE="$(command -v node || true)"
[ -n "$NODE" ] || [ ! -x "$PREFIX/bin/node" ] || NODE="$PREFIX/bin/node"
[ -n "$NODE" ] || die "Node.js is not installed: macos-agent needs Node.js >= $MIN_NODE_MAJOR.$MIN_NODE_MINOR — install it with: brew install node (or from https://nodejs.org), then run this script again"
NODE_VERSION="$("$NODE" --version)"
if [[ "$NODE_VERSION" =~ ^v([0-9]+)\.([0-9]+)\. ]]; then
  version_at_least "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "$MIN_NODE_MAJOR" "$MIN_NODE_MINOR" \
    || die "Node.js $NODE_VERSION at $NODE is too old: macos-agent needs >= $MIN_NODE_MAJOR.$MIN_NODE_MINOR — upgrade it with: brew upgrade node (or install it from https://nodejs.org)"
else
  die "cannot read the Node.js version from $NODE --version: \"$NODE_VERSION\""
fi
NPM="$(command -v npm || true)"
[ -n "$NPM" ] || [ ! -x "$(dirname "$NODE")/npm" ] || NPM="$(dirname "$NODE")/npm"
[ -n "$NPM" ] || die "npm is not installed next to $NODE: install Node.js with npm (brew install node)"
if [ "$USER_ID" = 0 ] && [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ] && [ -z "${npm_config_cache:-}" ]; then
  # sudo keeps the caller's HOME on macOS: without this, npm would leave root-owned files in ~/.npm.
  export npm_config_cache=~root/.npm
fi
case "$NODE" in /*) ;; *) NODE="$(pwd)/$NODE" ;; esac
# The Node.js the service runs: in system mode, a copy inside the root-owned package.
SERVICE_NODE="$NODE"
[ "$MODE" != system ] || SERVICE_NODE="$OPT/bin/node"

if [ "$MODE" = system ]; then
  STEP="check that the system service's folders are root's"
  for target in "$OPT" "$ETC" "$LOGS" "$(dirname "${STATE_DIR:-$DEFAULT_STATE_DIR}")"; do
    if bad="$(untrusted_folder "$target")"; then
      die "$target is not in a root-owned tree: $bad is not owned by root, or is writable by group or others; the system service starts as root, so whoever can change it could run code as root — fix: sudo chown root:wheel '$bad' && sudo chmod go-w '$bad'"
    fi
  done
fi

STEP="check the package source"
FROM="${FROM:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
if ! grep -qs '"name": *"macos-agent"' "$FROM/package.json"; then
  die "$FROM is not a macos-agent package (no package.json named macos-agent): run the script from a checkout, or pass --from DIR"
fi
BUILD=0
# dist/macos-agent.js is the bundle (scripts/bundle.mjs) that the command and the service run.
if [ ! -f "$FROM/dist/macos-agent.js" ] || [ -n "$(find "$FROM/agent" -name '*.ts' -newer "$FROM/dist/macos-agent.js" 2>/dev/null | head -n 1)" ]; then
  if [ ! -f "$FROM/tsconfig.json" ] || [ ! -d "$FROM/agent" ] || [ ! -f "$FROM/scripts/bundle.mjs" ]; then
    die "$FROM has neither a built dist/ nor the TypeScript sources to build one"
  fi
  BUILD=1
fi
if [ -f "$FROM/binding.gyp" ] && ! xcode-select -p >/dev/null 2>&1; then
  die "building the SMC addon needs Apple's Command Line Tools: run xcode-select --install, then this script again"
fi
VERSION="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$FROM/package.json" | head -n 1)"

say "installing macos-agent $VERSION ($MODE service) under $PREFIX from $FROM"
say "  macOS $MACOS_VERSION on $ARCH, Node.js $NODE_VERSION ($NODE)"

if [ "$DRY_RUN" = 1 ]; then
  STAGE_SHOWN="$(dirname "$OPT")/.$PACKAGE.new.XXXXXX"
  say "would create $STAGE_SHOWN and copy the package into it"
  [ "$BUILD" = 0 ] || { say "would run in a build folder: $(quote "$NPM" ci --ignore-scripts)"; say "would run in a build folder: $(quote "$NPM" run build)"; }
  say "would run in $STAGE_SHOWN: $(quote "$NPM" ci --omit=dev --no-audit --no-fund)"
  if [ "$MODE" = system ]; then
    say "would copy $NODE to $STAGE_SHOWN/bin/node and check with otool -L that it loads only macOS's own libraries"
    say "would make $STAGE_SHOWN root's and not writable by group or others"
  fi
  say "would write $STAGE_SHOWN/bin/$PACKAGE (runs $SERVICE_NODE)"
  if [ -e "$OPT" ]; then say "would move $STAGE_SHOWN to $OPT (replacing the installed one)"; else say "would move $STAGE_SHOWN to $OPT"; fi
  say "would link $BIN -> $COMMAND"
  if [ -e "$CONFIG" ]; then say "would keep $CONFIG"; else say "would write $CONFIG (the commented default, launchd/config.default.yaml)"; fi
  if [ "$MODE" = system ]; then
    say "the service would run as the role account $ROLE_ACCOUNT (created with dscl if missing); only /usr/bin/powermetrics runs as root"
    say "would write the sudoers drop-in $SYSTEM_ROOT/etc/sudoers.d/$PACKAGE allowing $ROLE_ACCOUNT exactly the powermetrics command lines of $CONFIG (checked with visudo -cf)"
    say "root-owned paths the service runs or reads: $SERVICE_NODE, $OPT/dist/macos-agent.js, $CONFIG, $LOGS"
  else
    say "would create $LOGS"
  fi
  say "would run: $(quote "$COMMAND" service install "${SERVICE_FLAGS[@]}" --node "$SERVICE_NODE")"
  say "would run: $(quote "$COMMAND" service status "${SERVICE_FLAGS[@]}")"
  exit 0
fi

STEP="stage the package"
mkdir -p "$(dirname "$OPT")"
STAGE="$(mktemp -d "$(dirname "$OPT")/.$PACKAGE.new.XXXXXX")"
chmod 755 "$STAGE"
if [ "$BUILD" = 1 ]; then
  STEP="build the TypeScript"
  BUILD_DIR="$STAGE/.build"
  mkdir -p "$BUILD_DIR"
  mkdir -p "$BUILD_DIR/scripts"
  cp -R "$FROM/package.json" "$FROM/package-lock.json" "$FROM/tsconfig.json" "$FROM/agent" "$BUILD_DIR/"
  cp "$FROM/scripts/bundle.mjs" "$BUILD_DIR/scripts/"
  # No install scripts: only the compiler and the bundler are needed here, not the addon or the bundled Node.
  (cd "$BUILD_DIR" && run "$NPM" ci --ignore-scripts --no-audit --no-fund && run "$NPM" run build)
  cp -R "$BUILD_DIR/dist" "$STAGE/dist"
  rm -rf "$BUILD_DIR"
else
  cp -R "$FROM/dist" "$STAGE/dist"
fi
STEP="stage the package"
for item in package.json package-lock.json binding.gyp native launchd README.md LICENSE; do
  [ ! -e "$FROM/$item" ] || cp -R "$FROM/$item" "$STAGE/"
done
# The installed copy has no compiler: drop the script that would run it on `npm ci`.
"$NODE" -e '
  const fs = require("node:fs");
  const file = process.argv[1];
  const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
  delete pkg.scripts?.prepare;
  fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
' "$STAGE/package.json"

STEP="install dependencies and build the SMC addon"
(cd "$STAGE" && run "$NPM" ci --omit=dev --no-audit --no-fund)

STEP="write the command"
mkdir -p "$STAGE/bin"
if [ "$MODE" = system ]; then
  STEP="copy Node.js into the package"
  cp "$NODE" "$STAGE/bin/node"
  command -v otool >/dev/null || die "otool is missing: it comes with Apple's Command Line Tools (xcode-select --install)"
  # A library Node.js loads from a folder another account owns (Homebrew's node loads its libuv,
  # ICU and OpenSSL from the prefix) would run that account's code in the service.
  while read -r lib _; do
    case "$lib" in
      /usr/lib/*|/System/*) ;;
      *) die "Node.js at $NODE loads $lib, which is not one of macOS's own libraries: whoever can change it could run code in the service — install the official Node.js for macOS (https://nodejs.org; self-contained, in /usr/local/bin) and run: sudo $0 --system --node /usr/local/bin/node" ;;
    esac
  done < <(otool -L "$STAGE/bin/node" | tail -n +2)
  STEP="write the command"
fi
cat > "$STAGE/bin/$PACKAGE" <<EOF
#!/bin/sh
# Written by scripts/install.sh: runs macos-agent with the Node.js it was installed for
# (not whatever node comes first on PATH, which under sudo may be none).
exec $(quote "$SERVICE_NODE") $(quote "$OPT/dist/macos-agent.js") "\$@"
EOF
chmod 755 "$STAGE/bin/$PACKAGE"
if [ "$MODE" = system ]; then
  # The service starts this code as root: nobody else may be able to change it.
  chown -R 0:0 "$STAGE"
  chmod -R go-w "$STAGE"
fi

STEP="swap in the new package"
if [ -e "$OPT" ]; then
  OLD="$(mktemp -d "$(dirname "$OPT")/.$PACKAGE.old.XXXXXX")"
  rmdir "$OLD"
  mv "$OPT" "$OLD"
  # Undone newest first: the old package goes back, then the service is installed from it again.
  ROLLBACK+=("[ ! -x $(quote "$COMMAND") ] || $(quote "$COMMAND") service install $(quote "${SERVICE_FLAGS[@]}") --node $(quote "$SERVICE_NODE") >/dev/null")
  ROLLBACK+=("rm -rf $(quote "$OPT") && mv $(quote "$OLD") $(quote "$OPT") && OLD=''")
else
  ROLLBACK+=("rm -rf $(quote "$OPT")")
fi
mv "$STAGE" "$OPT"
STAGE=""
say "installed the package in $OPT"

STEP="link the command"
mkdir -p "$PREFIX/bin"
if [ ! -L "$BIN" ] && [ ! -e "$BIN" ]; then ROLLBACK+=("rm -f $(quote "$BIN")"); fi
ln -sfn "$COMMAND" "$BIN"
say "linked $BIN"

STEP="write the default config"
if [ -e "$CONFIG" ]; then
  CONFIG_NOTE="kept"
else
  [ -d "$ETC" ] || ROLLBACK+=("rm -rf $(quote "$ETC")")
  mkdir -p "$ETC"
  cp "$OPT/launchd/config.default.yaml" "$CONFIG.tmp"
  chmod 644 "$CONFIG.tmp"
  mv "$CONFIG.tmp" "$CONFIG"
  ROLLBACK+=("rm -f $(quote "$CONFIG")")
  CONFIG_NOTE="written (all defaults, commented)"
fi
say "config $CONFIG: $CONFIG_NOTE"

STEP="create the log folder"
# The system service's log folder is made by `service install`: root's, with files of the role account.
if [ "$MODE" = user ]; then
  [ -d "$LOGS" ] || ROLLBACK+=("rmdir $(quote "$LOGS") 2>/dev/null || true")
  mkdir -p "$LOGS"
fi

STEP="install and start the $MODE service"
ROLLBACK+=("$(quote "$COMMAND") service uninstall $(quote "${SERVICE_FLAGS[@]}") >/dev/null || true")
"$COMMAND" service install "${SERVICE_FLAGS[@]}" --node "$SERVICE_NODE"

STEP="verify that the service runs"
"$COMMAND" service status "${SERVICE_FLAGS[@]}" >/dev/null

ROLLBACK=()
cat <<EOF

macos-agent $VERSION is installed and running as the $MODE service.
  package  $OPT
  command  $BIN
  config   $CONFIG: $CONFIG_NOTE
  logs     $LOGS
EOF
if [ "$MODE" = user ]; then
  say "  powermetrics is off in the user service (it needs root); for power and thermal data: sudo $0 --system"
fi
cat <<EOF
Next steps:
  1. Point it at your collector: set exporter.endpoint in $CONFIG, then: ${SUDO_HINT}macos-agent service restart
  2. See what it collects:      macos-agent --once
  3. Check the service:         macos-agent service status
  4. Upgrade: pull and run this script again. Remove: ${SUDO_HINT}$0 --uninstall [--purge]
EOF
