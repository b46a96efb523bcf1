// Data-dir binding (item 10): a data dir belongs to one node of one
// federation and one key set. At the first start the node records, in the
// store's meta column family, its node id, federation, a fingerprint of each
// federation key epoch and a label sealed with the local key; at every later
// start it compares them before serving, so that a copied, swapped or
// restored-to-the-wrong-node data dir, a key file whose epoch N is another
// key than before, a key file older than the data, or another local sealing
// key is refused with a clear error instead of silently never matching.
#ifndef IFED_DAEMON_BINDING_H_
#define IFED_DAEMON_BINDING_H_

#include <string>

#include "absl/status/status.h"
#include "node/crypto/keyed.h"
#include "node/crypto/sealer.h"
#include "node/store/store.h"

namespace ifed::daemon {

struct BindingInputs {
  std::string node_id;
  std::string federation;
  const crypto::KeyedPseudonymizer* keys;  // null on a hub: it holds no federation key.
  const crypto::Sealer* sealer;
};

// FailedPrecondition naming what differs; OK when the store has no binding
// yet (a new or pre-binding data dir) or when it matches.
absl::Status CheckBinding(const store::Store& store, const BindingInputs& in);

// Records the binding for the keys in force (after a key rotation dropped or
// added epochs). Durable when OK.
absl::Status WriteBinding(store::Store& store, const BindingInputs& in);

}  // namespace ifed::daemon

#endif  // IFED_DAEMON_BINDING_H_
