#!/usr/bin/env bash
# The checks that need tools `npm install` does not bring (`npm test` needs none of them): the
# scripts through ShellCheck, libplist round trips of the launchd plists the CLI writes, promtool on
# the alert rules and their unit tests, amtool on the Alertmanager config `stack` generates (and any
# other), visudo on sudoers drop-ins, the GitHub workflow against its schema, and the daemon
# through a full 60 s collector outage.
#
#   npm run check [-- FILE.alertmanager.yaml ...]
#
# A missing tool is named with its Debian package and Homebrew formula and fails the check: nothing
# is skipped silently. .ci/run installs them with apt-get. It runs the project's node,
# action-validator and vitest from node_modules/.bin (npm install brings them).
set -euo pipefail
here="${BASH_SOURCE[0]}"
[[ "$here" == */* ]] || here="./$here"
cd "${here%/*}/.."
PATH="$PWD/node_modules/.bin:$PATH"

# command, Debian package, Homebrew formula (or what macOS ships)
readonly TOOLS=(
  'shellcheck|shellcheck|brew install shellcheck'
  'plistutil|libplist-utils|brew install libplist'
  'promtool|prometheus|brew install prometheus'
  'amtool|prometheus-alertmanager|brew install alertmanager'
  'visudo|sudo (it installs visudo in /usr/sbin: have that on PATH)|part of the system (/usr/sbin/visudo)'
)
readonly OUTAGE_MS=60000

say() { printf '%s\n' "$*"; }
fail() { printf 'check: %s\n' "$*" >&2; exit 1; }

missing=0
for entry in "${TOOLS[@]}"; do
  IFS='|' read -r tool debian brew <<<"$entry"
  if ! command -v "$tool" >/dev/null; then
    printf 'check: %s is not installed — Debian: apt-get install %s; macOS: %s\n' "$tool" "$debian" "$brew" >&2
    missing=$((missing + 1))
  fi
done
[ "$missing" = 0 ] || fail "$missing tool(s) missing: install them and run npm run check again (.ci/run does it with apt-get)"
for tool in node action-validator vitest; do
  [ -x "node_modules/.bin/$tool" ] || fail "node_modules/.bin/$tool is missing: run npm install first"
done

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
checks=0
step() { checks=$((checks + 1)); say "== $*"; }

step 'shellcheck: scripts/*.sh and .ci/run'
shellcheck scripts/*.sh .ci/run

# The launchd plist as `service install --dry-run` prints it, through libplist: XML -> binary ->
# XML, then compared with the original as the `plist` package reads both.
for mode in system user; do
  step "plistutil: the $mode service's launchd plist"
  node dist/macos-agent.js service install "--$mode" --dry-run --prefix /opt/homebrew --node /opt/homebrew/bin/node \
    >"$WORK/dry-run-$mode.txt"
  sed -n '/^<?xml/,/^<\/plist>/p' "$WORK/dry-run-$mode.txt" >"$WORK/$mode.plist"
  if [ ! -s "$WORK/$mode.plist" ]; then
    cat "$WORK/dry-run-$mode.txt" >&2
    fail "service install --$mode --dry-run printed no plist (its output is above)"
  fi
  plistutil -i "$WORK/$mode.plist" -o "$WORK/$mode.bplist" -f bin
  plistutil -i "$WORK/$mode.bplist" -o "$WORK/$mode.back.plist" -f xml
  node scripts/same-plist.mjs "$WORK/$mode.plist" "$WORK/$mode.back.plist"
done

step 'promtool: check rules and test rules (test/promtool/) on collector-config --alerts'
node dist/macos-agent.js collector-config --alerts >"$WORK/macos-agent-alerts.yaml"
promtool check rules "$WORK/macos-agent-alerts.yaml"
cp test/promtool/*.test.yaml "$WORK/"
for tests in test/promtool/*.test.yaml; do
  promtool test rules "$WORK/${tests##*/}"
done

# The Alertmanager config `macos-agent stack` generates, without and with a webhook (its token
# read from a Secret's mount), then any *.alertmanager.yaml in the repository or given.
node dist/macos-agent.js stack --out "$WORK/stack" >"$WORK/stack.txt" 2>&1
node dist/macos-agent.js stack --out "$WORK/stack-webhook" --alert-webhook-url https://alerts.example.com/hook \
  --alert-webhook-token-secret alert-webhook-token >"$WORK/stack-webhook.txt" 2>&1
node scripts/alertmanager-config.mjs "$WORK/stack" "$WORK/stack.alertmanager.yaml"
node scripts/alertmanager-config.mjs "$WORK/stack-webhook" "$WORK/stack-webhook.alertmanager.yaml"
alertmanager_configs=("$WORK/stack.alertmanager.yaml" "$WORK/stack-webhook.alertmanager.yaml" "$@")
while IFS= read -r -d '' file; do alertmanager_configs+=("$file"); done \
  < <(find . -path ./node_modules -prune -o -name '*.alertmanager.yaml' -print0)
step "amtool: check-config on macos-agent stack's Alertmanager config (without and with a webhook) and *.alertmanager.yaml"
for file in "${alertmanager_configs[@]}"; do amtool check-config "$file"; done

step 'visudo: the sudoers drop-ins in launchd/examples/sudoers.d/'
sudoers=()
if [ -d launchd/examples/sudoers.d ]; then
  while IFS= read -r -d '' file; do sudoers+=("$file"); done < <(find launchd/examples/sudoers.d -type f -print0)
fi
if [ "${#sudoers[@]}" = 0 ]; then
  say 'visudo: launchd/examples/sudoers.d/ holds no sudoers drop-in: none to check'
else
  for file in "${sudoers[@]}"; do visudo -c -f "$file"; done
fi

step 'action-validator: .github/workflows/*.yml'
for workflow in .github/workflows/*.yml; do
  action-validator "$workflow"
  say "$workflow: valid"
done

step "the daemon through a full $((OUTAGE_MS / 1000)) s collector outage with a restart (test/daemon-outage.test.ts)"
MACOS_AGENT_TEST_OUTAGE_MS="$OUTAGE_MS" vitest run test/daemon-outage.test.ts

say "npm run check: all $checks checks passed"
