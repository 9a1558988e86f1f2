# Controlling the server the tests run against (sourced after client.bash).
# The tests get PG* settings of a cluster they did not create (pg_virtualenv's
# in make test, a developer's own otherwise), so everything is found from the
# running server itself: its data directory (SHOW data_directory), the
# postmaster (postmaster.pid), its binaries (the postmaster's executable) and
# the user that owns the data. Needs a superuser connection and the same host.

SERVER_DATADIR=$(psql -qXAt -d postgres -c "SHOW data_directory") ||
    fail "cannot read data_directory (the tests need a superuser on the same host)"
[ -n "$SERVER_DATADIR" ] && [ -r "$SERVER_DATADIR/postmaster.pid" ] ||
    fail "cannot read $SERVER_DATADIR/postmaster.pid (run the test as root or as the server's owner)"
SERVER_OWNER=$(stat -c %U "$SERVER_DATADIR")

postmaster_pid() { head -n 1 "$SERVER_DATADIR/postmaster.pid"; }

SERVER_BINDIR=$(dirname "$(readlink "/proc/$(postmaster_pid)/exe")")
[ -x "$SERVER_BINDIR/pg_ctl" ] || fail "no pg_ctl beside the postmaster's executable ($SERVER_BINDIR)"

# as_owner CMD...: runs CMD as the data directory's owner (initdb and the
# postmaster refuse root).
as_owner() {
    if [ "$(id -un)" = "$SERVER_OWNER" ]; then
        "$@"
    elif [ "$(id -u)" -eq 0 ]; then
        runuser -u "$SERVER_OWNER" -- "$@"
    else
        fail "cannot run $1 as $SERVER_OWNER (the data directory's owner)"
    fi
}

# The server log: where the postmaster writes its stderr now (pg_ctl -l or
# pg_ctlcluster's log file), so a restart keeps logging to the same file.
SERVER_LOG=$(readlink "/proc/$(postmaster_pid)/fd/2" || true)
if [ ! -f "$SERVER_LOG" ]; then
    SERVER_LOG=$(mktemp /tmp/clara-test-server-XXXXXX.log)
    chown "$SERVER_OWNER" "$SERVER_LOG"
fi

wait_for_server() {
    for _ in $(seq 1 300); do
        psql -qXAt -d postgres -c "SELECT 1" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    fail "the server did not come back"
}

# stop_immediate: pg_ctl stop -m immediate (every process quits at once, no
# checkpoint: the next start runs crash recovery from the WAL).
stop_immediate() {
    as_owner "$SERVER_BINDIR/pg_ctl" stop -D "$SERVER_DATADIR" -m immediate -w >/dev/null ||
        fail "pg_ctl stop -m immediate failed"
}

# start_again: starts the server stopped by stop_immediate with the options it
# was started with (pg_ctl restart reads them from postmaster.opts), then waits
# until it accepts connections.
start_again() {
    as_owner "$SERVER_BINDIR/pg_ctl" restart -D "$SERVER_DATADIR" -w -l "$SERVER_LOG" >/dev/null 2>&1 ||
        fail "pg_ctl restart failed (log: $SERVER_LOG)"
    wait_for_server
}
