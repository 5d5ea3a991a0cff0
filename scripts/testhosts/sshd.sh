#!/usr/bin/env bash
# A real SSH managed host on loopback for flint.smtp integration tests.
#
#   scripts/testhosts/sshd.sh start    # install (if needed), configure and start; idempotent
#   scripts/testhosts/sshd.sh stop     # stop sshd, its sessions and Ansible's ControlPersist masters
#   scripts/testhosts/sshd.sh status   # exit 0 = up and a key login works, 3 = stopped, 1 = broken
#   scripts/testhosts/sshd.sh env      # print `export FLINT_MH_...=...` lines (eval them)
#
# A private sshd (own config, host key, pid file) listens on 127.0.0.1 only, on a free high port
# (2222 if free), and admits only the test user (key login, no password, no PAM). The test user
# has passwordless sudo for become tests. Generated files:
#   build/testhosts/sshd/        state: keys, sshd_config, known_hosts, log, env, cp/ (control sockets)
#   build/testhosts/inventory.ini  group `managed`, host `mh1`
#
# Overrides (environment): FLINT_SSHD_STATE_DIR, FLINT_SSHD_INVENTORY, FLINT_SSHD_USER (flintmh),
# FLINT_SSHD_PORT (preferred port, 2222), FLINT_SSHD_PYTHON (target interpreter, /usr/bin/python3).
# Needs root (CI runs as root). Loopback only: nothing here talks to any other address.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd "$HERE/../.." && pwd -P)"
STATE_DIR="${FLINT_SSHD_STATE_DIR:-$REPO_ROOT/build/testhosts/sshd}"
INVENTORY="${FLINT_SSHD_INVENTORY:-$REPO_ROOT/build/testhosts/inventory.ini}"
TEST_USER="${FLINT_SSHD_USER:-flintmh}"
PREF_PORT="${FLINT_SSHD_PORT:-2222}"
TARGET_PY="${FLINT_SSHD_PYTHON:-/usr/bin/python3}"
ADDR=127.0.0.1
INV_HOST=mh1
SSHD=/usr/sbin/sshd                  # absolute: sshd refuses to re-exec otherwise
SUDOERS_FILE=/etc/sudoers.d/flint-test
PACKAGES=(openssh-server sudo acl)

CFG="$STATE_DIR/sshd_config"
PIDFILE="$STATE_DIR/sshd.pid"
LOG="$STATE_DIR/sshd.log"
HOSTKEY="$STATE_DIR/ssh_host_ed25519_key"
CLIENTKEY="$STATE_DIR/id_ed25519"
KNOWN_HOSTS="$STATE_DIR/known_hosts"
PORTFILE="$STATE_DIR/port"
ENVFILE="$STATE_DIR/env"
CFGHASH="$STATE_DIR/sshd_config.sha256"

HOST_SCRIPT=sshd.sh
# shellcheck source=scripts/testhosts/_lib.sh
source "$HERE/_lib.sh"   # log, die, alive, port_busy, pkg_installed, apt_get

need_root() {
    [[ "$(id -u)" == 0 ]] || die "'$1' must run as root (it installs packages, creates user '$TEST_USER', writes $SUDOERS_FILE and starts sshd); try: sudo $0 $1"
}

# Control sockets: Ansible uses DIR/<10 hex chars> and ssh adds ".<16 random chars>" while creating
# the master; a unix socket path must fit in 108 bytes. Fall back to /tmp for deep checkouts.
control_dir() {
    local d="$STATE_DIR/cp"
    if (( ${#d} > 72 )); then
        d="/tmp/flint-sshd-cp-$(printf '%s' "$STATE_DIR" | sha1sum | cut -c1-12)"
    fi
    printf '%s\n' "$d"
}
CPDIR="$(control_dir)"

cmdline_of() { { tr '\0' ' ' < "/proc/$1/cmdline"; } 2>/dev/null || true; }

# our_sshd_pids: listener(s) started with our config file (pid file first, then a /proc scan, so a
# lost or stale pid file is handled). The listener's title reads
# "sshd: /usr/sbin/sshd -f CFG -E LOG [listener] ..."; per-connection children read "sshd: USER...".
our_sshd_pids() {
    local pid p
    local -A seen=()
    if [[ -s "$PIDFILE" ]]; then
        pid="$(tr -dc '0-9' < "$PIDFILE")"
        if [[ -n "$pid" ]] && alive "$pid" && [[ "$(cmdline_of "$pid")" == *" -f $CFG "* ]]; then
            seen[$pid]=1; printf '%s\n' "$pid"
        fi
    fi
    for p in /proc/[0-9]*; do
        pid="${p#/proc/}"
        [[ -z "${seen[$pid]:-}" ]] || continue
        [[ "$(cmdline_of "$pid")" == *"$SSHD -f $CFG "* ]] || continue
        alive "$pid" && printf '%s\n' "$pid"
    done
    return 0
}

# descendants PID...: all live descendants of the given pids.
descendants() {
    local -A kids=()
    local p pid ppid
    for p in /proc/[0-9]*; do
        pid="${p#/proc/}"
        ppid="$(awk '{print $4}' "$p/stat" 2>/dev/null)" || continue
        [[ -n "$ppid" ]] && kids[$ppid]+=" $pid"
    done
    local -a queue=("$@")
    while ((${#queue[@]})); do
        pid="${queue[0]}"; queue=("${queue[@]:1}")
        for p in ${kids[$pid]:-}; do
            alive "$p" && printf '%s\n' "$p"
            queue+=("$p")
        done
    done
    return 0
}

# terminate PID...: TERM, wait up to 3 s, then KILL what is left.
terminate() {
    (($#)) || return 0
    local p i left
    kill -TERM "$@" 2>/dev/null || true
    for ((i = 0; i < 30; i++)); do
        left=0
        for p in "$@"; do alive "$p" && left=1; done
        ((left)) || return 0
        sleep 0.1
    done
    for p in "$@"; do alive "$p" && kill -KILL "$p" 2>/dev/null; done
    return 0
}

# close_masters: end Ansible's ControlPersist masters (they outlive the listener and keep running
# commands for 60 s otherwise), then their leftover processes, then the sockets.
close_masters() {
    [[ -d "$CPDIR" ]] || return 0
    local s p
    local -a pids=()
    for s in "$CPDIR"/*; do
        [[ -S "$s" ]] || continue
        timeout 5 ssh -o ControlPath="$s" -O exit "$INV_HOST" >/dev/null 2>&1 || true
    done
    for p in /proc/[0-9]*; do
        [[ "$(cmdline_of "${p#/proc/}")" == "ssh: $CPDIR/"* ]] && pids+=("${p#/proc/}")
    done
    terminate "${pids[@]}"
    for s in "$CPDIR"/*; do
        [[ -S "$s" ]] && rm -f "$s"
    done
    return 0
}

# stop_instance: end the listener and everything under it, and the ControlPersist masters; works on
# half-made state. Session processes are listed *before* the masters are closed: closing a master
# ends its session's sshd, which orphans the commands it ran (they would keep running, parent PID 1).
stop_instance() {
    local -a pids kids=() more=()
    mapfile -t pids < <(our_sshd_pids | sort -u)
    ((${#pids[@]})) && mapfile -t kids < <(descendants "${pids[@]}")
    close_masters
    if ((${#pids[@]})); then
        ((${#kids[@]})) && mapfile -t more < <(descendants "${kids[@]}" | sort -u)
        mapfile -t kids < <(printf '%s\n' "${kids[@]}" "${more[@]}" | sed '/^$/d' | sort -u)
        terminate "${pids[@]}" "${kids[@]}"
        echo "stopped sshd (pid ${pids[*]}) and ${#kids[@]} session process(es)"
    else
        echo "not running"
    fi
    rm -f "$PIDFILE"
}

ensure_packages() {
    local -a missing=()
    local p
    for p in "${PACKAGES[@]}"; do pkg_installed "$p" || missing+=("$p"); done
    ((${#missing[@]})) || return 0
    log "installing ${missing[*]}"
    # Update the lists first only when apt knows no candidate for one of them (fresh machine);
    # otherwise try the install as is and update + retry once if it fails (stale lists).
    local need_update=0
    for p in "${missing[@]}"; do
        if ! apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [^(]'; then need_update=1; fi
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
    [[ -x "$SSHD" ]] || die "$SSHD missing after installing openssh-server"
}

ensure_user() {
    if ! getent passwd "$TEST_USER" >/dev/null; then
        log "creating user $TEST_USER"
        useradd --create-home --shell /bin/bash --comment "flint.smtp test managed host" "$TEST_USER"
    fi
    # useradd leaves the account locked ('!'); with UsePAM no sshd then refuses even key logins.
    if [[ "$(getent shadow "$TEST_USER" | cut -d: -f2)" != '*' ]]; then
        usermod -p '*' "$TEST_USER"
    fi
    local home group
    home="$(getent passwd "$TEST_USER" | cut -d: -f6)"
    group="$(id -gn "$TEST_USER")"
    [[ -d "$home" ]] || install -d -m 0755 -o "$TEST_USER" -g "$group" "$home"
    install -d -m 0700 -o "$TEST_USER" -g "$group" "$home/.ssh"
    local ak="$home/.ssh/authorized_keys" pub
    pub="$(cat "$CLIENTKEY.pub")"
    if ! grep -qxF "$pub" "$ak" 2>/dev/null; then
        printf '%s\n' "$pub" >> "$ak"
    fi
    chown "$TEST_USER:$group" "$ak"
    chmod 0600 "$ak"
    MH_HOME="$home"
}

ensure_sudoers() {
    local want tmp
    want="# Written by flint.smtp scripts/testhosts/sshd.sh: passwordless sudo for become tests.
$TEST_USER ALL=(ALL:ALL) NOPASSWD: ALL"
    if [[ -f "$SUDOERS_FILE" ]] && [[ "$(cat "$SUDOERS_FILE")" == "$want" ]]; then
        return 0
    fi
    install -d -m 0755 /etc/sudoers.d
    tmp="$(mktemp)"
    printf '%s\n' "$want" > "$tmp"
    visudo -cqf "$tmp" >/dev/null || { rm -f "$tmp"; die "generated sudoers snippet is invalid"; }
    install -m 0440 -o root -g root "$tmp" "$SUDOERS_FILE"
    rm -f "$tmp"
}

ensure_keys() {
    install -d -m 0755 "$STATE_DIR"
    install -d -m 0700 "$CPDIR"
    if [[ ! -s "$HOSTKEY" || ! -s "$HOSTKEY.pub" ]]; then
        rm -f "$HOSTKEY" "$HOSTKEY.pub"
        ssh-keygen -q -t ed25519 -N '' -C "flint-test-hostkey" -f "$HOSTKEY"
    fi
    if [[ ! -s "$CLIENTKEY" || ! -s "$CLIENTKEY.pub" ]]; then
        rm -f "$CLIENTKEY" "$CLIENTKEY.pub"
        ssh-keygen -q -t ed25519 -N '' -C "flint-test-$TEST_USER" -f "$CLIENTKEY"
    fi
    chmod 0600 "$HOSTKEY" "$CLIENTKEY"
}

write_config() {
    local port="$1"
    cat > "$CFG.tmp" <<EOF
# Private sshd for flint.smtp integration tests (generated by scripts/testhosts/sshd.sh).
Port $port
ListenAddress $ADDR
AddressFamily inet
HostKey $HOSTKEY
PidFile $PIDFILE
AllowUsers $TEST_USER
PermitRootLogin no
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes yes
UseDNS no
X11Forwarding no
PrintMotd no
PrintLastLog no
# Ansible multiplexes many sessions over one ControlPersist master; parallel runs connect at once.
MaxSessions 100
MaxStartups 100:30:200
Subsystem sftp /usr/lib/openssh/sftp-server
LogLevel INFO
EOF
    mv -f "$CFG.tmp" "$CFG"
}

write_known_hosts() {
    local port="$1" key
    key="$(cut -d' ' -f1,2 "$HOSTKEY.pub")"
    printf '[%s]:%s %s\n[localhost]:%s %s\n' "$ADDR" "$port" "$key" "$port" "$key" > "$KNOWN_HOSTS"
    chmod 0644 "$KNOWN_HOSTS"
}

ssh_args() {
    printf '%s\n' -p "$1" -i "$CLIENTKEY" -o IdentitiesOnly=yes -o BatchMode=yes \
        -o UserKnownHostsFile="$KNOWN_HOSTS" -o GlobalKnownHostsFile=/dev/null \
        -o StrictHostKeyChecking=yes -o ControlMaster=no -o ControlPath=none \
        -o ConnectTimeout=5 -l "$TEST_USER"
}

# probe PORT: a real key login that runs the pinned interpreter and sudo -n.
probe() {
    local -a a
    mapfile -t a < <(ssh_args "$1")
    timeout 15 ssh "${a[@]}" "$ADDR" \
        "$TARGET_PY -c 'import sys; assert sys.version_info >= (3, 9)' && sudo -n true" 2>&1
}

write_inventory() {
    local port="$1"
    local p
    for p in "$CLIENTKEY" "$KNOWN_HOSTS" "$CPDIR" "$TARGET_PY"; do
        [[ "$p" != *[[:space:]\'\"]* ]] || die "path with spaces or quotes not supported: $p"
    done
    mkdir -p "$(dirname "$INVENTORY")"  # not install -d -m: it would chmod an existing dir (/tmp)
    cat > "$INVENTORY.tmp" <<EOF
# Generated by scripts/testhosts/sshd.sh start -- do not edit; regenerated at every start.
# An SSH managed host on loopback: user $TEST_USER, key login, host key checked, sudo for become.
[managed]
$INV_HOST ansible_host=$ADDR ansible_port=$port

[managed:vars]
ansible_connection=ssh
ansible_user=$TEST_USER
ansible_ssh_private_key_file=$CLIENTKEY
ansible_ssh_common_args='-o UserKnownHostsFile=$KNOWN_HOSTS -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes'
ansible_control_path_dir=$CPDIR
ansible_pipelining=True
ansible_python_interpreter=$TARGET_PY
ansible_become_method=sudo
EOF
    mv -f "$INVENTORY.tmp" "$INVENTORY"
    cat > "$ENVFILE" <<EOF
export FLINT_MH_INVENTORY=$INVENTORY
export FLINT_MH_HOST=$INV_HOST
export FLINT_MH_GROUP=managed
export FLINT_MH_ADDR=$ADDR
export FLINT_MH_PORT=$port
export FLINT_MH_USER=$TEST_USER
export FLINT_MH_HOME=$MH_HOME
export FLINT_MH_KEY=$CLIENTKEY
export FLINT_MH_KNOWN_HOSTS=$KNOWN_HOSTS
export FLINT_MH_CONTROL_PATH_DIR=$CPDIR
export FLINT_MH_PYTHON=$TARGET_PY
export FLINT_MH_STATE_DIR=$STATE_DIR
EOF
}

# ---------------------------------------------------------------- commands
with_lock() {
    mkdir -p "$(dirname "$STATE_DIR")"
    exec 9> "$(dirname "$STATE_DIR")/.sshd.lock"
    flock -w 900 9 || die "timed out waiting for $(dirname "$STATE_DIR")/.sshd.lock"
}

cmd_start() {
    need_root start
    local t0n
    t0n="$(date +%s%N)"
    with_lock
    ensure_packages
    ensure_keys
    ensure_user
    ensure_sudoers
    [[ -x "$TARGET_PY" ]] || die "target interpreter $TARGET_PY not found (set FLINT_SSHD_PYTHON)"

    local -a pids
    mapfile -t pids < <(our_sshd_pids)
    local port=""
    [[ -s "$PORTFILE" ]] && port="$(tr -dc '0-9' < "$PORTFILE")"

    # Already running with the same config and answering: only refresh the generated files.
    if ((${#pids[@]} == 1)) && [[ -n "$port" ]]; then
        write_config "$port"
        if [[ -s "$CFGHASH" ]] && sha256sum --quiet -c "$CFGHASH" >/dev/null 2>&1 \
            && probe "$port" >/dev/null; then
            write_known_hosts "$port"
            write_inventory "$port"
            log "already running (pid ${pids[0]}, $ADDR:$port); inventory: $INVENTORY"
            return 0
        fi
        log "running instance is stale or its config changed: restarting"
    fi
    stop_instance >/dev/null

    install -d -m 0755 /run/sshd     # privilege separation dir; /run is not persistent
    local attempt out ok=0
    port="$PREF_PORT"               # a fresh start scans upwards from the preferred port
    for ((attempt = 0; attempt < 50; attempt++)); do
        if port_busy "$port"; then
            port=$((port + 1)); continue
        fi
        write_config "$port"
        write_known_hosts "$port"
        "$SSHD" -t -f "$CFG" || die "sshd -t rejected $CFG"
        : > "$LOG"
        "$SSHD" -f "$CFG" -E "$LOG" || {
            grep -q 'Address already in use' "$LOG" && { port=$((port + 1)); continue; }
            cat "$LOG" >&2; die "sshd failed to start (log: $LOG)"
        }
        # sshd daemonizes; wait for the pid file and a working login.
        local i
        for ((i = 0; i < 50; i++)); do
            if [[ -s "$PIDFILE" ]] && out="$(probe "$port")"; then ok=1; break; fi
            if grep -q 'Address already in use' "$LOG"; then break; fi
            sleep 0.1
        done
        if ((ok)); then break; fi
        if grep -q 'Address already in use' "$LOG"; then
            mapfile -t pids < <(our_sshd_pids); terminate "${pids[@]}"; rm -f "$PIDFILE"
            port=$((port + 1)); continue
        fi
        mapfile -t pids < <(our_sshd_pids); terminate "${pids[@]}"
        printf '%s\n--- %s\n' "${out:-}" "$LOG" >&2; cat "$LOG" >&2
        die "sshd started but a key login as $TEST_USER failed"
    done
    ((ok)) || die "no free port found from $PREF_PORT"
    printf '%s\n' "$port" > "$PORTFILE"
    sha256sum "$CFG" > "$CFGHASH"
    write_inventory "$port"
    local ms=$(( ($(date +%s%N) - t0n) / 1000000 ))
    log "started (pid $(tr -dc '0-9' < "$PIDFILE"), $ADDR:$port) in ${ms} ms; inventory: $INVENTORY"
}

cmd_stop() {
    need_root stop
    with_lock
    log "$(stop_instance)"
    rmdir "$CPDIR" 2>/dev/null || true
    return 0
}

cmd_status() {
    need_root status
    local -a pids
    mapfile -t pids < <(our_sshd_pids)
    local port=""
    [[ -s "$PORTFILE" ]] && port="$(tr -dc '0-9' < "$PORTFILE")"
    if ((${#pids[@]} == 0)); then
        echo "stopped"
        return 3
    fi
    if [[ -n "$port" ]] && probe "$port" >/dev/null; then
        echo "running: pid ${pids[*]}, $TEST_USER@$ADDR:$port, inventory $INVENTORY"
        return 0
    fi
    echo "broken: sshd pid ${pids[*]} is running but a key login on port ${port:-?} fails (log: $LOG)"
    return 1
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
    *) printf 'usage: %s start|stop|status|env\n' "$0" >&2; exit 2 ;;
esac
