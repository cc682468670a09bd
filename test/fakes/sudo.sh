#!/bin/sh
# A stand-in for `sudo -n` in tests (handmade): records its arguments in $FAKE_SUDO_LOG, refuses
# as sudo does when FAKE_SUDO_REFUSE is set, and otherwise runs the command by its base name from
# PATH (the fake powermetrics for /usr/bin/powermetrics), relaying SIGTERM, SIGINT and SIGHUP to
# it the way sudo relays signals it receives from other processes.
echo "$*" >> "${FAKE_SUDO_LOG:?fake sudo: FAKE_SUDO_LOG is not set}"
[ "$1" = -n ] || { echo "fake sudo: expected -n" >&2; exit 64; }
shift
if [ -n "${FAKE_SUDO_REFUSE:-}" ]; then
  echo "sudo: a password is required" >&2
  exit 1
fi
command="${1##*/}"
shift
"$command" "$@" &
child=$!
trap 'kill -TERM $child' TERM
trap 'kill -INT $child' INT
trap 'kill -HUP $child' HUP
status=0
while kill -0 "$child" 2>/dev/null; do
  wait "$child"
  status=$?
done
exit "$status"
