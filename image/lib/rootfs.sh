# The root file system of a slot: Debian bookworm by mmdebstrap, the daemon and the
# appliance's files (image/rootfs/), kernel modules pruned (image/modules.keep).

# dpkg options: no docs, man pages, locales, firmware (copyright files stay: licences).
dpkg_filters() {
  local p
  for p in /usr/share/doc/'*' /usr/share/man/'*' /usr/share/info/'*' /usr/share/locale/'*' \
    /usr/share/lintian/'*' /usr/share/linda/'*' /usr/share/bug/'*' /usr/share/grub/'*' \
    /usr/share/bash-completion/'*' /usr/share/zsh/'*' /usr/share/fish/'*' \
    /usr/lib/firmware/'*' /lib/firmware/'*'; do
    printf -- '--dpkgopt=path-exclude=%s\n' "$p"
  done
  printf -- '--dpkgopt=path-include=%s\n' '/usr/share/doc/*/copyright'
}

# build_rootfs DIR SBC_BINARY KEYRING VERSION
build_rootfs() {
  local root=$1 binary=$2 keyring=$3 version=$4
  local cache=$OUT_DIR/cache/apt
  mkdir -p "$cache"
  rm -rf "$root"
  local packages
  packages=$(grep -v '^#' "$IMAGE_DIR/packages" | xargs | tr ' ' ',')
  local -a filters
  mapfile -t filters < <(dpkg_filters)
  say "mmdebstrap bookworm into $root (packages: $packages)"
  mmdebstrap --variant=essential --mode=root --format=directory \
    --include="$packages" \
    "${filters[@]}" \
    --aptopt='Acquire::Languages "none"' \
    --skip=essential/unlink \
    --setup-hook="mkdir -p \"\$1/var/cache/apt/archives\"" \
    --setup-hook="sync-in $cache /var/cache/apt/archives/" \
    --essential-hook="mkdir -p \"\$1/etc/initramfs-tools/conf.d\"" \
    --essential-hook="upload $IMAGE_DIR/rootfs/etc/initramfs-tools/conf.d/sbc.conf /etc/initramfs-tools/conf.d/sbc.conf" \
    --customize-hook="sync-out /var/cache/apt/archives $cache" \
    --customize-hook="$IMAGE_DIR/lib/prune-modules \"\$1\" $IMAGE_DIR/modules.keep" \
    --customize-hook="$IMAGE_DIR/lib/customize \"\$1\" $binary $keyring $version" \
    bookworm "$root" \
    "deb http://deb.debian.org/debian bookworm main" \
    "deb http://deb.debian.org/debian bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main" \
    >"$WORK_DIR/mmdebstrap.log" 2>&1 ||
    { tail -n 40 "$WORK_DIR/mmdebstrap.log" >&2; die "mmdebstrap failed (log: $WORK_DIR/mmdebstrap.log)"; }
  say "kernel: $(cat "$root/usr/lib/sbc/modules-kept")"
}

