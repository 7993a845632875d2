# shellcheck shell=bash
# Sourced by the scripts that drive a running service from the outside (grpc-tools.sh,
# schemathesis.sh): the service in embedded mode, started and stopped one way.
# Needs: the repository root as the working directory.

# embedded_env NAME DATA_DIR: no external server of any kind, a fresh secret, jobs off. The caller
# sets HOST, PORT and GRPC_PORT (and anything else) before or after.
embedded_env() {
  export DATA_DIR="$2" LOG_LEVEL=warn JOBS_ENABLED=false
  AUTH_JWT_SECRET="$1-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  export AUTH_JWT_SECRET
  unset DATABASE_URL REDIS_URL KAFKA_BROKERS AUTH_SERVICE_URL AUTH_JWKS_URL AUTH_PUBLIC_KEY AUTH_ISSUER AUTH_AUDIENCE \
    PAYMENT_SERVICE_URL WEATHER_API_URL OTEL_EXPORTER_OTLP_ENDPOINT || true
}

# start_service LOG: one process (node with the tsx loader, no wrapper), so its pid is the one to stop.
server_pid=""
start_service() {
  node --import tsx packages/app/src/main.ts > "$1" 2>&1 &
  server_pid=$!
}

# stop_service: SIGTERM, up to 5 s to drain, then SIGKILL.
stop_service() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
