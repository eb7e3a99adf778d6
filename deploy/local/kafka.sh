#!/usr/bin/env bash
# Local Apache Kafka for development and tests: one KRaft node (broker + controller) on 127.0.0.1,
# run from the release jars that Maven resolves from Maven Central (no Docker, no tarball).
#
#   kafka.sh fetch                 resolve the jars into $VIGIE_KAFKA_HOME (instant once cached)
#   kafka.sh start [--port 9092] [--controller-port PORT+1] [--dir DATA] [--timeout 90]
#                                  format DATA if new, start in the background, wait until the
#                                  broker answers; a second start of a running DATA is a no-op
#   kafka.sh stop [--dir DATA]     stop the broker of DATA and wait for it to exit
#   kafka.sh status [--dir DATA]   exit 0 and print "running ..." or exit 3 and print "stopped"
#
# DATA holds server.properties, the KRaft log dirs, kafka.pid and kafka.log. Starting an existing
# DATA again without --port keeps its ports and topics (a broker restart).
# Environment: VIGIE_KAFKA_VERSION (4.1.1), VIGIE_KAFKA_HOME (jar cache, outside the repository),
# VIGIE_KAFKA_DATA (default DATA), VIGIE_KAFKA_HEAP (512m), MAVEN_OPTS (passed to mvn).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VERSION=${VIGIE_KAFKA_VERSION:-4.1.1}
CACHE=${VIGIE_KAFKA_HOME:-$HOME/.cache/vigie/kafka-$VERSION}
DATA=${VIGIE_KAFKA_DATA:-${TMPDIR:-/tmp}/vigie-kafka}
HEAP=${VIGIE_KAFKA_HEAP:-512m}
PORT=""
CONTROLLER_PORT=""
TIMEOUT=90

die() { echo "kafka.sh: $*" >&2; exit 1; }

parse_args() {
  while (($#)); do
    case $1 in
      --port) PORT=${2:?--port needs a value}; shift 2 ;;
      --controller-port) CONTROLLER_PORT=${2:?--controller-port needs a value}; shift 2 ;;
      --dir) DATA=${2:?--dir needs a value}; shift 2 ;;
      --timeout) TIMEOUT=${2:?--timeout needs a value}; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  DATA=$(realpath -m "$DATA")
}

# The stamp names the version and the pom, so editing either re-resolves instead of mixing jars.
stamp() { echo "$VERSION $(sha256sum "$HERE/pom.xml" | cut -d' ' -f1)"; }

fetched() { [[ -f $CACHE/.fetched && $(cat "$CACHE/.fetched") == "$(stamp)" ]]; }

fetch() {
  if ! fetched; then
    mkdir -p "$CACHE"
    # Parallel test runs share the cache: one resolves, the others wait and find it done.
    exec 9>"$CACHE/.lock"
    flock 9
    fetched || resolve
    exec 9>&-
  fi
  echo "$CACHE"
}

resolve() {
  local out
  command -v mvn >/dev/null || die "mvn is not installed (apt-get install maven)"
  rm -f "$CACHE"/*.jar "$CACHE/.fetched"
  if ! out=$(mvn -B -q -f "$HERE/pom.xml" dependency:copy-dependencies \
      -Dkafka.version="$VERSION" -Dkafka.libs="$CACHE" 2>&1); then
    echo "$out" >&2
    die "could not resolve Apache Kafka $VERSION from Maven Central"
  fi
  stamp >"$CACHE/.fetched"
}

pid_file() { echo "$DATA/kafka.pid"; }

# A zombie still answers kill -0 where the init process does not reap orphans, so read its state.
alive() { [[ -r /proc/$1/stat ]] && [[ $(cut -d' ' -f3 "/proc/$1/stat") != Z ]]; }

# The pid of DATA's broker if it is alive; the command line check guards against a reused pid.
running_pid() {
  local pid
  [[ -f $(pid_file) ]] || return 1
  pid=$(cat "$(pid_file)")
  [[ -n $pid ]] && alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$DATA/server.properties" || return 1
  echo "$pid"
}

# The broker's and the controller's ports, from the listeners line.
listener_ports() { grep '^listeners=' "$DATA/server.properties" | grep -o ':[0-9]\+' | tr -d :; }

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

broker_port() { listener_ports | head -n 1; }

write_properties() {
  cat >"$DATA/server.properties" <<EOF
# Written by deploy/local/kafka.sh: one combined broker + controller node for tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA/logs
num.partitions=1
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
EOF
}

# Static voters rather than --standalone: a restart may then change the controller port freely.
# A formatted DATA keeps its cluster id, so a restart keeps its topics and committed offsets.
format_storage() {
  local cluster_id out
  [[ -f $DATA/logs/meta.properties ]] && return
  cluster_id=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  if ! out=$(java -cp "$CACHE/*" -Dlog4j2.configurationFile="$HERE/log4j2.yaml" \
      kafka.tools.StorageTool format --cluster-id "$cluster_id" \
      --config "$DATA/server.properties" 2>&1); then
    tail -n 20 <<<"$out" >&2
    die "could not format $DATA/logs"
  fi
}

# One ApiVersions v0 request (api key 18, correlation id 1); the broker answers error code 0.
answers() {
  local reply
  reply=$(timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 &&
    printf '\x00\x00\x00\x0f\x00\x12\x00\x00\x00\x00\x00\x01\x00\x05vigie' >&3 &&
    head -c 10 <&3" 2>/dev/null | od -An -tx1 | tr -s ' \n' ' ') || return 1
  [[ $reply == *" 00 00 00 01 00 00 " ]]  # after the size: correlation id 1, error code 0
}

wait_ready() {
  local pid=$1 port=$2 deadline=$((SECONDS + TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! alive "$pid"; then
      tail -n 40 "$DATA/kafka.log" >&2
      die "the broker exited during start-up (log: $DATA/kafka.log)"
    fi
    # The broker listener serves requests only once the broker is unfenced, so an answer means
    # topics can be created right away.
    if answers "$port"; then
      return 0
    fi
    sleep 0.3
  done
  tail -n 40 "$DATA/kafka.log" >&2
  kill -KILL "$pid" 2>/dev/null || true
  die "the broker did not answer on 127.0.0.1:$port within ${TIMEOUT}s (log: $DATA/kafka.log)"
}

start() {
  parse_args "$@"
  local pid started=$SECONDS
  if pid=$(running_pid); then
    echo "already running: pid $pid on 127.0.0.1:$(broker_port) ($DATA)"
    return
  fi
  fetch >/dev/null
  command -v java >/dev/null || die "java is not installed (Java 17 or later)"
  mkdir -p "$DATA"
  if [[ -n $PORT || ! -f $DATA/server.properties ]]; then
    PORT=${PORT:-9092}
    CONTROLLER_PORT=${CONTROLLER_PORT:-$((PORT + 1))}
    write_properties
  fi
  # Another server on these ports would answer the readiness probe in our broker's place.
  for port in $(listener_ports); do
    ! listening "$port" || die "127.0.0.1:$port is already in use"
  done
  format_storage
  nohup java -Xms128m -Xmx"$HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$HERE/log4j2.yaml" -cp "$CACHE/*" \
    kafka.Kafka "$DATA/server.properties" >>"$DATA/kafka.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$(pid_file)"
  wait_ready "$pid" "$(broker_port)"
  echo "running: pid $pid on 127.0.0.1:$(broker_port) ($DATA) after $((SECONDS - started))s"
}

stop() {
  parse_args "$@"
  local pid deadline=$((SECONDS + 60))
  if ! pid=$(running_pid); then
    rm -f "$(pid_file)"
    echo "stopped ($DATA)"
    return
  fi
  kill -TERM "$pid"
  while alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
  if alive "$pid"; then
    echo "kafka.sh: pid $pid ignored SIGTERM for 60s, killing it" >&2
    kill -KILL "$pid"
    while alive "$pid"; do sleep 0.1; done
  fi
  rm -f "$(pid_file)"
  echo "stopped ($DATA)"
}

status() {
  parse_args "$@"
  local pid
  if pid=$(running_pid); then
    echo "running: pid $pid on 127.0.0.1:$(broker_port) ($DATA)"
  else
    echo "stopped ($DATA)"
    exit 3
  fi
}

case ${1:-} in
  fetch) shift; (($# == 0)) || die "fetch takes no options"; fetch ;;
  start | stop | status) cmd=$1; shift; "$cmd" "$@" ;;
  *) die "usage: kafka.sh fetch | start [--port N] [--controller-port N] [--dir DATA]" \
    "[--timeout S] | stop [--dir DATA] | status [--dir DATA]" ;;
esac
