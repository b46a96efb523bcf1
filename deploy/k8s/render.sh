#!/usr/bin/env bash
# render.sh: the manifests of ifed nodes, one pod per agency, from their
# configuration folders: for each NODE, a Secret with its keys, ConfigMaps
# with node.yaml + certificates, the CRLs, the agency CAs and the sharing
# policy, a PersistentVolumeClaim for its data and the Pod ifed-NODE.
# `podman kube play` runs the result (tests/deploy.sh); in a cluster,
# apply it with deploy/k8s/cluster.yaml (Services, NetworkPolicies).
#
#   deploy/k8s/render.sh [--without-secrets] --image IMAGE --nodes-dir DIR NODE... > federation.yaml
#
# DIR/NODE/ holds node.yaml (paths under /etc/ifed/config, keys, crl,
# issuers, policy as below), ca.pem, node.pem, crl/*.pem, issuers/*.pem,
# policy/*.yaml and the key files node.key, local.key, oprf.seed and, for
# members, federation.key. deploy/container-federation.sh writes such folders.
#
# Keys: the node refuses a key file that is not 0600 and owned by its own
# user, and a Secret volume cannot be owned by the pod's user; an init
# container (same image, same user) copies the Secret into a memory-backed
# emptyDir with mode 0600. Resource requests are sized in docs/operations.md.
#
# --without-secrets leaves the Secret documents out: podman 4.3's kube play
# writes a Secret's `data` values still base64-encoded into the volume and
# ignores `stringData`, so deploy/container-federation.sh creates the
# secrets itself (`podman secret create` with the values in clear, which
# kube play's secret volumes then mount as they are).
set -euo pipefail

PROG=deploy/k8s/render.sh
die() {
  echo "$PROG: error: $*" >&2
  exit 1
}

image=""
nodes_dir=""
secrets=1
nodes=()
while (($#)); do
  case $1 in
    --image) (($# >= 2)) || die "--image needs a value"; image=$2; shift 2 ;;
    --nodes-dir) (($# >= 2)) || die "--nodes-dir needs a value"; nodes_dir=$2; shift 2 ;;
    --without-secrets) secrets=0; shift ;;
    -*) die "unknown option $1" ;;
    *) nodes+=("$1"); shift ;;
  esac
done
[[ -n $image && -n $nodes_dir ]] && ((${#nodes[@]})) \
  || die "usage: $PROG --image IMAGE --nodes-dir DIR NODE..."

# data_entry KEY FILE: a ConfigMap data entry, the file as a literal block.
data_entry() {
  printf '  %s: |\n' "$1"
  sed 's/^/    /' "$2"
}
# secret_entry KEY FILE: a Secret data entry (base64).
secret_entry() {
  printf '  %s: %s\n' "$1" "$(base64 -w0 <"$2")"
}
configmap() {  # configmap NAME FILE...: the files under their base names
  local name=$1 f
  shift
  printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  labels: {app: ifed}\ndata:\n' "$name"
  for f in "$@"; do data_entry "$(basename "$f")" "$f"; done
}

for id in "${nodes[@]}"; do
  [[ $id =~ ^[a-z0-9][a-z0-9-]{0,40}$ ]] || die "bad node id '$id'"
  d=$nodes_dir/$id
  [[ -r $d/node.yaml && -r $d/node.key ]] || die "$d: no node.yaml or node.key"
  if ((secrets)); then
    printf -- '---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: ifed-%s-keys\n  labels: {app: ifed, node: %s}\ntype: Opaque\ndata:\n' "$id" "$id"
    for k in node.key federation.key local.key oprf.seed; do
      [[ -e $d/$k ]] && secret_entry "$k" "$d/$k"
    done
  fi
  configmap "ifed-$id-config" "$d/node.yaml" "$d/ca.pem" "$d/node.pem"
  configmap "ifed-$id-crl" "$d"/crl/*.pem
  configmap "ifed-$id-issuers" "$d"/issuers/*.pem
  configmap "ifed-$id-policy" "$d"/policy/*.yaml
  keys=""
  for k in node.key federation.key local.key oprf.seed; do  # a hub holds no federation key
    [[ -e $d/$k ]] && keys+="${keys:+, }\"/etc/ifed/secret/$k\""
  done
  sed -e "s|@ID@|$id|g" -e "s|@IMAGE@|$image|g" -e "s|@KEYS@|$keys|" <<'EOF'
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: ifed-@ID@-data
  labels: {app: ifed, node: @ID@}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 10Gi}}
---
apiVersion: v1
kind: Pod
metadata:
  name: ifed-@ID@
  labels: {app: ifed, node: @ID@}
  annotations:
    # podman 4.3: keep the init container (its removal races the pod start).
    io.podman.annotations.init.container.type: always
spec:
  hostname: ifed-@ID@
  # OnFailure, not Always: podman 4.3 gives the init container the pod's
  # restart policy and would re-run it (rewriting the keys) every few
  # seconds. The node is restarted when it fails; a clean stop stays
  # stopped. (cluster.yaml's StatefulSet restarts always.)
  restartPolicy: OnFailure
  securityContext:
    runAsNonRoot: true
    runAsUser: 10001
    runAsGroup: 10001
    fsGroup: 10001
    seccompProfile: {type: RuntimeDefault}
  initContainers:
    - name: keys
      image: @IMAGE@
      command: ["/usr/bin/install", "-m", "0600", "-t", "/etc/ifed/keys"]
      args: [@KEYS@]
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
      volumeMounts:
        - {name: ifed-@ID@-secret, mountPath: /etc/ifed/secret, readOnly: true}
        - {name: ifed-@ID@-keyfiles, mountPath: /etc/ifed/keys}
  containers:
    - name: node
      image: @IMAGE@
      args: ["--config", "/etc/ifed/config/node.yaml"]
      # Federation 7443 (mTLS), metrics 9464. No `ports:` list: podman's
      # kube play would publish each containerPort on the host.
      env:
        - {name: IFED_SOCKET, value: /run/ifed/admin.sock}
      # gRPC health over the admin socket: the federation port wants a
      # client certificate, which the kubelet's gRPC probe cannot present.
      readinessProbe:
        exec: {command: ["/usr/local/bin/ifedctl", "health", "--timeout", "4"]}
        initialDelaySeconds: 5
        periodSeconds: 10
        timeoutSeconds: 5
      livenessProbe:
        exec: {command: ["/usr/local/bin/ifedctl", "health", "--timeout", "8"]}
        initialDelaySeconds: 60
        periodSeconds: 30
        timeoutSeconds: 10
        failureThreshold: 3
      # Sized from BENCHMARKS.md (docs/operations.md): ~0.6 GiB RSS at 1-10 M records.
      resources:
        requests: {cpu: "1", memory: 1Gi}
        limits: {memory: 2Gi}
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
      volumeMounts:
        - {name: ifed-@ID@-data, mountPath: /var/lib/ifed}
        - {name: ifed-@ID@-run, mountPath: /run/ifed}
        - {name: ifed-@ID@-keyfiles, mountPath: /etc/ifed/keys, readOnly: true}
        - {name: ifed-@ID@-config, mountPath: /etc/ifed/config, readOnly: true}
        - {name: ifed-@ID@-crl, mountPath: /etc/ifed/crl, readOnly: true}
        - {name: ifed-@ID@-issuers, mountPath: /etc/ifed/issuers, readOnly: true}
        - {name: ifed-@ID@-policy, mountPath: /etc/ifed/policy, readOnly: true}
  # Volume names carry the node id: podman's kube play makes a named volume
  # of each emptyDir and ConfigMap, shared by every pod that uses the name.
  volumes:
    - {name: ifed-@ID@-data, persistentVolumeClaim: {claimName: ifed-@ID@-data}}
    - {name: ifed-@ID@-run, emptyDir: {}}
    - {name: ifed-@ID@-keyfiles, emptyDir: {medium: Memory}}
    # optional: false is spelled out: podman 4.3 crashes on a Secret volume without it.
    - {name: ifed-@ID@-secret, secret: {secretName: ifed-@ID@-keys, defaultMode: 0400, optional: false}}
    - {name: ifed-@ID@-config, configMap: {name: ifed-@ID@-config}}
    - {name: ifed-@ID@-crl, configMap: {name: ifed-@ID@-crl}}
    - {name: ifed-@ID@-issuers, configMap: {name: ifed-@ID@-issuers}}
    - {name: ifed-@ID@-policy, configMap: {name: ifed-@ID@-policy}}
EOF
done
