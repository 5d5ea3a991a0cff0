#!/usr/bin/env bash
# A real Postfix MTA on loopback for flint.smtp integration tests.
#
#   scripts/testhosts/postfix.sh start    # install (if needed), configure and start; idempotent
#   scripts/testhosts/postfix.sh stop     # stop this instance (and wait until its master is gone)
#   scripts/testhosts/postfix.sh status   # exit 0 = up and every port answers, 3 = stopped, 1 = broken
#   scripts/testhosts/postfix.sh env      # print `export FLINT_PFX_...=...` lines (eval them)
#   scripts/testhosts/postfix.sh clean    # stop, then remove the state dir (make clean calls this)
#
# A private instance (own config, queue, data, log and Maildir; `postfix -c DIR`) listening on
# 127.0.0.1 only, on three free ports:
#   plain       no TLS, no AUTH; clients in mynetworks (127.0.0.0/8) may relay
#   submission  STARTTLS required (encrypt), SASL AUTH PLAIN/LOGIN, relaying only when authenticated
#   smtps       implicit TLS (wrappermode), SASL AUTH PLAIN/LOGIN, relaying only when authenticated
# Served domains (example.com, example.net, example.org and their subdomains) go to ONE catch-all
# Maildir; mail to any other domain is relay (refused with 554 unless authenticated or from the
# plain port). Recipient hooks: reject@ -> 550, tempfail@ -> 450, full@ -> 452. NOTHING leaves the
# machine: every transport that is not the Maildir is `error:`, and DNS is off.
# Generated files (all under the state dir, default build/testhosts/postfix):
#   etc/ (main.cf, master.cf, maps, sasl/, sasldb2)  tls/ (ca.pem, server cert)  spool/  data/
#   mail/catchall/ (the Maildir; files 0600, owned by nobody)  log/postfix.log  env  password
#
# Overrides (environment): FLINT_POSTFIX_STATE_DIR, FLINT_POSTFIX_PORTS ("PLAIN SUBMISSION SMTPS"
# preferred ports, default "2525 2587 2465"). Needs root (CI runs as root).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd "$HERE/../.." && pwd -P)"
STATE_DIR="${FLINT_POSTFIX_STATE_DIR:-$REPO_ROOT/build/testhosts/postfix}"

# Postfix's unprivileged daemons (smtpd reading the sasldb, virtual writing the Maildir as
# nobody) must traverse every parent of the state dir. A checkout under a 0700 home (e.g.
# /root) is not: use a stable directory under /tmp instead, named after the requested one.
traversable() {
    local d="$1"
    while [[ "$d" != / && -n "$d" ]]; do
        if [[ -e "$d" ]]; then
            [[ "$(stat -L -c %A "$d")" == ?????????[xt] ]] || return 1
        fi
        d="$(dirname "$d")"
    done
}
REQUESTED_DIR="$STATE_DIR"   # when relocated, a symlink to the real one (make clean finds it)
if ! traversable "$(dirname "$STATE_DIR")"; then
    STATE_DIR="/tmp/flint-postfix-$(printf '%s' "$STATE_DIR" | sha1sum | cut -c1-12)"
fi
read -r -a PREF_PORTS <<<"${FLINT_POSTFIX_PORTS:-2525 2587 2465}"
ADDR=127.0.0.1
REALM=flint.test
USERS=(flint-user flint-utf8)      # SASL users; flint-utf8 has a non-ASCII password
PACKAGES=(postfix sasl2-bin libsasl2-modules openssl)
POSTFIX=/usr/sbin/postfix
NOBODY_UID=65534
NOBODY_GID=65534

CONF="$STATE_DIR/etc"
TLS="$STATE_DIR/tls"
SPOOL="$STATE_DIR/spool"
DATA="$STATE_DIR/data"
MAILBASE="$STATE_DIR/mail"
MAILDIR="$MAILBASE/catchall"
LOGDIR="$STATE_DIR/log"
LOG="$LOGDIR/postfix.log"
ENVFILE="$STATE_DIR/env"
PWFILE="$STATE_DIR/password"
PORTFILE="$STATE_DIR/ports"
CFGHASH="$STATE_DIR/config.sha256"
SASLDB="$CONF/sasldb2"
PIDFILE="$SPOOL/pid/master.pid"

HOST_SCRIPT=postfix.sh
# shellcheck source=scripts/testhosts/_lib.sh
source "$HERE/_lib.sh"   # log, die, alive, port_busy, pkg_installed, apt_get

need_root() {
    [[ "$(id -u)" == 0 ]] || die "'$1' must run as root (it installs packages and starts Postfix); try: sudo $0 $1"
}

master_pid() {  # the running master of THIS instance, or nothing
    local pid
    [[ -s "$PIDFILE" ]] || return 0
    pid="$(tr -dc '0-9' < "$PIDFILE")"
    [[ -n "$pid" ]] && alive "$pid" && printf '%s\n' "$pid"
    return 0
}

ensure_packages() {
    local -a missing=()
    local p need_update=0
    for p in "${PACKAGES[@]}"; do pkg_installed "$p" || missing+=("$p"); done
    ((${#missing[@]})) || return 0
    command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them"
    # Parallel starts (xdist workers) install once: apt-get update does not wait for its lock.
    exec 7> /tmp/.flint-postfix-apt.lock
    flock -w 900 7 || die "timed out waiting for /tmp/.flint-postfix-apt.lock"
    missing=()
    for p in "${PACKAGES[@]}"; do pkg_installed "$p" || missing+=("$p"); done
    ((${#missing[@]})) || { exec 7>&-; return 0; }
    log "installing ${missing[*]}"
    # No debconf prompt and no system-wide Postfix configuration: this instance brings its own.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    for p in "${missing[@]}"; do
        apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [^(]' || need_update=1
    done
    if ((need_update)); then
        apt_get update >/dev/null || die "apt-get update failed"
    fi
    if ! apt_get install -y --no-install-recommends "${missing[@]}" >/dev/null; then
        ((need_update)) && die "apt-get install ${missing[*]} failed"
        log "install failed; running apt-get update and retrying"
        apt_get update >/dev/null || die "apt-get update failed"
        apt_get install -y --no-install-recommends "${missing[@]}" >/dev/null \
            || die "apt-get install ${missing[*]} failed"
    fi
    [[ -x "$POSTFIX" ]] || die "$POSTFIX missing after installing postfix"
    exec 7>&-
}

# TLS material, SASL users and the configuration files: scripts/testhosts/postfix-config.sh.
# shellcheck source=scripts/testhosts/postfix-config.sh
source "$HERE/postfix-config.sh"

ensure_dirs() {
    # mkdir, not `install -d -m`: that would also chmod a directory that exists (e.g. /tmp).
    mkdir -p "$STATE_DIR"
    install -d -m 0755 "$SPOOL" "$LOGDIR"
    if [[ "$REQUESTED_DIR" != "$STATE_DIR" ]]; then
        mkdir -p "$(dirname "$REQUESTED_DIR")"
        ln -sfn "$STATE_DIR" "$REQUESTED_DIR"
    fi
    install -d -m 0700 -o postfix "$DATA"
    install -d -m 0755 -o "$NOBODY_UID" -g "$NOBODY_GID" "$MAILBASE"
    install -d -m 0700 -o "$NOBODY_UID" -g "$NOBODY_GID" "$MAILDIR" "$MAILDIR/new" "$MAILDIR/cur" "$MAILDIR/tmp"
}

# probe PLAIN SUBMISSION SMTPS: each port greets with 220 (smtps through TLS, checked against our CA).
probe() {
    local p line
    for p in "$1" "$2"; do
        line="$(timeout 5 bash -c "exec 3<>/dev/tcp/$ADDR/$p && head -n1 <&3" 2>/dev/null)" || return 1
        [[ "$line" == 220* ]] || return 1
    done
    line="$(printf 'QUIT\r\n' | timeout 5 openssl s_client -quiet -verify_return_error -CAfile "$TLS/ca.pem" \
        -verify_hostname localhost -connect "$ADDR:$3" 2>/dev/null | head -n1)" || return 1
    [[ "$line" == 220* ]]
}

write_env() {
    local plain="$1" sub="$2" smtps="$3"
    cat > "$ENVFILE.tmp" <<EOF
export FLINT_PFX_HOST=$ADDR
export FLINT_PFX_PORT_PLAIN=$plain
export FLINT_PFX_PORT_SUBMISSION=$sub
export FLINT_PFX_PORT_SMTPS=$smtps
export FLINT_PFX_CA=$TLS/ca.pem
export FLINT_PFX_MAILDIR=$MAILDIR
export FLINT_PFX_LOG=$LOG
export FLINT_PFX_CONF=$CONF
export FLINT_PFX_REALM=$REALM
export FLINT_PFX_USER=${USERS[0]}
export FLINT_PFX_UTF8_USER=${USERS[1]}
export FLINT_PFX_PASSWORD_FILE=$PWFILE
export FLINT_PFX_STATE_DIR=$STATE_DIR
EOF
    chmod 0644 "$ENVFILE.tmp"
    mv -f "$ENVFILE.tmp" "$ENVFILE"
}

stop_instance() {
    local pid i
    pid="$(master_pid)"
    if [[ -z "$pid" ]]; then
        echo "not running"
        return 0
    fi
    "$POSTFIX" -c "$CONF" stop >/dev/null 2>&1 || true
    # `postfix stop` returns at once; the master exits about a second later.
    for ((i = 0; i < 50; i++)); do
        alive "$pid" || break
        sleep 0.1
    done
    if alive "$pid"; then
        "$POSTFIX" -c "$CONF" abort >/dev/null 2>&1 || kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5
    fi
    echo "stopped postfix (master pid $pid)"
}

# ---------------------------------------------------------------- commands
with_lock() {
    mkdir -p "$(dirname "$STATE_DIR")"
    exec 9> "$(dirname "$STATE_DIR")/.$(basename "$STATE_DIR").lock"
    flock -w 900 9 || die "timed out waiting for the lock next to $STATE_DIR"
}

cmd_start() {
    need_root start
    local t0n
    t0n="$(date +%s%N)"
    with_lock
    ensure_packages
    ensure_dirs
    ensure_tls
    ensure_passwords
    local -a ports=()
    [[ -s "$PORTFILE" ]] && read -r -a ports < "$PORTFILE"

    # Already running with the same configuration and answering: nothing to do.
    if [[ -n "$(master_pid)" ]] && ((${#ports[@]} == 3)); then
        write_config "${ports[@]}"
        if [[ -s "$CFGHASH" && "$(cat "$CFGHASH")" == "$(config_hash)" ]] && probe "${ports[@]}"; then
            write_env "${ports[@]}"
            log "already running (master pid $(master_pid); plain $ADDR:${ports[0]}, submission ${ports[1]}, smtps ${ports[2]})"
            return 0
        fi
        log "running instance is stale or its configuration changed: restarting"
    fi
    stop_instance >/dev/null

    # Three free ports, scanning upwards from the preferred ones. Machine-wide lock: two instances
    # (xdist workers, other checkouts) must not pick the same free port at once (SO_REUSEPORT).
    exec 8> /tmp/.flint-postfix-ports.lock
    flock -w 300 8 || die "timed out waiting for /tmp/.flint-postfix-ports.lock"
    local attempt i p
    for ((attempt = 0; attempt < 20; attempt++)); do
        ports=()
        for i in 0 1 2; do
            p="${PREF_PORTS[$i]}"
            while port_busy "$p" || [[ " ${ports[*]} " == *" $p "* ]]; do p=$((p + 1)); done
            ports+=("$p")
        done
        write_config "${ports[@]}"
        write_sasldb
        : > "$LOG"
        chmod 0644 "$LOG"
        if ! "$POSTFIX" -c "$CONF" start >/dev/null 2>&1; then
            cat "$LOG" >&2
            die "postfix -c $CONF start failed (log: $LOG)"
        fi
        local ok=0
        for ((i = 0; i < 50; i++)); do
            if probe "${ports[@]}"; then ok=1; break; fi
            grep -q 'bind .* Address already in use' "$LOG" && break
            sleep 0.1
        done
        if ((ok)); then break; fi
        stop_instance >/dev/null
        if grep -q 'Address already in use' "$LOG"; then
            PREF_PORTS=("$((ports[0] + 3))" "$((ports[1] + 3))" "$((ports[2] + 3))")
            continue
        fi
        cat "$LOG" >&2
        die "postfix started but its ports do not answer (log: $LOG)"
    done
    ((ok)) || die "no free ports found"
    exec 8>&-
    printf '%s %s %s\n' "${ports[@]}" > "$PORTFILE"
    config_hash > "$CFGHASH"
    write_env "${ports[@]}"
    local ms=$(( ($(date +%s%N) - t0n) / 1000000 ))
    log "started (master pid $(master_pid); plain $ADDR:${ports[0]}, submission ${ports[1]}, smtps ${ports[2]}) in ${ms} ms"
}

cmd_stop() {
    need_root stop
    with_lock
    log "$(stop_instance)"
}

cmd_status() {
    need_root status
    local -a ports=()
    [[ -s "$PORTFILE" ]] && read -r -a ports < "$PORTFILE"
    if [[ -z "$(master_pid)" ]]; then
        echo "stopped"
        return 3
    fi
    if ((${#ports[@]} == 3)) && probe "${ports[@]}"; then
        echo "running: master pid $(master_pid); plain $ADDR:${ports[0]}, submission ${ports[1]}, smtps ${ports[2]}"
        return 0
    fi
    echo "broken: master pid $(master_pid) is running but a port does not answer (log: $LOG)"
    return 1
}

cmd_clean() {
    if [[ -n "$(master_pid)" ]]; then
        need_root clean
        with_lock
        log "$(stop_instance)"
    fi
    rm -rf "$STATE_DIR"
    [[ -L "$REQUESTED_DIR" ]] && rm -f "$REQUESTED_DIR"
    return 0
}

cmd_env() {
    [[ -s "$ENVFILE" ]] || die "no $ENVFILE: run '$0 start' first"
    cat "$ENVFILE"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) cmd_env ;;
    clean) cmd_clean ;;
    *) printf 'usage: %s start|stop|status|env|clean\n' "$0" >&2; exit 2 ;;
esac
