# Shared by image/build, image/test and image/test-update (sourced, bash).
# Paths, the tools each step needs (a missing one fails, naming the package), logging.

IMAGE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_DIR=$(cd "$IMAGE_DIR/.." && pwd)
OUT_DIR=${SBC_IMAGE_OUT:-$REPO_DIR/target/image}
WORK_DIR=$OUT_DIR/work
# The private QEMU of scripts/setup (Debian 12's qemu-system-x86 7.2 unpacked there, so that
# a newer qemu-utils on the host is not removed).
QEMU_PREFIX=${SBC_QEMU_PREFIX:-/opt/sbc-qemu}

say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'image: %s\n' "$*" >&2; exit 1; }

need_root() {
  [[ $(id -u) -eq 0 ]] || die "$1 needs root (mmdebstrap, chroot, mkfs with ownership); run it as root"
}

# need COMMAND PACKAGE...: fail naming what to install when COMMAND is missing.
need() {
  local cmd=$1
  shift
  command -v "$cmd" >/dev/null 2>&1 ||
    die "$cmd is missing: install it with scripts/setup (Debian package: $*)"
}

# Seconds since an epoch taken with `date +%s`.
since() { echo $(($(date +%s) - $1)); }
