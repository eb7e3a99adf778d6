#!/usr/bin/env bash
# Run a command next to one real Kafka broker, shared by every test tier it runs:
#   deploy/local/with-kafka.sh make test-contract test-integration
# Starts kafka.sh on free loopback ports in a temporary folder, exports VIGIE_TEST_KAFKA (and
# VIGIE_TEST_KAFKA_DIR, so tests can stop and restart it), runs the command, then stops and
# deletes the broker whatever happened, and exits with the command's status. A broker that
# cannot start fails the run. With VIGIE_TEST_KAFKA already set, or VIGIE_SKIP_KAFKA=1, the
# command runs as it is.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
(($#)) || { echo "usage: with-kafka.sh COMMAND [ARGS...]" >&2; exit 2; }
if [[ -n ${VIGIE_TEST_KAFKA:-} || ${VIGIE_SKIP_KAFKA:-} == 1 ]]; then
  exec "$@"
fi

# Two distinct ports that were free a moment ago: the broker's and the controller's.
read -r PORT CONTROLLER_PORT < <("${PYTHON:-python3}" -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
')
DATA=$(mktemp -d "${TMPDIR:-/tmp}/vigie-kafka-XXXXXX")
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  "$HERE/kafka.sh" stop --dir "$DATA" >/dev/null || true
  rm -rf "$DATA"
}
trap cleanup EXIT

"$HERE/kafka.sh" start --port "$PORT" --controller-port "$CONTROLLER_PORT" --dir "$DATA"
export VIGIE_TEST_KAFKA="kafka://127.0.0.1:$PORT" VIGIE_TEST_KAFKA_DIR="$DATA"
status=0
"$@" || status=$?
exit "$status"
