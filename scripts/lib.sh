# Shared shell helpers for scripts/demo, scripts/test and benches/run. Source it; do not run it.
# Everything here is idempotent: safe to run again on a machine that already has it all.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_MAJOR=15
PG_CONFIG="/usr/bin/pg_config"
PG_BIN="/usr/lib/postgresql/${PG_MAJOR}/bin"
PGRX_VERSION="0.18.1"
export PATH="${HOME}/.cargo/bin:${PATH}"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Installs what a fresh Debian machine lacks: Postgres 15 with headers, clang, sudo, rustfmt and
# clippy, cargo-pgrx 0.18.1, and pgrx's registration of the system Postgres.
ensure_toolchain() {
    local packages=(postgresql-${PG_MAJOR} postgresql-server-dev-${PG_MAJOR} postgresql-contrib
        libclang-dev clang sudo build-essential pkg-config ca-certificates python3)
    local missing=()
    for package in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$package")
    done
    if ((${#missing[@]})); then
        log "installing Debian packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    if ! command -v cargo >/dev/null; then
        echo "cargo (Rust) is required: install it with rustup first" >&2
        exit 1
    fi
    if ! cargo fmt --version >/dev/null 2>&1; then
        log "installing rustfmt"
        rustup component add rustfmt
    fi
    if ! cargo clippy --version >/dev/null 2>&1; then
        log "installing clippy"
        rustup component add clippy
    fi
    if ! cargo pgrx --version 2>/dev/null | grep -q "${PGRX_VERSION}"; then
        log "installing cargo-pgrx ${PGRX_VERSION} (takes a few minutes)"
        cargo install cargo-pgrx --version "${PGRX_VERSION}" --locked
    fi
    if ! grep -qs "pg${PG_MAJOR} *= *\"${PG_CONFIG}\"" "${PGRX_HOME:-${HOME}/.pgrx}/config.toml"; then
        log "registering ${PG_CONFIG} with pgrx"
        cargo pgrx init --pg${PG_MAJOR} "${PG_CONFIG}" >/dev/null
    fi
}

# private_postgres_tree DIR: a private copy of the Postgres 15 installation in DIR (binaries and
# share copied: Postgres and pg_config find their directories relative to the real path of the
# binary; libraries and headers linked; no crm_metrics files), made once per Postgres version.
# Its pg_config is "DIR$(PG_CONFIG --bindir)/pg_config": whatever installs through it (cargo pgrx
# test, scripts/dev-cluster) writes DIR, never the system Postgres.
private_postgres_tree() {
    local tree=$1 bindir sharedir pkglibdir includedir
    bindir="$("$PG_CONFIG" --bindir)"
    sharedir="$("$PG_CONFIG" --sharedir)"
    pkglibdir="$("$PG_CONFIG" --pkglibdir)"
    includedir="$("$PG_CONFIG" --includedir)"
    if [ "$(cat "$tree/complete" 2>/dev/null)" = "$("$PG_CONFIG" --version)" ]; then return; fi
    rm -rf "$tree"
    mkdir -p "$tree$bindir" "$tree$pkglibdir" "$(dirname "$tree$sharedir")" "$(dirname "$tree$includedir")"
    cp -a "$bindir/." "$tree$bindir/"
    cp -a "$sharedir" "$(dirname "$tree$sharedir")/"
    ln -s "$includedir" "$tree$includedir"
    for file in "$pkglibdir"/*; do ln -s "$file" "$tree$pkglibdir/"; done
    rm -f "$tree$pkglibdir"/crm_metrics* "$tree$sharedir"/extension/crm_metrics*
    "$PG_CONFIG" --version >"$tree/complete"
}

# Builds the extension in release mode and installs it into the system Postgres 15.
install_extension() {
    log "building and installing crm_metrics into Postgres ${PG_MAJOR}"
    bash "$REPO_ROOT/scripts/install" "$PG_CONFIG"
}

# Installs what the real-client tests (tests/clients) need when missing: psycopg 3, node with
# npm, a JDK and the PostgreSQL JDBC driver.
ensure_client_toolchain() {
    local packages=(python3-psycopg libpostgresql-jdbc-java)
    command -v node >/dev/null || packages+=(nodejs)
    command -v npm >/dev/null || packages+=(npm)
    command -v javac >/dev/null || packages+=(default-jdk-headless)
    local missing=()
    for package in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$package")
    done
    if ((${#missing[@]})); then
        log "installing Debian packages for the client tests: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

# Runs a command as the postgres OS user (initdb refuses root).
as_postgres() {
    if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

# Where throwaway clusters live: .run/ in the repository when the postgres user can reach it,
# else a directory under /tmp named after the repository path.
run_dir() {
    local dir="$REPO_ROOT/.run"
    mkdir -p "$dir"
    chmod 755 "$dir"
    if ! as_postgres test -x "$dir" 2>/dev/null; then
        dir="/tmp/crm_metrics-run-$(printf '%s' "$REPO_ROOT" | cksum | cut -d' ' -f1)"
        mkdir -p "$dir"
        chmod 755 "$dir"
    fi
    echo "$dir"
}

# A TCP port nobody listens on, starting from $1.
free_port() {
    local port=$1
    while (echo >"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; do port=$((port + 1)); done
    echo "$port"
}

# start_cluster DIR [PORT] [extra postgres -c settings...]: a throwaway cluster owned by postgres
# in DIR (created afresh), listening on 127.0.0.1 and a socket in DIR. Sets PGHOST, PGPORT, PGUSER;
# PGPORT is the port it listens on, which is past PORT when PORT cannot be bound yet.
start_cluster() {
    local dir=$1 port=${2:-$(free_port 54330)}
    shift 2 || shift $#
    stop_cluster "$dir"
    rm -rf "$dir"
    mkdir -p "$dir"
    chown postgres:postgres "$dir"
    chmod 700 "$dir"
    as_postgres "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 \
        --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; exit 1; }
    local settings attempt
    # A port that refuses connections can still be unbindable for a while (a connection of an
    # earlier cluster in TIME-WAIT): when the server cannot bind, try the next free port.
    for attempt in 1 2 3 4 5; do
        settings=(-c "port=${port}" -c "listen_addresses=127.0.0.1" -c "unix_socket_directories=${dir}"
            -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=1GB
            -c work_mem=256MB -c maintenance_work_mem=1GB -c max_wal_size=4GB
            -c wal_level=minimal -c max_wal_senders=0 "$@")
        if as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "$(printf '%q ' "${settings[@]}")" start >/dev/null 2>"$dir/pg_ctl.log"; then
            export PGHOST="$dir" PGPORT="$port" PGUSER=postgres
            return 0
        fi
        if ! grep -q "could not create any TCP/IP sockets" "$dir/server.log" || [ "$attempt" -eq 5 ]; then
            cat "$dir/pg_ctl.log" "$dir/server.log" >&2
            exit 1
        fi
        port=$(free_port $((port + 1)))
    done
}

stop_cluster() {
    local dir=$1
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
}
