# RAUC update bundles (verity format) and their signing key.
#
# Development key: made on the first build (image/keys/, not in git): a CA whose
# certificate is the image's keyring (/etc/rauc/keyring.pem) and a signing certificate
# issued by it. Production: SBC_SIGNING_CERT, SBC_SIGNING_KEY and SBC_KEYRING name your own
# (the keyring is what the image trusts; keep the key off the build host if you can).

KEY_DIR=${SBC_KEY_DIR:-$IMAGE_DIR/keys}
RAUC_COMPATIBLE=edge-sbc-x86_64

signing_files() {
  if [[ -n ${SBC_SIGNING_KEY:-} ]]; then
    [[ -f $SBC_SIGNING_KEY && -f ${SBC_SIGNING_CERT:-} && -f ${SBC_KEYRING:-} ]] ||
      die "SBC_SIGNING_KEY needs SBC_SIGNING_CERT and SBC_KEYRING, all readable files"
    SIGN_KEY=$SBC_SIGNING_KEY SIGN_CERT=$SBC_SIGNING_CERT KEYRING=$SBC_KEYRING
    return
  fi
  SIGN_KEY=$KEY_DIR/dev-signing.key.pem
  SIGN_CERT=$KEY_DIR/dev-signing.cert.pem
  KEYRING=$KEY_DIR/dev-ca.cert.pem
  [[ -f $SIGN_KEY && -f $SIGN_CERT && -f $KEYRING ]] && return
  say "generating the development signing key in $KEY_DIR (first build)"
  mkdir -p "$KEY_DIR"
  chmod 0700 "$KEY_DIR"
  local ext=$KEY_DIR/ext.cnf
  printf '[sbc_ca]\nbasicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n[sbc_leaf]\nbasicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' >"$ext"
  openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -subj "/O=Edge SBC/CN=Edge SBC development CA" \
    -keyout "$KEY_DIR/dev-ca.key.pem" -out "$KEYRING" -extensions sbc_ca -config <(cat /etc/ssl/openssl.cnf "$ext") 2>/dev/null
  openssl req -newkey rsa:3072 -nodes -subj "/O=Edge SBC/CN=Edge SBC development signing" \
    -keyout "$SIGN_KEY" -out "$KEY_DIR/dev-signing.csr" 2>/dev/null
  openssl x509 -req -in "$KEY_DIR/dev-signing.csr" -CA "$KEYRING" -CAkey "$KEY_DIR/dev-ca.key.pem" \
    -CAcreateserial -days 3650 -extfile "$ext" -extensions sbc_leaf -out "$SIGN_CERT" 2>/dev/null
  rm -f "$KEY_DIR/dev-signing.csr" "$ext"
}

# make_bundle ROOT.ext4 VERSION OUT.raucb
make_bundle() {
  local rootfs=$1 version=$2 out=$3 dir=$WORK_DIR/bundle
  rm -rf "$dir" "$out"
  mkdir -p "$dir"
  cp --reflink=auto "$rootfs" "$dir/rootfs.ext4"
  cat >"$dir/manifest.raucm" <<EOT
[update]
compatible=$RAUC_COMPATIBLE
version=$version
description=Edge SBC $version

[bundle]
format=verity

[image.rootfs]
filename=rootfs.ext4
EOT
  rauc bundle --cert="$SIGN_CERT" --key="$SIGN_KEY" --keyring="$KEYRING" \
    --mksquashfs-args="-comp zstd -Xcompression-level 6" "$dir" "$out" >"$WORK_DIR/rauc-bundle.log" 2>&1 ||
    { cat "$WORK_DIR/rauc-bundle.log" >&2; die "rauc bundle failed"; }
  rm -rf "$dir"
}
