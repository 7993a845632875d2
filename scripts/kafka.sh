#!/usr/bin/env bash
# Run a real single-node Apache Kafka broker (KRaft, combined broker+controller)
# for tests and local runs, without Docker: the jars come from Maven Central via
# scripts/kafka/pom.xml and are cached; the broker is a plain `java` process.
#
#   scripts/kafka.sh fetch    make sure the broker jars are cached; prints KAFKA_JARS=<dir>
#   scripts/kafka.sh start    start (or reuse) a broker; prints KAFKA_BROKERS=127.0.0.1:<port>
#   scripts/kafka.sh stop     SIGTERM, wait, SIGKILL; removes the broker's folder if we made it
#   scripts/kafka.sh status   exit 0 and say so if it runs, exit 1 otherwise
#
# Environment:
#   KAFKA_PORT             client (PLAINTEXT) port, default 9092
#   KAFKA_CONTROLLER_PORT  KRaft controller port, default KAFKA_PORT+1
#   KAFKA_DIR              data/log/pid folder; default a fresh temp folder deleted by `stop`.
#                          A given KAFKA_DIR is kept, and reused (same data) on the next start.
#   KAFKA_CACHE_DIR        jar cache, default $HOME/.cache/backend-event/kafka-<version>
#   KAFKA_HEAP_OPTS        default "-Xms256m -Xmx512m" (the CI machine has 2 cores)
#   KAFKA_START_TIMEOUT    seconds to wait for "Kafka Server started", default 90
#
# testing/services/kafka.ts runs the same broker from Node; keep the broker
# properties and JVM flags of both in sync.
set -euo pipefail

KAFKA_VERSION=3.9.1
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
POM="$SCRIPT_DIR/kafka/pom.xml"
CACHE_DIR="${KAFKA_CACHE_DIR:-${HOME:-/root}/.cache/backend-event/kafka-$KAFKA_VERSION}"
MARKER="$CACHE_DIR/.complete"

PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((PORT + 1))}"
STATE_FILE="${TMPDIR:-/tmp}/backend-event-kafka-$PORT.state"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"

die() { echo "kafka.sh: $*" >&2; exit 1; }

java_bin() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    echo "$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    command -v java
  else
    die "java not found: Kafka $KAFKA_VERSION needs a JDK/JRE 17 (e.g. apt-get install -y openjdk-17-jre-headless) or JAVA_HOME"
  fi
}

check_java() {
  local java major
  java="$(java_bin)"
  # `java -version` prints e.g. 'openjdk version "17.0.15" ...' on stderr.
  major="$("$java" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\).*/\1/p' | head -n1)"
  [ -n "$major" ] || die "cannot tell the version of $java"
  [ "$major" -ge 11 ] || die "$java is Java $major; Kafka $KAFKA_VERSION needs Java 11+ (17 recommended)"
}

pom_hash() { sha256sum "$POM" | cut -d' ' -f1; }

# The cache is complete only when the marker holds the hash of the pom that filled it,
# so editing the pom (new version, new jar) refreshes the cache by itself.
cache_complete() { [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$(pom_hash)" ]; }

cmd_fetch() {
  check_java
  if ! cache_complete; then
    command -v mvn >/dev/null 2>&1 ||
      die "mvn not found and the Kafka jars are not cached in $CACHE_DIR: install Maven 3.8+ (e.g. apt-get install -y maven)"
    local parent tmp
    parent="$(dirname "$CACHE_DIR")"
    mkdir -p "$parent"
    # Copy into a private folder then rename, so a concurrent or interrupted fetch
    # never leaves a half-filled cache that looks complete.
    tmp="$(mktemp -d "$parent/.kafka-fetch.XXXXXX")"
    # sed: Maven 3.8 in quiet mode still prints bare ANSI resets; pipefail keeps mvn's status.
    if ! mvn -q -B -f "$POM" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$tmp" 2>&1 | sed 's/\x1b\[0m//g' >&2; then
      rm -rf "$tmp"
      die "mvn could not fetch the Kafka $KAFKA_VERSION jars (see Maven's output above)"
    fi
    ls "$tmp"/kafka_2.13-*.jar >/dev/null 2>&1 || { rm -rf "$tmp"; die "mvn ran but no kafka_2.13 jar was copied"; }
    pom_hash >"$tmp/.complete"
    rm -rf "$CACHE_DIR.old"
    # An outdated or partial cache (pom changed, marker missing) is moved aside first.
    if [ -e "$CACHE_DIR" ] && ! cache_complete; then mv -T "$CACHE_DIR" "$CACHE_DIR.old"; fi
    # mv -T fails when another fetch won the race; its cache is as good as ours.
    mv -T "$tmp" "$CACHE_DIR" 2>/dev/null || rm -rf "$tmp"
    rm -rf "$CACHE_DIR.old"
    cache_complete || die "jar cache $CACHE_DIR is still incomplete after fetching"
  fi
  echo "KAFKA_JARS=$CACHE_DIR"
}

# Reads the state file (KAFKA_DIR, PID, OWN_DIR, CONTROLLER_PORT) into variables.
load_state() {
  [ -f "$STATE_FILE" ] || return 1
  S_DIR="$(sed -n 's/^KAFKA_DIR=//p' "$STATE_FILE")"
  S_OWN="$(sed -n 's/^OWN_DIR=//p' "$STATE_FILE")"
  S_PID=""
  [ -n "$S_DIR" ] && [ -f "$S_DIR/kafka.pid" ] && S_PID="$(cat "$S_DIR/kafka.pid")"
  return 0
}

# A pid file can outlive its process and the pid be reused: also check it is our broker.
pid_is_broker() {
  local pid="$1"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'
}

# Alive and not a zombie: an orphaned broker is reparented to PID 1, which may reap it
# only a second or more after it exited.
alive() {
  kill -0 "$1" 2>/dev/null && [ "$(sed 's/.*) \([A-Z]\).*/\1/' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

write_configs() {
  local dir="$1"
  cat >"$dir/server.properties" <<EOF
# Single-node KRaft (combined mode), written by scripts/kafka.sh
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=3
auto.create.topics.enable=true
# One broker: internal topics cannot have more replicas than that.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
# Tests create groups constantly; don't wait 3 s for more members to join.
group.initial.rebalance.delay.ms=0
EOF
  # Kafka 3.x logs via slf4j -> reload4j; stdout goes to kafka.log.
  cat >"$dir/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.network.RequestChannel$=WARN
log4j.logger.org.apache.kafka.clients.NetworkClient=WARN
EOF
}

# Fills the array JVM_OPTS (an array, so folders with spaces survive).
jvm_opts() {
  local dir="$1"
  # shellcheck disable=SC2206 # HEAP_OPTS is a space-separated list of flags
  JVM_OPTS=($HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError
    -XX:-UsePerfData -Djava.awt.headless=true
    "-Dlog4j.configuration=file:$dir/log4j.properties" "-Dkafka.logs.dir=$dir")
}

cmd_start() {
  if load_state && pid_is_broker "$S_PID"; then
    echo "KAFKA_BROKERS=127.0.0.1:$PORT"
    return 0
  fi
  # A stale state file (broker died, machine rebooted): clean it up before starting anew.
  if [ -f "$STATE_FILE" ]; then
    [ "${S_OWN:-}" = 1 ] && [ -n "${S_DIR:-}" ] && rm -rf "$S_DIR"
    rm -f "$STATE_FILE"
  fi
  port_open "$PORT" && die "port $PORT is already in use by another process (set KAFKA_PORT)"
  port_open "$CONTROLLER_PORT" && die "controller port $CONTROLLER_PORT is already in use (set KAFKA_CONTROLLER_PORT)"

  local jars java dir own=0
  jars="$(cmd_fetch | sed -n 's/^KAFKA_JARS=//p')"
  java="$(java_bin)"
  if [ -n "${KAFKA_DIR:-}" ]; then
    dir="$KAFKA_DIR"
    mkdir -p "$dir"
  else
    dir="$(mktemp -d "${TMPDIR:-/tmp}/backend-event-kafka-$PORT.XXXXXX")"
    own=1
  fi
  dir="$(cd "$dir" && pwd)"
  write_configs "$dir"
  jvm_opts "$dir"

  # KRaft refuses to start on an unformatted log dir; format once, keep the data after.
  if [ ! -f "$dir/data/meta.properties" ]; then
    local cluster_id
    # A cluster id is 16 random bytes in URL-safe base64 without padding (22 chars).
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    if ! "$java" "${JVM_OPTS[@]}" -cp "$jars/*" kafka.tools.StorageTool format \
        --cluster-id="$cluster_id" -c "$dir/server.properties" >>"$dir/kafka.log" 2>&1; then
      tail -n 40 "$dir/kafka.log" >&2
      [ "$own" = 1 ] && rm -rf "$dir"
      die "formatting the KRaft storage failed"
    fi
  fi

  printf 'KAFKA_DIR=%s\nOWN_DIR=%s\nCONTROLLER_PORT=%s\n' "$dir" "$own" "$CONTROLLER_PORT" >"$STATE_FILE"
  local log_start
  log_start=$(($(wc -c <"$dir/kafka.log" 2>/dev/null || echo 0) + 1))
  # setsid: the broker outlives this script and ignores Ctrl-C/SIGHUP aimed at the caller's
  # terminal; the inner shell writes its own pid, then exec makes that pid the JVM's.
  local detach=()
  if command -v setsid >/dev/null 2>&1; then detach=(setsid); fi
  # shellcheck disable=SC2016 # $$ and $1 belong to the inner shell
  "${detach[@]}" bash -c 'echo $$ >"$1/kafka.pid"; shift; exec "$@"' _ "$dir" \
    "$java" "${JVM_OPTS[@]}" -cp "$jars/*" kafka.Kafka "$dir/server.properties" \
    </dev/null >>"$dir/kafka.log" 2>&1 &
  local launcher=$!

  # An open port is not readiness: the broker logs this line once it is unfenced.
  local deadline=$((SECONDS + START_TIMEOUT)) pid=""
  while [ "$SECONDS" -lt "$deadline" ]; do
    [ -z "$pid" ] && [ -s "$dir/kafka.pid" ] && pid="$(cat "$dir/kafka.pid")"
    # Not grep -q: an early exit would SIGPIPE tail and pipefail would call it a miss.
    if tail -c "+$log_start" "$dir/kafka.log" | grep 'Kafka Server started' >/dev/null; then
      echo "KAFKA_BROKERS=127.0.0.1:$PORT"
      return 0
    fi
    if [ -n "$pid" ] && ! alive "$pid"; then
      break
    fi
    sleep 0.2
  done
  # Clean up before printing, so a reader that stops early cannot leave a stray broker.
  # The launcher's pid becomes the JVM's at exec; it also covers a pid file not yet written.
  local log_tail
  log_tail="$(tail -c "+$log_start" "$dir/kafka.log" | tail -n 40)"
  kill -9 "$launcher" 2>/dev/null || true
  if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi
  wait "$launcher" 2>/dev/null || true
  rm -f "$STATE_FILE"
  if [ "$own" = 1 ]; then rm -rf "$dir"; else rm -f "$dir/kafka.pid"; fi
  echo "kafka.sh: broker on port $PORT did not start within ${START_TIMEOUT}s or exited; last lines of $dir/kafka.log:" >&2
  echo "$log_tail" >&2
  exit 1
}

cmd_stop() {
  if ! load_state; then
    echo "kafka.sh: no broker recorded on port $PORT"
    return 0
  fi
  if pid_is_broker "$S_PID"; then
    kill -TERM "$S_PID" 2>/dev/null || true
    # A clean shutdown flushes logs and writes a clean-shutdown marker, so a restart
    # on the same KAFKA_DIR skips log recovery. Give it 30 s, then force it.
    local i=0
    while alive "$S_PID" && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    if alive "$S_PID"; then
      echo "kafka.sh: broker $S_PID ignored SIGTERM for 30 s; killing it" >&2
      kill -KILL "$S_PID" 2>/dev/null || true
      while alive "$S_PID"; do sleep 0.1; done
    fi
  fi
  if [ "$S_OWN" = 1 ]; then
    rm -rf "$S_DIR"
  else
    rm -f "$S_DIR/kafka.pid"
  fi
  rm -f "$STATE_FILE"
  echo "kafka.sh: broker on port $PORT stopped"
}

cmd_status() {
  if load_state && pid_is_broker "$S_PID"; then
    echo "kafka.sh: running on 127.0.0.1:$PORT (pid $S_PID, dir $S_DIR)"
    echo "KAFKA_BROKERS=127.0.0.1:$PORT"
    return 0
  fi
  echo "kafka.sh: not running on port $PORT"
  return 1
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|stop|status|fetch" >&2; exit 2 ;;
esac
