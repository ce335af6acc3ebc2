#!/usr/bin/env bash
# Install (or upgrade, or uninstall) the platform on Debian as systemd services. Run as root from a
# checkout of the repository. Idempotent: every step looks at what is there first, so running it
# again changes only what is missing or out of date. docs/operations.md says what it does and why.
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT=""                     # a throwaway root: every path below is prefixed with it (tests, packaging)
PREFIX=/opt/pdm
ETC_DIR=/etc/pdm
DATA_DIR=/var/lib/pdm
UNIT_DIR=/etc/systemd/system
PDM_USER=pdm
DB_NAME=pdm
DB_ROLE=pdm
TENANT="${PDM_TENANT:-default}"
ADMIN_USER="${PDM_ADMIN_USER:-admin}"
PYTHON=python3.11
SKIP=","
DRY_RUN=0
UNINSTALL=0
STEPS="apt user code venv frontend env db timeseries admin units start"
APT_PACKAGES="python3.11 python3.11-venv python3-pip postgresql redis-server influxdb nodejs npm rsync"
UNITS="pdm-web.service pdm-worker.service pdm-worker-live.service pdm-beat.service"
INFLUXDB_DROPIN="influxdb.service.d/pdm.conf"

usage() {
    cat <<EOF
Usage: sudo deploy/install.sh [options]

Installs the platform: Debian packages, the '$PDM_USER' system user, the code in $PREFIX, its
virtualenv, the dashboard build, $ETC_DIR/pdm.env with generated secrets (mode 600), the
PostgreSQL role and database, the InfluxDB database (check_timeseries), a first admin login and
the systemd units (enabled and started). Safe to run again (upgrade: pull, then run it).

Options:
  --uninstall         stop and remove the units, the code and the user; keep $ETC_DIR,
                      $DATA_DIR and all data (PostgreSQL, InfluxDB)
  --dry-run           print the commands that would change something; change nothing
  --root DIR          install below DIR (a throwaway root; implies --skip apt,db,timeseries,admin,start)
  --prefix DIR        code and venv (default $PREFIX)
  --etc-dir DIR       configuration (default $ETC_DIR)
  --data-dir DIR      data directory PDM_DATA_DIR (default $DATA_DIR)
  --unit-dir DIR      systemd units (default $UNIT_DIR)
  --skip STEP[,STEP]  leave out steps of: ${STEPS// /, }
  --no-start          same as --skip start (units enabled, not started)
  -h, --help          this text

Environment: PDM_TENANT (tenant of the first admin, default 'default'), PDM_ADMIN_USER
(default 'admin'), PDM_ADMIN_EMAIL.
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --uninstall) UNINSTALL=1 ;;
        --dry-run) DRY_RUN=1 ;;
        --root) ROOT="${2:?--root needs a directory}"; shift ;;
        --prefix) PREFIX="${2:?}"; shift ;;
        --etc-dir) ETC_DIR="${2:?}"; shift ;;
        --data-dir) DATA_DIR="${2:?}"; shift ;;
        --unit-dir) UNIT_DIR="${2:?}"; shift ;;
        --skip) SKIP="$SKIP${2:?--skip needs step names},"; shift ;;
        --no-start) SKIP="${SKIP}start," ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

for step in ${SKIP//,/ }; do
    case " $STEPS " in *" $step "*) ;; *) echo "install.sh: unknown step '$step' (steps: $STEPS)" >&2; exit 2 ;; esac
done
if [ -n "$ROOT" ]; then
    ROOT="$(mkdir -p "$ROOT" && cd "$ROOT" && pwd)"
    SKIP="${SKIP}apt,db,timeseries,admin,start,"
fi
if [ "$(id -u)" != 0 ] && [ "$DRY_RUN" = 0 ]; then
    echo "install.sh: run as root (sudo deploy/install.sh), or with --dry-run" >&2
    exit 1
fi

R_PREFIX="$ROOT$PREFIX"; R_ETC="$ROOT$ETC_DIR"; R_DATA="$ROOT$DATA_DIR"; R_UNITS="$ROOT$UNIT_DIR"
ENV_FILE="$R_ETC/pdm.env"

log() { printf '== %s\n' "$*"; }
run() {  # a command that changes something: printed, and run unless --dry-run
    if [ "$DRY_RUN" = 1 ]; then printf 'would run: %s\n' "$*"; else "$@"; fi
}
wants() { case "$SKIP" in *",$1,"*) return 1 ;; *) return 0 ;; esac; }
has_systemd() { [ -z "$ROOT" ] && [ -d /run/systemd/system ]; }
user_exists() { id -u "$PDM_USER" >/dev/null 2>&1; }
owner() { if user_exists; then run chown -R "$PDM_USER:$PDM_USER" "$@"; fi; }

env_value() {  # the value of KEY in the env file
    sed -n "s/^$1=//p" "$ENV_FILE" 2>/dev/null | tail -n 1
}

as_pdm() {  # run a manage.py command as the pdm user with the env file loaded
    (
        set -a
        # shellcheck disable=SC1090
        . "$ENV_FILE"
        set +a
        cd "$R_PREFIX"
        run runuser -u "$PDM_USER" -- "$R_PREFIX/.venv/bin/python" manage.py "$@"
    )
}

psql_admin() { runuser -u postgres -- psql -X -v ON_ERROR_STOP=1 -tA "$@"; }

# --- steps --------------------------------------------------------------------------------------

step_apt() {
    local missing=()
    for pkg in $APT_PACKAGES; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        log "Debian packages: ${missing[*]}"
        run env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    fi
    # Redis keeps queued wake-ups across a restart (CONTRACTS §17.4).
    if [ -f /etc/redis/redis.conf ] && ! grep -qE '^appendonly yes' /etc/redis/redis.conf; then
        log "Redis: appendonly yes"
        run sed -i -E 's/^#?\s*appendonly .*/appendonly yes/' /etc/redis/redis.conf
        grep -qE '^appendonly' /etc/redis/redis.conf || run sh -c 'echo "appendonly yes" >> /etc/redis/redis.conf'
        if has_systemd; then run systemctl restart redis-server; fi
    fi
    if has_systemd; then
        for svc in postgresql redis-server influxdb; do
            systemctl is-enabled --quiet "$svc" 2>/dev/null || run systemctl enable --now "$svc"
        done
    fi
}

step_user() {
    if ! user_exists; then
        log "system user $PDM_USER"
        run useradd --system --home-dir "$DATA_DIR" --no-create-home --shell /usr/sbin/nologin "$PDM_USER"
    fi
}

step_code() {
    log "code -> $R_PREFIX"
    run mkdir -p "$R_PREFIX" "$R_DATA"
    run rsync -a --delete \
        --exclude=/.git --exclude=/.venv --exclude=/var --exclude=/frontend/node_modules \
        --exclude=/frontend/dist --exclude=__pycache__ --exclude=.ruff_cache --exclude=.mypy_cache \
        "$SRC/" "$R_PREFIX/"
    owner "$R_PREFIX" "$R_DATA"
    run chmod 750 "$R_DATA"
}

step_venv() {
    local venv="$R_PREFIX/.venv"
    if [ ! -x "$venv/bin/python" ]; then
        log "virtualenv $venv"
        run "$PYTHON" -m venv "$venv"
    fi
    local stamp
    stamp="$venv/.requirements-$(sha1sum "$R_PREFIX/requirements.txt" | cut -c1-12)"
    if [ ! -e "$stamp" ]; then
        log "Python packages (requirements.txt)"
        run "$venv/bin/pip" install -q --upgrade pip
        run "$venv/bin/pip" install -q -r "$R_PREFIX/requirements.txt"
        run rm -f "$venv"/.requirements-*
        run touch "$stamp"
    fi
    owner "$venv"
}

step_frontend() {
    log "dashboard build"
    (cd "$R_PREFIX/frontend" && run npm ci --no-audit --no-fund && run npm run build)
    run rm -rf "$R_PREFIX/frontend/node_modules"
    owner "$R_PREFIX/frontend"
}

step_env() {
    run mkdir -p "$R_ETC"
    run chmod 755 "$R_ETC"
    if [ ! -f "$ENV_FILE" ]; then
        log "$ENV_FILE from deploy/pdm.env.example, with generated secrets"
        local secret password hosts
        secret="$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n' | cut -c1-60)"
        password="$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n' | cut -c1-30)"
        hosts="localhost,127.0.0.1,$(hostname -f 2>/dev/null || hostname)"
        if [ "$DRY_RUN" = 1 ]; then
            echo "would write: $ENV_FILE (mode 600)"
        else
            (umask 077 && sed \
                -e "s|^DJANGO_SECRET_KEY=.*|DJANGO_SECRET_KEY=$secret|" \
                -e "s|^DJANGO_ALLOWED_HOSTS=.*|DJANGO_ALLOWED_HOSTS=$hosts|" \
                -e "s|^DJANGO_CSRF_TRUSTED_ORIGINS=.*|DJANGO_CSRF_TRUSTED_ORIGINS=|" \
                -e "s|^DJANGO_SECURE_COOKIES=.*|DJANGO_SECURE_COOKIES=false|" \
                -e "s|^PDM_DATA_DIR=.*|PDM_DATA_DIR=$DATA_DIR|" \
                -e "s|^DATABASE_URL=.*|DATABASE_URL=postgres://$DB_ROLE:$password@127.0.0.1:5432/$DB_NAME|" \
                "$SRC/deploy/pdm.env.example" > "$ENV_FILE")
        fi
    else
        # Keep every value; add the keys a newer template has that the file lacks.
        local key line
        while IFS= read -r line; do
            key="${line%%=*}"
            if ! grep -qE "^#? ?$key=" "$ENV_FILE"; then
                log "$ENV_FILE: new setting $key"
                if [ "$DRY_RUN" = 1 ]; then echo "would append: $line"; else echo "$line" >> "$ENV_FILE"; fi
            fi
        done < <(grep -E '^[A-Z_]+=' "$SRC/deploy/pdm.env.example")
    fi
    run chown root:root "$ENV_FILE"
    run chmod 600 "$ENV_FILE"
}

step_db() {
    if has_systemd; then run systemctl start postgresql; fi
    local url password
    url="$(env_value DATABASE_URL)"
    password="$(printf '%s' "$url" | sed -E 's|^[^:]+://[^:]+:([^@]*)@.*|\1|')"
    if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$DB_ROLE'")" != 1 ]; then
        log "PostgreSQL role $DB_ROLE"
        run psql_admin -c "CREATE ROLE $DB_ROLE LOGIN PASSWORD '$password'"
    else
        run psql_admin -q -c "ALTER ROLE $DB_ROLE LOGIN PASSWORD '$password'"  # follows pdm.env
    fi
    if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != 1 ]; then
        log "PostgreSQL database $DB_NAME"
        run runuser -u postgres -- createdb -O "$DB_ROLE" "$DB_NAME"
    fi
    log "migrations"
    as_pdm migrate --noinput
}

step_timeseries() {
    if has_systemd; then run systemctl start influxdb; fi
    log "time-series store (check_timeseries)"
    as_pdm check_timeseries
}

step_admin() {
    local exists
    exists="$(as_pdm shell -c "from django.contrib.auth.models import User; print(User.objects.filter(username='$ADMIN_USER').exists())" 2>/dev/null | tail -n 1)"
    if [ "$exists" = True ]; then
        return
    fi
    log "first admin login '$ADMIN_USER' of tenant '$TENANT'"
    local password_file="$R_ETC/first-admin-password"
    if [ "$DRY_RUN" = 1 ]; then echo "would create the admin login and write $password_file"; return; fi
    (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=\n' > "$password_file")
    PDM_FIRST_ADMIN_PASSWORD="$(cat "$password_file")" as_pdm create_member "$ADMIN_USER" --tenant "$TENANT" \
        --create-tenant --role admin --email "${PDM_ADMIN_EMAIL:-}" --password-env PDM_FIRST_ADMIN_PASSWORD
    echo "The password of '$ADMIN_USER' is in $password_file (mode 600): log in, change it, delete the file."
}

step_units() {
    run mkdir -p "$R_UNITS"
    local unit changed=0
    for unit in $UNITS; do
        local tmp
        tmp="$(mktemp)"
        sed -e "s|/opt/pdm|$R_PREFIX|g" -e "s|/etc/pdm|$R_ETC|g" -e "s|/var/lib/pdm|$R_DATA|g" \
            -e "s|^User=pdm|User=$PDM_USER|" -e "s|^Group=pdm|Group=$PDM_USER|" \
            "$SRC/deploy/$unit" > "$tmp"
        if ! cmp -s "$tmp" "$R_UNITS/$unit"; then
            log "unit $R_UNITS/$unit"
            run install -m 644 "$tmp" "$R_UNITS/$unit"
            changed=1
        fi
        rm -f "$tmp"
    done
    # InfluxDB's settings for this platform: a drop-in of Debian's influxdb.service
    local dropin_changed=0
    if ! cmp -s "$SRC/deploy/$INFLUXDB_DROPIN" "$R_UNITS/$INFLUXDB_DROPIN"; then
        log "drop-in $R_UNITS/$INFLUXDB_DROPIN"
        run mkdir -p "$(dirname "$R_UNITS/$INFLUXDB_DROPIN")"
        run install -m 644 "$SRC/deploy/$INFLUXDB_DROPIN" "$R_UNITS/$INFLUXDB_DROPIN"
        changed=1
        dropin_changed=1
    fi
    if has_systemd; then
        if [ "$changed" = 1 ]; then run systemctl daemon-reload; fi
        if [ "$dropin_changed" = 1 ]; then run systemctl restart influxdb; fi
        for unit in $UNITS; do
            systemctl is-enabled --quiet "$unit" 2>/dev/null || run systemctl enable "$unit"
        done
    fi
}

step_start() {
    if ! has_systemd; then
        echo "systemd is not running here: start the units after boot (systemctl start $UNITS)"
        return
    fi
    log "(re)start $UNITS"
    run systemctl restart $UNITS
}

uninstall() {
    local unit
    if has_systemd; then
        for unit in $UNITS; do
            if systemctl list-unit-files "$unit" >/dev/null 2>&1; then
                run systemctl disable --now "$unit" || true
            fi
        done
    fi
    for unit in $UNITS; do
        if [ -e "$R_UNITS/$unit" ]; then run rm -f "$R_UNITS/$unit"; fi
    done
    if [ -e "$R_UNITS/$INFLUXDB_DROPIN" ]; then
        run rm -f "$R_UNITS/$INFLUXDB_DROPIN"
        run rmdir --ignore-fail-on-non-empty "$(dirname "$R_UNITS/$INFLUXDB_DROPIN")"
    fi
    if has_systemd; then
        run systemctl daemon-reload
        if systemctl is-active --quiet influxdb 2>/dev/null; then run systemctl restart influxdb; fi
    fi
    if [ -d "$R_PREFIX" ]; then log "remove $R_PREFIX"; run rm -rf "$R_PREFIX"; fi
    if [ -z "$ROOT" ] && user_exists; then log "remove user $PDM_USER"; run userdel "$PDM_USER"; fi
    echo "Kept: $R_ETC, $R_DATA, the PostgreSQL database '$DB_NAME' and the InfluxDB data (docs/operations.md)."
}

if [ "$UNINSTALL" = 1 ]; then
    uninstall
    exit 0
fi
for step in $STEPS; do
    if wants "$step"; then "step_$step"; fi
done
log "done"
