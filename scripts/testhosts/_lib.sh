# shellcheck shell=bash
# Helpers shared by the loopback test hosts (sshd.sh, postfix.sh). Source it after setting
# HOST_SCRIPT (the name messages start with) and ADDR (the loopback address the host listens on).

log() { printf '==> %s: %s\n' "$HOST_SCRIPT" "$*" >&2; }
die() { printf 'ERROR: %s: %s\n' "$HOST_SCRIPT" "$*" >&2; exit 1; }

# alive PID: exists and is not a zombie (PID 1 here does not reap: `kill -0` lies).
alive() {
    local st
    [[ -r "/proc/$1/status" ]] || return 1
    st="$(awk '/^State:/ {print $2; exit}' "/proc/$1/status" 2>/dev/null)" || return 1
    [[ -n "$st" && "$st" != Z && "$st" != X ]]
}

# port_busy PORT: something accepts connections on $ADDR:PORT.
port_busy() {
    (exec 3<>"/dev/tcp/$ADDR/$1") 2>/dev/null
}

pkg_installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

apt_get() {
    DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 "$@"
}
