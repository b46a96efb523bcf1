// MISP event JSON reader (ifedctl ingest --format misp), as MISP exports it:
// {"Event": {...}}, {"response": [{"Event": {...}}, ...]} or a list of those.
//
// Attributes (also inside objects) by type:
//   phone-number -> phone; url, link -> url; email, email-src, email-dst ->
//   email; iban -> iban; btc, xmr -> crypto. Other types are skipped.
// Social-account objects (MISP object templates), by object_relation:
//   facebook-account  account-name -> handle facebook:NAME; link, url -> url
//   instagram-account account-name -> handle instagram:NAME; link, url -> url
//   twitter-account   name -> handle x:NAME; link, url -> url
//   telegram-account  username -> handle telegram:NAME; phone -> phone
//   tiktok-account    account-name, username -> handle tiktok:NAME; link, url -> url
//   (numeric account ids are not imported: the node keys handles by name.)
// TLP: the event's tlp:* tag; an attribute's own tlp:* tag overrides it.
// Deleted attributes are skipped. case_ref: "misp:<event uuid>".
//
// Memory: MISP writes the event's tags after its attributes, so the rows of
// one event are held (values only, not the JSON) until the event ends.
#ifndef IFED_INGEST_MISP_H_
#define IFED_INGEST_MISP_H_

#include <istream>

#include "absl/status/status.h"
#include "node/ingest/row.h"

namespace ifed::ingest {

absl::Status ReadMispEvents(std::istream& in, const ReadOptions& options, const Sinks& sinks);

}  // namespace ifed::ingest

#endif  // IFED_INGEST_MISP_H_
