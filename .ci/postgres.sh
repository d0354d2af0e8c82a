#!/usr/bin/env bash
# Start a throw-away PostgreSQL server for the store's integration tests; sourced by .ci/run:
#
#     source .ci/postgres.sh        # installs (Debian, as root) and starts the server
#     sigdesk_pg_stop               # stops it (or: pg_ctl -D "$SIGDESK_PG_DIR" stop)
#
# It installs Debian's `postgresql` package when no server binaries are present, starts a
# server on loopback only (127.0.0.1, port $SIGDESK_PG_PORT, default 55432; its Unix socket in
# the data folder, not /var/run), with its data in $SIGDESK_PG_DIR (default /tmp/sigdesk-pg),
# run as the `postgres` system user when we are root (the server refuses to run as root).
# It creates the role and database `sigdesk_test` with a random password (kept in the data
# folder) and exports SIGDESK_TEST_PG_URL and SIGDESK_REQUIRE_PG=1, so that a missing server
# fails the PostgreSQL tests instead of skipping them. Sourcing it again reuses a running
# server. On failure it prints why (and the server log) and returns 1: under `set -e` the
# caller stops.

sigdesk_pg__fail() {
  echo "postgres.sh: $*" >&2
  if [ -n "${SIGDESK_PG_DIR:-}" ] && [ -f "$SIGDESK_PG_DIR/server.log" ]; then
    echo "---- last lines of $SIGDESK_PG_DIR/server.log ----" >&2
    tail -n 30 "$SIGDESK_PG_DIR/server.log" >&2
  fi
  return 1
}

# The newest installed server's bin folder (Debian: /usr/lib/postgresql/<major>/bin).
sigdesk_pg__bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$dir" ] && [ -x "$dir/postgres" ] && [ -x "$dir/initdb" ]; then
    echo "$dir"
  elif command -v postgres >/dev/null && command -v initdb >/dev/null; then
    dirname "$(command -v initdb)"
  fi
}

# Run a command as the server's owner (postgres when we are root, else ourselves).
sigdesk_pg__as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

sigdesk_pg_stop() {
  # Stop the test server started by this script (fast shutdown; the data folder stays).
  local bindir data="${SIGDESK_PG_DIR:-/tmp/sigdesk-pg}/data"
  bindir=$(sigdesk_pg__bindir)
  if [ -n "$bindir" ] && [ -f "$data/postmaster.pid" ]; then
    sigdesk_pg__as_owner "$bindir/pg_ctl" -D "$data" stop -m fast -w >/dev/null
  fi
}

sigdesk_pg_start() {
  export SIGDESK_PG_DIR="${SIGDESK_PG_DIR:-/tmp/sigdesk-pg}"
  export SIGDESK_PG_PORT="${SIGDESK_PG_PORT:-55432}"
  local bindir data sock pass
  data="$SIGDESK_PG_DIR/data"
  sock="$SIGDESK_PG_DIR"

  bindir=$(sigdesk_pg__bindir)
  if [ -z "$bindir" ]; then
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null ||
      { sigdesk_pg__fail "no PostgreSQL server found and cannot install one (needs root" \
          "and apt-get): install Debian's postgresql package"; return 1; }
    echo "postgres.sh: installing Debian's postgresql package" >&2
    # Do not let the package create and start its own 'main' cluster on port 5432.
    if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
      mkdir -p /etc/postgresql-common
      echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
    fi
    apt-get update -qq || { sigdesk_pg__fail "apt-get update failed"; return 1; }
    # (ucf and dpkg keep that file: UCF_FORCE_CONFFOLD, --force-confold)
    DEBIAN_FRONTEND=noninteractive UCF_FORCE_CONFFOLD=1 apt-get install -y -qq \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold postgresql \
      >/dev/null || { sigdesk_pg__fail "apt-get install postgresql failed"; return 1; }
    bindir=$(sigdesk_pg__bindir)
    [ -n "$bindir" ] || { sigdesk_pg__fail "postgresql installed but no server binaries"; return 1; }
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres ||
      { sigdesk_pg__fail "cannot create the postgres system user"; return 1; }
  fi

  mkdir -p "$SIGDESK_PG_DIR"
  [ "$(id -u)" = 0 ] && chown postgres: "$SIGDESK_PG_DIR"
  chmod 700 "$SIGDESK_PG_DIR"
  if [ ! -f "$data/PG_VERSION" ]; then
    rm -rf "$data"
    sigdesk_pg__as_owner "$bindir/initdb" -D "$data" -U postgres --auth-local=peer \
      --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$SIGDESK_PG_DIR/initdb.log" 2>&1 ||
      { cat "$SIGDESK_PG_DIR/initdb.log" >&2; sigdesk_pg__fail "initdb failed in $data"; return 1; }
    # Loopback only; the socket in our folder (no /var/run/postgresql needed).
    sigdesk_pg__as_owner tee -a "$data/postgresql.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $SIGDESK_PG_PORT
unix_socket_directories = '$sock'
max_connections = 100
EOF
  fi
  if ! sigdesk_pg__as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    sigdesk_pg__as_owner "$bindir/pg_ctl" -D "$data" -l "$SIGDESK_PG_DIR/server.log" \
      -w -t 60 start >/dev/null ||
      { sigdesk_pg__fail "the server did not start (port $SIGDESK_PG_PORT busy?)"; return 1; }
  fi
  "$bindir/pg_isready" -q -h 127.0.0.1 -p "$SIGDESK_PG_PORT" -t 30 ||
    { sigdesk_pg__fail "the server does not answer on 127.0.0.1:$SIGDESK_PG_PORT"; return 1; }

  # The test role and database (created once; the password is kept beside the data).
  if [ ! -s "$SIGDESK_PG_DIR/test_password" ]; then
    (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=\n' > "$SIGDESK_PG_DIR/test_password")
  fi
  pass=$(cat "$SIGDESK_PG_DIR/test_password")
  sigdesk_pg__as_owner "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$sock" \
    -p "$SIGDESK_PG_PORT" -U postgres -d postgres >/dev/null <<EOF ||
SELECT 'CREATE ROLE sigdesk_test LOGIN CREATEDB'
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sigdesk_test') \gexec
ALTER ROLE sigdesk_test PASSWORD '$pass';
SELECT 'CREATE DATABASE sigdesk_test OWNER sigdesk_test'
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'sigdesk_test') \gexec
EOF
    { sigdesk_pg__fail "cannot create the sigdesk_test role and database"; return 1; }

  export SIGDESK_TEST_PG_URL="postgresql://sigdesk_test:$pass@127.0.0.1:$SIGDESK_PG_PORT/sigdesk_test"
  export SIGDESK_REQUIRE_PG=1
  echo "postgres.sh: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on" \
    "127.0.0.1:$SIGDESK_PG_PORT (data $data; stop with sigdesk_pg_stop)" >&2
}

sigdesk_pg_start
