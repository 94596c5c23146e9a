# A throwaway S3-compatible server for the tests: `source .ci/moto.sh`.
# Installs moto's server (and the `deltalake` Python reader the tests check
# the tables with) from PyPI if missing, starts `moto_server` on 127.0.0.1
# (a free port from 5329), exports KUSTOMER_TEST_S3 and the AWS_* variables
# the S3 client reads, and stops the server when the sourcing shell exits.
# Does nothing if KUSTOMER_TEST_S3 is already set.

kustomer_s3_start() {
  if [ -n "${KUSTOMER_TEST_S3:-}" ]; then
    echo "s3: using KUSTOMER_TEST_S3 from the environment"
    return 0
  fi
  if ! command -v moto_server >/dev/null 2>&1 || ! python3 -c 'import deltalake, pyarrow' 2>/dev/null; then
    echo "s3: installing moto[server], deltalake and pyarrow from PyPI"
    python3 -m pip install -q --disable-pip-version-check 'moto[server]' deltalake pyarrow ||
      { echo "s3: pip install failed" >&2; return 1; }
    hash -r
  fi
  local port=5329
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    port=$((port + 1))
  done
  KUSTOMER_S3_LOG=$(mktemp /tmp/kustomer-moto.XXXXXX)
  moto_server -H 127.0.0.1 -p "$port" >"$KUSTOMER_S3_LOG" 2>&1 &
  KUSTOMER_S3_PID=$!
  local i
  for i in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  if ! kill -0 "$KUSTOMER_S3_PID" 2>/dev/null; then
    echo "s3: moto_server did not start:" >&2
    cat "$KUSTOMER_S3_LOG" >&2
    return 1
  fi
  # Chain with .ci/postgres.sh's trap rather than replace it.
  trap 'kustomer_s3_stop; kustomer_pg_stop 2>/dev/null || true' EXIT
  export KUSTOMER_TEST_S3="http://127.0.0.1:$port"
  export AWS_ENDPOINT_URL="$KUSTOMER_TEST_S3" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
  echo "s3: moto_server at $KUSTOMER_TEST_S3 (pid $KUSTOMER_S3_PID)"
}

kustomer_s3_stop() {
  if [ -n "${KUSTOMER_S3_PID:-}" ]; then
    kill "$KUSTOMER_S3_PID" 2>/dev/null || true
    wait "$KUSTOMER_S3_PID" 2>/dev/null || true
    rm -f "$KUSTOMER_S3_LOG"
    unset KUSTOMER_S3_PID KUSTOMER_TEST_S3
  fi
}

kustomer_s3_start
