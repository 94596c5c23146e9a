# A throwaway PostgreSQL server for the tests: `source .ci/postgres.sh`.
# Installs PostgreSQL from the system packages if missing (root only), starts
# a server in a temp dir (trust auth, 127.0.0.1 only, a free port from 54329),
# exports KUSTOMER_TEST_PG, and stops it and removes the dir when the sourcing
# shell exits. Does nothing if KUSTOMER_TEST_PG is already set.

kustomer_pg_start() {
  if [ -n "${KUSTOMER_TEST_PG:-}" ]; then
    echo "postgres: using KUSTOMER_TEST_PG from the environment"
    return 0
  fi
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1) || true
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "postgres: not installed; run as root or: apt-get install postgresql" >&2
      return 1
    fi
    echo "postgres: installing from the system packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi

  # PostgreSQL refuses to run as root: as root, run it as the postgres user.
  local as_pg=()
  if [ "$(id -u)" = 0 ]; then
    as_pg=(runuser -u postgres --)
  fi

  local port=54329
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    port=$((port + 1))
  done

  KUSTOMER_PG_DIR=$(mktemp -d /tmp/kustomer-pg.XXXXXX)
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$KUSTOMER_PG_DIR"
  fi
  KUSTOMER_PG_BIN=$bin
  trap kustomer_pg_stop EXIT
  "${as_pg[@]}" "$bin/initdb" -D "$KUSTOMER_PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null ||
    { echo "postgres: initdb failed" >&2; return 1; }
  # fsync off: a throwaway server, faster tests.
  "${as_pg[@]}" "$bin/pg_ctl" -D "$KUSTOMER_PG_DIR/data" -l "$KUSTOMER_PG_DIR/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $KUSTOMER_PG_DIR -c fsync=off" start >/dev/null ||
    { echo "postgres: the server did not start:" >&2; cat "$KUSTOMER_PG_DIR/server.log" >&2; return 1; }
  export KUSTOMER_TEST_PG="postgres://postgres@127.0.0.1:$port/postgres"
  echo "postgres: $("$bin/postgres" --version) at $KUSTOMER_TEST_PG (data in $KUSTOMER_PG_DIR)"
}

kustomer_pg_stop() {
  if [ -n "${KUSTOMER_PG_DIR:-}" ] && [ -d "$KUSTOMER_PG_DIR" ]; then
    local as_pg=()
    if [ "$(id -u)" = 0 ]; then
      as_pg=(runuser -u postgres --)
    fi
    "${as_pg[@]}" "$KUSTOMER_PG_BIN/pg_ctl" -D "$KUSTOMER_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$KUSTOMER_PG_DIR"
    unset KUSTOMER_PG_DIR KUSTOMER_TEST_PG
  fi
}

kustomer_pg_start
