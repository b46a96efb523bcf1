#!/usr/bin/env bash
# make-certs.sh: a federation CA, node certificates and a CRL, with the
# openssl CLI only. See certs/README.md.
#
#   make-certs.sh ca   OUTDIR TRUST_DOMAIN [--days N] [--name CN] [--force]
#   make-certs.sh intermediate OUTDIR TRUST_DOMAIN --ca-dir DIR [--days N] [--name CN] [--force]
#   make-certs.sh agency OUTDIR TRUST_DOMAIN AGENCY --ca-dir ROOT NODE_ID... [--days N] [--force]
#   make-certs.sh node OUTDIR TRUST_DOMAIN NODE_ID [--days N] [--ca-dir DIR] [--force]
#                      [--not-before DATE] [--not-after DATE]
#   make-certs.sh crl  OUTDIR [--days N] [--revoke CERT.pem ...]
#                      [--last-update DATE] [--next-update DATE]
#   make-certs.sh web  OUTDIR NAME --ca-dir DIR [--client] [--days N] [--force]
#
# Keys are EC P-256, written 0600 (umask 077) and never overwritten without
# --force. Node certificates carry exactly one URI SAN,
# spiffe://TRUST_DOMAIN/node/NODE_ID, plus DNS:localhost and IP:127.0.0.1 so
# that loopback connections pass gRPC's hostname check.
set -euo pipefail

PROG=$(basename "$0")

usage() {
  cat <<EOF
usage:
  $PROG ca   OUTDIR TRUST_DOMAIN [--days N] [--name CN] [--force]
      Create OUTDIR/ca.pem and OUTDIR/ca.key: a self-signed federation CA
      (EC P-256, CA:TRUE, keyCertSign+cRLSign). Default 3650 days.
  $PROG intermediate OUTDIR TRUST_DOMAIN --ca-dir DIR [--days N] [--name CN] [--force]
      Create OUTDIR/ca.pem and OUTDIR/ca.key: an intermediate CA signed by
      the CA in DIR (CA:TRUE, pathlen:0, keyCertSign+cRLSign), plus
      OUTDIR/chain.pem (the intermediate) and OUTDIR/root.pem (the root).
      Use OUTDIR as --ca-dir of 'node' (the node's PEM then holds the leaf
      and the intermediate) and of 'crl'. Revoke the intermediate with
      '$PROG crl DIR --revoke OUTDIR/ca.pem'. Default 1825 days.
  $PROG agency OUTDIR TRUST_DOMAIN AGENCY --ca-dir ROOT NODE_ID... [--days N] [--force]
      Per-agency issuers: an intermediate CA for AGENCY in OUTDIR/AGENCY/
      (signed by the federation root in ROOT), and a certificate for each
      NODE_ID issued by it (OUTDIR/AGENCY/NODE_ID.pem with the chain, .key).
      Prints the node config entry that pins these node ids to this issuer
      (tls.issuers; an identity belongs to its issuer, deploy/SECURITY.md).
      Without agencies, one shared root issues every node ('ca' + 'node').
  $PROG node OUTDIR TRUST_DOMAIN NODE_ID [--days N] [--ca-dir DIR] [--force]
      Create OUTDIR/NODE_ID.pem and OUTDIR/NODE_ID.key, signed by the CA in
      DIR (default OUTDIR). SAN URI spiffe://TRUST_DOMAIN/node/NODE_ID,
      DNS:localhost, IP:127.0.0.1; serverAuth+clientAuth. Default 365 days.
      --not-before/--not-after DATE set the validity window explicitly
      (DATE: YYYYMMDDHHMMSSZ, UTC), e.g. to test expired or future certs.
  $PROG crl  OUTDIR [--days N] [--revoke CERT.pem ...]
      Revoke the given certificates (if any) with the CA in OUTDIR and write
      OUTDIR/crl/ca.crl.pem (index db in OUTDIR/ca-db/). Default 30 days.
      --last-update/--next-update DATE (YYYYMMDDHHMMSSZ, UTC) set the CRL's
      validity window explicitly, e.g. to test a CRL past its nextUpdate.

  $PROG web  OUTDIR NAME --ca-dir DIR [--client] [--days N] [--force]
      The agency's own web certificates, from an agency CA that is NOT the
      federation CA (make one with '$PROG ca DIR AGENCY.local --name ...'):
      OUTDIR/NAME.pem and .key (spaces in NAME become _), CN=NAME. Default:
      a server certificate for ifed-console (serverAuth, DNS:localhost,
      IP:127.0.0.1). --client: a staff member's client certificate
      (clientAuth; CN = the staff file's cert_cn), or the sign-in proxy's.
      Default 365 days.

NODE_ID: [a-z0-9][a-z0-9-]{0,62}. TRUST_DOMAIN: lower-case DNS-like name
([a-z0-9._-], starts and ends with a letter or digit, at most 255 chars).
Existing keys and certificates are never overwritten unless --force.
EOF
}

die() {
  echo "$PROG: error: $*" >&2
  exit 1
}

usage_error() {
  echo "$PROG: error: $*" >&2
  echo "run '$PROG --help' for usage" >&2
  exit 2
}

# Temporary files and directories removed on exit.
CLEANUP=()
cleanup() { ((${#CLEANUP[@]})) && rm -rf -- "${CLEANUP[@]}"; return 0; }
trap cleanup EXIT

command -v openssl >/dev/null 2>&1 || die "openssl not found (apt-get install openssl)"

valid_node_id() { [[ $1 =~ ^[a-z0-9][a-z0-9-]{0,62}$ ]]; }

valid_trust_domain() {
  local td=$1
  ((${#td} <= 255)) || return 1
  [[ $td =~ ^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$ ]] || return 1
  [[ $td != *..* ]]
}

valid_days() { [[ $1 =~ ^[1-9][0-9]{0,4}$ ]]; }

valid_date() { [[ $1 =~ ^[0-9]{14}Z$ ]]; }

# A positive random 128-bit serial in the form openssl's -set_serial takes.
random_serial() {
  local hex
  hex=$(openssl rand -hex 16)
  # Clear the top bit so that the DER integer stays positive.
  printf '0x%x%s' $((0x${hex:0:1} & 7)) "${hex:1}"
}

# new_key PATH: a fresh P-256 key at PATH, mode 0600, written atomically.
new_key() {
  local path=$1 dir tmp
  dir=$(dirname "$path")
  tmp=$(umask 077 && mktemp "$dir/.key.XXXXXX")
  CLEANUP+=("$tmp")
  if ! (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -pkeyopt ec_param_enc:named_curve -out "$tmp" 2>/dev/null); then
    rm -f "$tmp"
    die "openssl genpkey failed for $path"
  fi
  chmod 600 "$tmp"
  mv -f "$tmp" "$path"
}

# refuse_existing FORCE PATH...: fail when any PATH exists and FORCE != 1.
refuse_existing() {
  local force=$1 p
  shift
  [[ $force == 1 ]] && return 0
  for p in "$@"; do
    [[ -e $p ]] && die "$p exists; refusing to overwrite (use --force)"
  done
  return 0
}

# make_outdir DIR: create DIR (0755) and print its absolute path.
make_outdir() {
  mkdir -p -- "$1" || die "cannot create directory $1"
  (cd -- "$1" && pwd -P)
}

cmd_ca() {
  (($# >= 2)) || usage_error "ca needs OUTDIR TRUST_DOMAIN"
  local outdir=$1 td=$2 days=3650 name="" force=0
  shift 2
  while (($#)); do
    case $1 in
      --days) (($# >= 2)) || usage_error "--days needs a value"; days=$2; shift 2 ;;
      --name) (($# >= 2)) || usage_error "--name needs a value"; name=$2; shift 2 ;;
      --force) force=1; shift ;;
      *) usage_error "unknown argument for ca: $1" ;;
    esac
  done
  valid_trust_domain "$td" || die "invalid trust domain '$td'"
  valid_days "$days" || die "invalid --days '$days'"
  [[ -n $name ]] || name="ifed federation CA ($td)"
  [[ $name != */* && $name != *$'\n'* ]] || die "--name must not contain '/' or newlines"

  outdir=$(make_outdir "$outdir")
  local key=$outdir/ca.key cert=$outdir/ca.pem
  refuse_existing "$force" "$key" "$cert"

  local cfg
  cfg=$(mktemp)
  CLEANUP+=("$cfg")
  cat >"$cfg" <<EOF
[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
O = $td
CN = $name
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
  new_key "$key"
  openssl req -new -x509 -config "$cfg" -key "$key" -sha256 -days "$days" \
    -set_serial "$(random_serial)" -out "$cert.tmp" 2>/dev/null \
    || { rm -f "$cert.tmp"; die "openssl req failed"; }
  chmod 644 "$cert.tmp"
  mv -f "$cert.tmp" "$cert"
  echo "CA certificate: $cert"
  echo "CA key:         $key (mode 0600; keep it off shared storage)"
}

cmd_intermediate() {
  (($# >= 2)) || usage_error "intermediate needs OUTDIR TRUST_DOMAIN --ca-dir DIR"
  local outdir=$1 td=$2 days=1825 name="" force=0 cadir=""
  shift 2
  while (($#)); do
    case $1 in
      --days) (($# >= 2)) || usage_error "--days needs a value"; days=$2; shift 2 ;;
      --name) (($# >= 2)) || usage_error "--name needs a value"; name=$2; shift 2 ;;
      --ca-dir) (($# >= 2)) || usage_error "--ca-dir needs a value"; cadir=$2; shift 2 ;;
      --force) force=1; shift ;;
      *) usage_error "unknown argument for intermediate: $1" ;;
    esac
  done
  [[ -n $cadir ]] || usage_error "intermediate needs --ca-dir DIR (the issuing CA)"
  valid_trust_domain "$td" || die "invalid trust domain '$td'"
  valid_days "$days" || die "invalid --days '$days'"
  [[ -d $cadir ]] || die "CA directory $cadir does not exist"
  cadir=$(cd -- "$cadir" && pwd -P)
  local pcert=$cadir/ca.pem pkey=$cadir/ca.key
  [[ -r $pcert && -r $pkey ]] || die "no CA in $cadir"
  [[ ! -e $cadir/root.pem ]] || die "$cadir is an intermediate CA: only one intermediate level (pathlen 0)"
  outdir=$(make_outdir "$outdir")
  [[ $outdir != "$cadir" ]] || die "OUTDIR must differ from --ca-dir"
  [[ -n $name ]] || name="ifed intermediate CA $(basename "$outdir") ($td)"
  [[ $name != */* && $name != *$'\n'* ]] || die "--name must not contain '/' or newlines"
  local key=$outdir/ca.key cert=$outdir/ca.pem
  refuse_existing "$force" "$key" "$cert"

  local work
  work=$(mktemp -d)
  CLEANUP+=("$work")
  cat >"$work/ext.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
O = $td
CN = $name
[v3_intermediate]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
  new_key "$key"
  openssl req -new -config "$work/ext.cnf" -key "$key" -sha256 -out "$work/req.csr" 2>/dev/null \
    || die "openssl req (CSR) failed"
  openssl x509 -req -in "$work/req.csr" -CA "$pcert" -CAkey "$pkey" \
    -set_serial "$(random_serial)" -days "$days" -sha256 \
    -extfile "$work/ext.cnf" -extensions v3_intermediate -out "$work/cert.pem" 2>"$work/err" \
    || die "openssl x509 (sign) failed: $(cat "$work/err")"
  openssl verify -CAfile "$pcert" "$work/cert.pem" >/dev/null 2>&1 \
    || die "the new intermediate does not verify against $pcert"
  chmod 644 "$work/cert.pem"
  cp "$pcert" "$outdir/root.pem.tmp" && mv -f "$outdir/root.pem.tmp" "$outdir/root.pem"
  cp "$work/cert.pem" "$outdir/chain.pem.tmp" && mv -f "$outdir/chain.pem.tmp" "$outdir/chain.pem"
  mv -f "$work/cert.pem" "$cert"
  echo "intermediate CA certificate: $cert (issued by $pcert)"
  echo "intermediate CA key:         $key (mode 0600)"
}

# verify_args CADIR: openssl verify arguments that trust the root of CADIR
# (CADIR/ca.pem, or CADIR/root.pem with CADIR/chain.pem for an intermediate).
verify_args() {
  if [[ -e $1/root.pem ]]; then
    printf '%s\n' -CAfile "$1/root.pem" -untrusted "$1/chain.pem"
  else
    printf '%s\n' -CAfile "$1/ca.pem"
  fi
}

cmd_node() {
  (($# >= 3)) || usage_error "node needs OUTDIR TRUST_DOMAIN NODE_ID"
  local outdir=$1 td=$2 id=$3 days=365 cadir="" force=0 not_before="" not_after=""
  shift 3
  while (($#)); do
    case $1 in
      --days) (($# >= 2)) || usage_error "--days needs a value"; days=$2; shift 2 ;;
      --ca-dir) (($# >= 2)) || usage_error "--ca-dir needs a value"; cadir=$2; shift 2 ;;
      --not-before) (($# >= 2)) || usage_error "--not-before needs a value"; not_before=$2; shift 2 ;;
      --not-after) (($# >= 2)) || usage_error "--not-after needs a value"; not_after=$2; shift 2 ;;
      --force) force=1; shift ;;
      *) usage_error "unknown argument for node: $1" ;;
    esac
  done
  valid_trust_domain "$td" || die "invalid trust domain '$td'"
  valid_node_id "$id" || die "invalid node id '$id' (want [a-z0-9][a-z0-9-]{0,62})"
  valid_days "$days" || die "invalid --days '$days'"
  [[ -z $not_before ]] || valid_date "$not_before" || die "invalid --not-before '$not_before' (want YYYYMMDDHHMMSSZ)"
  [[ -z $not_after ]] || valid_date "$not_after" || die "invalid --not-after '$not_after' (want YYYYMMDDHHMMSSZ)"

  outdir=$(make_outdir "$outdir")
  [[ -n $cadir ]] || cadir=$outdir
  [[ -d $cadir ]] || die "CA directory $cadir does not exist"
  cadir=$(cd -- "$cadir" && pwd -P)
  local cacert=$cadir/ca.pem cakey=$cadir/ca.key
  [[ -r $cacert && -r $cakey ]] || die "no CA in $cadir (run '$PROG ca $cadir TRUST_DOMAIN' first)"

  local key=$outdir/$id.key cert=$outdir/$id.pem
  refuse_existing "$force" "$key" "$cert"

  local work
  work=$(mktemp -d)
  CLEANUP+=("$work")
  cat >"$work/ext.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
O = $td
CN = $id
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = URI:spiffe://$td/node/$id, DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
  new_key "$key"
  openssl req -new -config "$work/ext.cnf" -key "$key" -sha256 -out "$work/req.csr" 2>/dev/null \
    || die "openssl req (CSR) failed"
  local -a check_time=()
  if [[ -z $not_before && -z $not_after ]]; then
    openssl x509 -req -in "$work/req.csr" -CA "$cacert" -CAkey "$cakey" \
      -set_serial "$(random_serial)" -days "$days" -sha256 \
      -extfile "$work/ext.cnf" -extensions leaf -out "$work/cert.pem" 2>"$work/err" \
      || die "openssl x509 (sign) failed: $(cat "$work/err")"
  else
    # An explicit validity window needs 'openssl ca' (x509 -req has no
    # start date in OpenSSL 3.0); a throwaway database, not the CRL one.
    [[ -n $not_before ]] || not_before=$(date -u +%Y%m%d%H%M%SZ)
    local nb=$not_before
    [[ -n $not_after ]] || not_after=$(date -u -d \
      "${nb:0:4}-${nb:4:2}-${nb:6:2} ${nb:8:2}:${nb:10:2}:${nb:12:2} UTC + $days days" +%Y%m%d%H%M%SZ)
    : >"$work/index.txt"
    openssl rand -hex 16 | sed 's/^./1/' >"$work/serial"
    printf '%s\n' "[ca]" "default_ca = tmp_ca" "[tmp_ca]" \
      "database = $work/index.txt" "new_certs_dir = $work" "serial = $work/serial" \
      "certificate = $cacert" "private_key = $cakey" "default_md = sha256" \
      "policy = any" "unique_subject = no" "email_in_dn = no" \
      "[any]" "organizationName = optional" "commonName = supplied" >"$work/ca.cnf"
    openssl ca -config "$work/ca.cnf" -batch -notext -in "$work/req.csr" \
      -startdate "$not_before" -enddate "$not_after" \
      -extfile "$work/ext.cnf" -extensions leaf -out "$work/cert.pem" 2>"$work/err" \
      || die "openssl ca (sign) failed: $(cat "$work/err")"
    check_time=(-no_check_time)
  fi
  local -a trust
  mapfile -t trust < <(verify_args "$cadir")
  openssl verify "${trust[@]}" "${check_time[@]}" -purpose sslserver "$work/cert.pem" \
    >/dev/null 2>&1 || die "the new certificate does not verify against $cacert"
  # Under an intermediate, the node presents its chain: leaf, then intermediate.
  [[ ! -e $cadir/chain.pem ]] || cat "$cadir/chain.pem" >>"$work/cert.pem"
  chmod 644 "$work/cert.pem"
  mv -f "$work/cert.pem" "$cert"
  echo "node certificate: $cert (spiffe://$td/node/$id)"
  echo "node key:         $key (mode 0600)"
}

cmd_agency() {
  (($# >= 3)) || usage_error "agency needs OUTDIR TRUST_DOMAIN AGENCY --ca-dir ROOT NODE_ID..."
  local outdir=$1 td=$2 agency=$3 root="" days="" force=0
  local -a nodes=()
  shift 3
  while (($#)); do
    case $1 in
      --ca-dir) (($# >= 2)) || usage_error "--ca-dir needs a value"; root=$2; shift 2 ;;
      --days) (($# >= 2)) || usage_error "--days needs a value"; days=$2; shift 2 ;;
      --force) force=1; shift ;;
      --*) usage_error "unknown argument for agency: $1" ;;
      *) nodes+=("$1"); shift ;;
    esac
  done
  [[ -n $root ]] || usage_error "agency needs --ca-dir ROOT (the federation root CA)"
  ((${#nodes[@]})) || usage_error "agency needs at least one NODE_ID"
  valid_node_id "$agency" || die "invalid agency name '$agency' (want [a-z0-9][a-z0-9-]{0,62})"
  local id
  for id in "${nodes[@]}"; do
    valid_node_id "$id" || die "invalid node id '$id' (want [a-z0-9][a-z0-9-]{0,62})"
  done
  local -a opts=()
  [[ -z $days ]] || opts+=(--days "$days")
  ((force == 0)) || opts+=(--force)
  mkdir -p -- "$outdir" || die "cannot create directory $outdir"
  local dir
  dir=$(make_outdir "$outdir/$agency")
  (cmd_intermediate "$dir" "$td" --ca-dir "$root" --name "ifed $agency issuing CA ($td)"     "${opts[@]}") >/dev/null
  for id in "${nodes[@]}"; do
    (cmd_node "$dir" "$td" "$id" --ca-dir "$dir" "${opts[@]}") >/dev/null
    echo "node certificate: $dir/$id.pem (spiffe://$td/node/$id, issued by $agency)"
  done
  echo "# pin these nodes to their issuer (node config, under tls:):"
  echo "  issuers:"
  echo "    - name: $agency"
  echo "      ca_file: $dir/ca.pem"
  echo "      nodes: [$(IFS=,; echo "${nodes[*]}" | sed 's/,/, /g')]"
}

cmd_crl() {
  (($# >= 1)) || usage_error "crl needs OUTDIR"
  local outdir=$1 days=30 last_update="" next_update=""
  local -a revoke=() window=()
  shift
  while (($#)); do
    case $1 in
      --days) (($# >= 2)) || usage_error "--days needs a value"; days=$2; shift 2 ;;
      --last-update) (($# >= 2)) || usage_error "--last-update needs a value"; last_update=$2; shift 2 ;;
      --next-update) (($# >= 2)) || usage_error "--next-update needs a value"; next_update=$2; shift 2 ;;
      --revoke)
        (($# >= 2)) || usage_error "--revoke needs at least one certificate"
        shift
        while (($#)) && [[ $1 != --* ]]; do revoke+=("$1"); shift; done
        ;;
      *) usage_error "unknown argument for crl: $1" ;;
    esac
  done
  valid_days "$days" || die "invalid --days '$days'"
  if [[ -n $last_update ]]; then
    valid_date "$last_update" || die "invalid --last-update '$last_update' (want YYYYMMDDHHMMSSZ)"
    window+=(-crl_lastupdate "$last_update")
  fi
  if [[ -n $next_update ]]; then
    valid_date "$next_update" || die "invalid --next-update '$next_update' (want YYYYMMDDHHMMSSZ)"
    window+=(-crl_nextupdate "$next_update")
  fi
  [[ -d $outdir ]] || die "directory $outdir does not exist"
  outdir=$(cd -- "$outdir" && pwd -P)
  local cacert=$outdir/ca.pem cakey=$outdir/ca.key
  [[ -r $cacert && -r $cakey ]] || die "no CA in $outdir (ca.pem and ca.key)"

  local db=$outdir/ca-db
  mkdir -p "$db" "$outdir/crl"
  [[ -e $db/index.txt ]] || : >"$db/index.txt"
  [[ -e $db/index.txt.attr ]] || echo "unique_subject = no" >"$db/index.txt.attr"
  [[ -e $db/crlnumber ]] || echo 1000 >"$db/crlnumber"
  cat >"$db/openssl.cnf" <<EOF
[ca]
default_ca = ifed_ca
[ifed_ca]
dir = $db
database = \$dir/index.txt
crlnumber = \$dir/crlnumber
new_certs_dir = \$dir
certificate = $cacert
private_key = $cakey
default_md = sha256
default_crl_days = $days
unique_subject = no
crl_extensions = crl_ext
[crl_ext]
authorityKeyIdentifier = keyid:always
EOF

  local c serial
  local -a trust
  mapfile -t trust < <(verify_args "$outdir")
  for c in "${revoke[@]}"; do
    [[ -r $c ]] || die "cannot read certificate $c"
    openssl verify "${trust[@]}" -no_check_time "$c" >/dev/null 2>&1 \
      || die "$c was not issued by the CA in $outdir"
    serial=$(openssl x509 -in "$c" -noout -serial | sed 's/^serial=//')
    if awk -F'\t' -v s="$serial" '$1 == "R" && toupper($4) == toupper(s) {f=1} END {exit !f}' \
        "$db/index.txt"; then
      echo "already revoked: $c (serial $serial)"
      continue
    fi
    openssl ca -config "$db/openssl.cnf" -revoke "$c" -batch 2>"$db/err" \
      || die "openssl ca -revoke $c failed: $(cat "$db/err")"
    echo "revoked: $c (serial $serial)"
  done

  local crl=$outdir/crl/ca.crl.pem
  openssl ca -config "$db/openssl.cnf" -gencrl "${window[@]}" -out "$crl.tmp" -batch 2>"$db/err" \
    || { rm -f "$crl.tmp"; die "openssl ca -gencrl failed: $(cat "$db/err")"; }
  rm -f "$db/err"
  chmod 644 "$crl.tmp"
  mv -f "$crl.tmp" "$crl"
  echo "CRL: $crl ($(grep -c '^R' "$db/index.txt" || true) revoked, valid $days days)"
}

cmd_web() {
  (($# >= 2)) || usage_error "web needs OUTDIR NAME --ca-dir DIR"
  local outdir=$1 name=$2 days=365 cadir="" force=0 client=0
  shift 2
  while (($#)); do
    case $1 in
      --days) (($# >= 2)) || usage_error "--days needs a value"; days=$2; shift 2 ;;
      --ca-dir) (($# >= 2)) || usage_error "--ca-dir needs a value"; cadir=$2; shift 2 ;;
      --client) client=1; shift ;;
      --force) force=1; shift ;;
      *) usage_error "unknown argument for web: $1" ;;
    esac
  done
  [[ -n $cadir ]] || usage_error "web needs --ca-dir DIR (the agency CA)"
  [[ $name =~ ^[A-Za-z0-9][A-Za-z0-9._\ -]{0,63}$ ]] || die "invalid name '$name' (letters, digits, . _ - and spaces)"
  valid_days "$days" || die "invalid --days '$days'"
  [[ -d $cadir ]] || die "CA directory $cadir does not exist"
  cadir=$(cd -- "$cadir" && pwd -P)
  local cacert=$cadir/ca.pem cakey=$cadir/ca.key
  [[ -r $cacert && -r $cakey ]] || die "no CA in $cadir"
  outdir=$(make_outdir "$outdir")
  local file=${name// /_}
  local key=$outdir/$file.key cert=$outdir/$file.pem
  refuse_existing "$force" "$key" "$cert"
  local work
  work=$(mktemp -d)
  CLEANUP+=("$work")
  local usage_line="extendedKeyUsage = serverAuth" san="subjectAltName = DNS:localhost, IP:127.0.0.1"
  local purpose=sslserver
  if ((client)); then
    usage_line="extendedKeyUsage = clientAuth"
    san=""
    purpose=sslclient
  fi
  cat >"$work/ext.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = $name
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
$usage_line
$san
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
  new_key "$key"
  openssl req -new -config "$work/ext.cnf" -key "$key" -sha256 -out "$work/req.csr" 2>/dev/null \
    || die "openssl req (CSR) failed"
  openssl x509 -req -in "$work/req.csr" -CA "$cacert" -CAkey "$cakey" \
    -set_serial "$(random_serial)" -days "$days" -sha256 \
    -extfile "$work/ext.cnf" -extensions leaf -out "$work/cert.pem" 2>"$work/err" \
    || die "openssl x509 (sign) failed: $(cat "$work/err")"
  openssl verify -CAfile "$cacert" -purpose "$purpose" "$work/cert.pem" >/dev/null 2>&1 \
    || die "the new certificate does not verify against $cacert"
  chmod 644 "$work/cert.pem"
  mv -f "$work/cert.pem" "$cert"
  echo "web certificate: $cert (CN=$name, $( ((client)) && echo client || echo server))"
  echo "web key:         $key (mode 0600)"
}

(($# >= 1)) || { usage >&2; exit 2; }
case $1 in
  ca) shift; cmd_ca "$@" ;;
  intermediate) shift; cmd_intermediate "$@" ;;
  agency) shift; cmd_agency "$@" ;;
  node) shift; cmd_node "$@" ;;
  crl) shift; cmd_crl "$@" ;;
  web) shift; cmd_web "$@" ;;
  -h | --help | help) usage ;;
  *) usage_error "unknown command '$1'" ;;
esac
