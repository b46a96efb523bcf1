// Hits for the STIX export and TAXII tests: synthetic, no real values.
#ifndef IFED_INGEST_TEST_HITS_H_
#define IFED_INGEST_TEST_HITS_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "node/ingest/stix_export.h"

namespace ifed::ingest::testing {

// A hit at `ts_ms` from `peer` on phone number +4917000000<n>.
inline ifed::v1::HitRecord PhoneHit(int64_t ts_ms, const std::string& peer, int n,
                                    const std::string& source = "match") {
  ifed::v1::HitRecord h;
  h.set_ts_ms(ts_ms);
  h.set_peer(peer);
  h.set_scheme("keyed");
  h.set_type(ifed::v1::PHONE);
  h.set_canonical(absl::StrCat("+4917000000", n));
  h.set_reference(absl::StrCat("REF-", n));
  h.set_request_id(absl::StrCat("req-", ts_ms, "-", n));
  h.set_source(source);
  if (source == "watch") h.set_watch_id(absl::StrCat("w-", n));
  return h;
}

}  // namespace ifed::ingest::testing

#endif  // IFED_INGEST_TEST_HITS_H_
