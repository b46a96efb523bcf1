#include "node/console/analyst.h"

#include <algorithm>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "node/cli/csv.h"
#include "node/cli/rows.h"
#include "node/common/indicator_type.h"
#include "node/ingest/stix_export.h"

namespace ifed::console {
using nlohmann::json;

namespace {

std::string TypeStr(int t) { return ifed::TypeName(static_cast<ifed::IndicatorType>(t)); }

absl::StatusOr<ifed::v1::IndicatorType> ParseTypeField(const std::string& s,
                                                       const std::string& where) {
  absl::string_view trimmed = absl::StripAsciiWhitespace(s);
  std::optional<ifed::IndicatorType> t = ifed::ParseType(std::string_view(trimmed.data(), trimmed.size()));
  if (!t) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, "type must be one of phone, handle, url, email, iban, crypto, imei"));
  }
  return static_cast<ifed::v1::IndicatorType>(*t);
}

// A CSV upload: a header naming `type` and `value` (and optionally
// `region`, `platform`), then one item per line.
absl::Status ItemsFromCsv(const std::string& csv, google::protobuf::RepeatedPtrField<ifed::v1::MatchItem>* items) {
  std::istringstream in(csv);
  cli::CsvReader reader(in);
  absl::StatusOr<cli::CsvRecord> header = reader.Next();
  if (!header.ok()) return absl::InvalidArgumentError("the CSV file is empty");
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < header->fields.size(); ++i) {
    col[absl::AsciiStrToLower(absl::StripAsciiWhitespace(header->fields[i]))] = i;
  }
  if (!col.count("type") || !col.count("value")) {
    return absl::InvalidArgumentError(
        "the CSV file needs a header line with the columns type and value "
        "(and optionally region, platform)");
  }
  auto field = [&](const cli::CsvRecord& r, const char* name) -> std::string {
    auto it = col.find(name);
    return it == col.end() || it->second >= r.fields.size() ? "" : r.fields[it->second];
  };
  for (;;) {
    absl::StatusOr<cli::CsvRecord> r = reader.Next();
    if (absl::IsNotFound(r.status())) break;
    if (!r.ok()) return absl::InvalidArgumentError(absl::StrCat("CSV: ", r.status().message()));
    if (r->fields.size() == 1 && absl::StripAsciiWhitespace(r->fields[0]).empty()) continue;
    const std::string where = absl::StrCat("CSV line ", r->line, ": ");
    absl::StatusOr<ifed::v1::IndicatorType> type = ParseTypeField(field(*r, "type"), where);
    if (!type.ok()) return type.status();
    const std::string value(absl::StripAsciiWhitespace(field(*r, "value")));
    if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(where, "empty value"));
    const std::string platform = field(*r, "platform");
    if (std::string why = cli::CheckPlatform(*type, platform); !why.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, "platform: ", why));
    }
    if (static_cast<size_t>(items->size()) >= kMaxConsoleItems) break;
    ifed::v1::MatchItem* item = items->Add();
    item->set_type(*type);
    item->set_value(value);
    item->set_region(field(*r, "region"));
    item->set_platform(platform);
  }
  return absl::OkStatus();
}

// The items of a form: "csv" (header type,value,...) or "text" (one value
// per line, of the form's "type").
absl::Status ItemsOf(const json& form, google::protobuf::RepeatedPtrField<ifed::v1::MatchItem>* items) {
  absl::StatusOr<std::string> csv = FormString(form, "csv", 8 << 20);
  absl::StatusOr<std::string> text = FormString(form, "text", 8 << 20);
  absl::StatusOr<std::string> region = FormString(form, "region", 8);
  if (!csv.ok()) return csv.status();
  if (!text.ok()) return text.status();
  if (!region.ok()) return region.status();
  if (!csv->empty() && !text->empty()) {
    return absl::InvalidArgumentError("give either pasted values or a CSV file, not both");
  }
  if (!csv->empty()) {
    if (absl::Status s = ItemsFromCsv(*csv, items); !s.ok()) return s;
  } else {
    absl::StatusOr<std::string> type_name = FormString(form, "type", 32);
    if (!type_name.ok()) return type_name.status();
    absl::StatusOr<ifed::v1::IndicatorType> type = ParseTypeField(*type_name, "");
    if (!type.ok()) return type.status();
    for (absl::string_view line : absl::StrSplit(*text, '\n')) {
      line = absl::StripAsciiWhitespace(line);
      if (line.empty()) continue;
      if (static_cast<size_t>(items->size()) >= kMaxConsoleItems) {
        return absl::InvalidArgumentError(absl::StrCat(
            "more than ", kMaxConsoleItems, " values; split the list or use ifedctl match --file"));
      }
      ifed::v1::MatchItem* item = items->Add();
      item->set_type(*type);
      item->set_value(std::string(line));
      item->set_region(absl::AsciiStrToUpper(*region));
    }
  }
  if (items->empty()) {
    return absl::InvalidArgumentError("nothing to match: paste values (one per line) or choose a CSV file");
  }
  return absl::OkStatus();
}

// Who to ask: "peers" (a non-empty list), "all" or "hub" (optionally
// within jurisdictions).
struct Target {
  std::vector<std::string> peers;
  bool all = false;
  bool hub = false;
  std::vector<std::string> jurisdictions;
};

absl::StatusOr<Target> TargetOf(const json& form) {
  absl::StatusOr<std::string> mode = FormString(form, "target", 16);
  if (!mode.ok()) return mode.status();
  absl::StatusOr<std::vector<std::string>> peers = FormStrings(form, "peers");
  if (!peers.ok()) return peers.status();
  absl::StatusOr<std::vector<std::string>> js = FormStrings(form, "jurisdictions");
  if (!js.ok()) return js.status();
  Target t;
  if (*mode == "all") {
    t.all = true;
  } else if (*mode == "hub") {
    t.hub = true;
    for (std::string j : *js) {
      j = absl::AsciiStrToUpper(j);
      if (j.size() != 2 || !absl::ascii_isupper(j[0]) || !absl::ascii_isupper(j[1])) {
        return absl::InvalidArgumentError("a jurisdiction is a two-letter code such as AT");
      }
      t.jurisdictions.push_back(j);
    }
  } else if (*mode == "peers") {
    if (peers->empty()) return absl::InvalidArgumentError("choose at least one partner");
    t.peers = *peers;
  } else {
    return absl::InvalidArgumentError("target is peers, all or hub");
  }
  return t;
}

json PeerRow(int item, const std::string& value, const ifed::v1::LocalItemResult& r,
             const ifed::v1::PeerItemResult& p) {
  return {{"item", item + 1},
          {"value", value},
          {"type", TypeStr(r.type())},
          {"canonical", r.canonical()},
          {"peer", p.peer()},
          {"verdict", p.verdict() == ifed::v1::HIT ? "HIT" : "NO_HIT"},
          {"scheme", p.scheme()},
          {"via", p.via()},
          {"reference", p.reference()},
          {"contact", p.contact()},
          {"derived", p.derived()},
          {"form_type", p.derived() ? TypeStr(p.form_type()) : ""},
          {"form", p.derived() ? p.form() : ""}};
}

std::string Day(int64_t unix_seconds) {
  if (unix_seconds <= 0) return "";
  return ingest::Timestamp(unix_seconds * 1000);
}


}  // namespace

absl::StatusOr<std::string> FormString(const json& form, const char* key, size_t max) {
  if (!form.is_object()) return absl::InvalidArgumentError("send a JSON object");
  auto it = form.find(key);
  if (it == form.end() || it->is_null()) return std::string();
  if (!it->is_string()) return absl::InvalidArgumentError(absl::StrCat(key, ": not text"));
  std::string s = it->get<std::string>();
  if (s.size() > max) {
    return absl::InvalidArgumentError(absl::StrCat(key, ": longer than ", max, " bytes"));
  }
  return s;
}

absl::StatusOr<std::vector<std::string>> FormStrings(const json& form, const char* key) {
  if (!form.is_object()) return absl::InvalidArgumentError("send a JSON object");
  std::vector<std::string> out;
  auto it = form.find(key);
  if (it == form.end() || it->is_null()) return out;
  if (!it->is_array() || it->size() > 1000) {
    return absl::InvalidArgumentError(absl::StrCat(key, ": not a list"));
  }
  for (const json& v : *it) {
    if (!v.is_string() || v.get<std::string>().size() > 256) {
      return absl::InvalidArgumentError(absl::StrCat(key, ": not a list of names"));
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

absl::StatusOr<ifed::v1::Purpose> FormPurpose(const json& form) {
  absl::StatusOr<std::string> s = FormString(form, "purpose", 64);
  if (!s.ok()) return s.status();
  if (s->empty()) return ifed::v1::MIGRANT_SMUGGLING;
  std::optional<ifed::v1::Purpose> p = cli::ParsePurpose(*s);
  if (!p) return absl::InvalidArgumentError("unknown purpose (e.g. migrant_smuggling)");
  return *p;
}

absl::StatusOr<json> Analyst::Match(const Staff& staff, const json& form) {
  ifed::v1::LocalMatchRequest req;
  if (absl::Status s = ItemsOf(form, req.mutable_items()); !s.ok()) return s;
  absl::StatusOr<Target> target = TargetOf(form);
  if (!target.ok()) return target.status();
  absl::StatusOr<ifed::v1::Purpose> purpose = FormPurpose(form);
  if (!purpose.ok()) return purpose.status();
  absl::StatusOr<std::string> case_ref = FormString(form, "case", 256);
  if (!case_ref.ok()) return case_ref.status();
  if (case_ref->empty()) {
    return absl::InvalidArgumentError("give the case these values belong to");
  }
  for (const std::string& p : target->peers) req.add_peers(p);
  req.set_all(target->all);
  req.set_hub(target->hub);
  for (const std::string& j : target->jurisdictions) req.add_jurisdictions(j);
  req.set_purpose(*purpose);
  req.set_case_ref(*case_ref);
  req.set_resolve(form.value("resolve", false) == true);
  ifed::v1::LocalMatchResponse resp;
  if (absl::Status s = admin_->Call(staff, &ifed::v1::Admin::StubInterface::Match, req, &resp);
      !s.ok()) {
    return s;
  }
  json rows = json::array(), errors = json::array(), peer_errors = json::array();
  int hits = 0;
  for (const ifed::v1::LocalItemResult& r : resp.items()) {
    const int i = static_cast<int>(r.index());
    const std::string value = i < req.items_size() ? req.items(i).value() : "";
    if (!r.ok()) {
      errors.push_back({{"item", i + 1}, {"error", r.error()}});
      continue;
    }
    for (const ifed::v1::PeerItemResult& p : r.peers()) {
      hits += p.verdict() == ifed::v1::HIT;
      rows.push_back(PeerRow(i, value, r, p));
      rows.back()["request_id"] = resp.request_id();
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const json& a, const json& b) {
    const bool ha = a["verdict"] == "HIT", hb = b["verdict"] == "HIT";
    if (ha != hb) return ha;
    if (a["peer"] != b["peer"]) return a["peer"] < b["peer"];
    return a["item"] < b["item"];
  });
  for (const ifed::v1::PeerError& e : resp.peer_errors()) {
    peer_errors.push_back({{"peer", e.peer()}, {"code", e.code()}, {"message", e.message()}});
  }
  return json{{"request_id", resp.request_id()}, {"rows", rows},   {"errors", errors},
              {"peer_errors", peer_errors},      {"hits", hits},   {"items", req.items_size()}};
}

namespace {

// A CSV field: quoted when needed; a leading = + - @ (a spreadsheet
// formula) is neutralised with a leading apostrophe.
std::string CsvField(const std::string& v) {
  std::string s = v;
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
                     s[0] == '\r')) {
    s = "'" + s;
  }
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

absl::Status CheckRows(const json& rows) {
  if (!rows.is_array()) return absl::InvalidArgumentError("rows: not a list");
  if (rows.size() > 200000) return absl::InvalidArgumentError("rows: too many");
  for (const json& r : rows) {
    if (!r.is_object()) return absl::InvalidArgumentError("rows: not a list of results");
  }
  return absl::OkStatus();
}

std::string Text(const json& row, const char* key) {
  auto it = row.find(key);
  if (it == row.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_boolean()) return it->get<bool>() ? "true" : "false";
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  return "";
}

}  // namespace

absl::StatusOr<std::string> Analyst::ExportCsv(const json& rows) {
  if (absl::Status s = CheckRows(rows); !s.ok()) return s;
  static const char* kCols[] = {"verdict", "peer",    "item",   "type",     "value",
                                "canonical", "scheme", "via",   "reference", "contact",
                                "derived", "form_type", "form"};
  std::string out;
  for (size_t i = 0; i < std::size(kCols); ++i) absl::StrAppend(&out, i ? "," : "", kCols[i]);
  out += "\r\n";
  for (const json& r : rows) {
    for (size_t i = 0; i < std::size(kCols); ++i) {
      absl::StrAppend(&out, i ? "," : "", CsvField(Text(r, kCols[i])));
    }
    out += "\r\n";
  }
  return out;
}

absl::StatusOr<std::string> Analyst::ExportStix(const json& rows, int64_t now_ms) {
  if (absl::Status s = CheckRows(rows); !s.ok()) return s;
  ifed::v1::HitsExportResponse hits;
  for (const json& r : rows) {
    if (Text(r, "verdict") != "HIT") continue;
    const bool derived = Text(r, "derived") == "true";
    std::optional<ifed::IndicatorType> type =
        ifed::ParseType(derived ? Text(r, "form_type") : Text(r, "type"));
    const std::string canonical = derived ? Text(r, "form") : Text(r, "canonical");
    if (!type || canonical.empty()) {
      return absl::InvalidArgumentError("rows: a HIT row without its type or canonical form");
    }
    ifed::v1::HitRecord* h = hits.add_hits();
    h->set_ts_ms(now_ms);
    h->set_peer(Text(r, "peer"));
    h->set_scheme(Text(r, "scheme"));
    h->set_type(static_cast<ifed::v1::IndicatorType>(*type));
    h->set_canonical(canonical);
    h->set_reference(Text(r, "reference"));
    h->set_contact(Text(r, "contact"));
    h->set_request_id(Text(r, "request_id"));
    h->set_source("match");
  }
  return ingest::StixBundle(hits).dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

absl::StatusOr<json> Analyst::Trace(const Staff& staff, const json& form) {
  absl::StatusOr<std::string> ref = FormString(form, "reference", 256);
  if (!ref.ok()) return ref.status();
  std::string reference(absl::StripAsciiWhitespace(*ref));
  if (reference.empty()) return absl::InvalidArgumentError("give a reference to trace");
  ifed::v1::RecordsShowRequest req;
  req.set_reference(reference);
  ifed::v1::RecordsShowResponse resp;
  if (absl::Status s =
          admin_->Call(staff, &ifed::v1::Admin::StubInterface::RecordsShow, req, &resp);
      !s.ok()) {
    return s;
  }
  json records = json::array();
  for (const ifed::v1::RecordView& r : resp.records()) {
    json posts = json::array();
    for (const ifed::v1::PostProvenance& p : r.provenance()) {
      posts.push_back({{"post_url", p.post_url()},
                       {"captured_at", Day(p.captured_at())},
                       {"author", p.author()},
                       {"posted_at", p.posted_at()}});
    }
    records.push_back({{"record_id", r.record_id()},
                       {"type", TypeStr(r.type())},
                       {"case", r.case_ref()},
                       {"tlp", ifed::v1::Tlp_Name(r.tlp())},
                       {"crime_area", r.crime_area()},
                       {"first_seen", Day(r.first_seen())},
                       {"last_seen", Day(r.last_seen())},
                       {"expires", Day(r.expires())},
                       {"hold", r.hold()},
                       {"posts", posts}});
  }
  if (records.empty()) return absl::NotFoundError("no record of ours has this reference");
  return json{{"records", records}};
}

absl::StatusOr<json> Analyst::RequestFollowUp(const Staff& staff, const json& form) {
  ifed::v1::FollowUpsRequest req;
  req.set_action("request");
  absl::StatusOr<std::string> peer = FormString(form, "peer", 64);
  absl::StatusOr<std::string> ref = FormString(form, "reference", 256);
  absl::StatusOr<std::string> basis = FormString(form, "legal_basis", 512);
  absl::StatusOr<std::string> why = FormString(form, "justification", 4096);
  for (const auto* s : {&peer, &ref, &basis, &why}) {
    if (!s->ok()) return s->status();
  }
  if (peer->empty() || ref->empty()) {
    return absl::InvalidArgumentError("a follow-up needs the partner and the reference of the hit");
  }
  if (basis->empty() || why->empty()) {
    return absl::InvalidArgumentError("a follow-up needs a legal basis and a justification");
  }
  absl::StatusOr<ifed::v1::Purpose> purpose = FormPurpose(form);
  if (!purpose.ok()) return purpose.status();
  req.set_peer(*peer);
  req.set_reference(*ref);
  req.set_legal_basis(*basis);
  req.set_justification(*why);
  req.set_purpose(*purpose);
  ifed::v1::FollowUpsResponse resp;
  if (absl::Status s = admin_->Call(staff, &ifed::v1::Admin::StubInterface::FollowUps, req, &resp);
      !s.ok()) {
    return s;
  }
  if (resp.entries_size() == 0) return absl::InternalError("the node answered no follow-up");
  return FollowUpJson(resp.entries(0));
}

absl::StatusOr<json> Analyst::FollowUpStatus(const Staff& staff) {
  ifed::v1::FollowUpsRequest req;
  req.set_action("status");
  ifed::v1::FollowUpsResponse resp;
  if (absl::Status s = admin_->Call(staff, &ifed::v1::Admin::StubInterface::FollowUps, req, &resp);
      !s.ok()) {
    return s;
  }
  json list = json::array();
  for (const auto& r : resp.entries()) list.push_back(FollowUpJson(r));
  return json{{"followups", list}, {"now", now_ms_() / 1000}};
}

absl::StatusOr<json> Analyst::AddWatch(const Staff& staff, const json& form) {
  google::protobuf::RepeatedPtrField<ifed::v1::MatchItem> items;
  if (absl::Status s = ItemsOf(form, &items); !s.ok()) return s;
  absl::StatusOr<Target> target = TargetOf(form);
  if (!target.ok()) return target.status();
  absl::StatusOr<ifed::v1::Purpose> purpose = FormPurpose(form);
  if (!purpose.ok()) return purpose.status();
  ifed::v1::WatchesRequest req;
  req.set_action("add");
  // One watch is of one type: a CSV upload must not mix them.
  req.set_type(items[0].type());
  req.set_region(items[0].region());
  for (const auto& item : items) {
    if (item.type() != req.type()) {
      return absl::InvalidArgumentError("a watch holds values of one type; split the list");
    }
    req.add_values(item.value());
  }
  for (const std::string& p : target->peers) req.add_peers(p);
  req.set_all(target->all);
  req.set_hub(target->hub);
  for (const std::string& j : target->jurisdictions) req.add_jurisdictions(j);
  req.set_purpose(*purpose);
  if (form.contains("until_days")) {
    if (!form["until_days"].is_number_integer() || form["until_days"].get<int64_t>() < 1 ||
        form["until_days"].get<int64_t>() > 3650) {
      return absl::InvalidArgumentError("until_days: a number of days from 1 to 3650");
    }
    req.set_until(now_ms_() / 1000 + form["until_days"].get<int64_t>() * 86400);
  }
  ifed::v1::WatchesResponse resp;
  if (absl::Status s = admin_->Call(staff, &ifed::v1::Admin::StubInterface::Watches, req, &resp);
      !s.ok()) {
    return s;
  }
  json peers = json::array();
  for (const auto& p : resp.peers()) {
    peers.push_back({{"peer", p.peer()}, {"code", p.code()}, {"message", p.message()},
                     {"watch_id", p.answer().watch_id()}});
  }
  return json{{"peers", peers}, {"errors", resp.errors()}};
}

absl::StatusOr<json> Analyst::ListWatches(const Staff& staff) {
  ifed::v1::WatchesRequest req;
  req.set_action("list");
  ifed::v1::WatchesResponse resp;
  if (absl::Status s = admin_->Call(staff, &ifed::v1::Admin::StubInterface::Watches, req, &resp);
      !s.ok()) {
    return s;
  }
  json list = json::array();
  for (const auto& w : resp.watches()) {
    json types = json::array();
    for (int t : w.types()) types.push_back(TypeStr(t));
    list.push_back({{"watch_id", w.watch_id()},
                    {"peer", w.peer()},
                    {"purpose", absl::AsciiStrToLower(ifed::v1::Purpose_Name(w.purpose()))},
                    {"types", types},
                    {"items", w.items()},
                    {"created", w.created()},
                    {"until", w.until()},
                    {"state", w.state()},
                    {"scheme", w.scheme().empty() ? "keyed" : w.scheme()},
                    {"suspended_reason", w.suspended_reason()}});
  }
  return json{{"watches", list}};
}

absl::StatusOr<json> Analyst::RemoveWatch(const Staff& staff, const json& form) {
  absl::StatusOr<std::string> id = FormString(form, "watch_id", 128);
  if (!id.ok()) return id.status();
  if (id->empty()) return absl::InvalidArgumentError("which watch? (watch_id)");
  absl::StatusOr<std::vector<std::string>> peers = FormStrings(form, "peers");
  if (!peers.ok()) return peers.status();
  ifed::v1::WatchesRequest req;
  req.set_action("remove");
  req.set_watch_id(*id);
  for (const std::string& p : *peers) req.add_peers(p);
  req.set_all(peers->empty());
  ifed::v1::WatchesResponse resp;
  if (absl::Status s = admin_->Call(staff, &ifed::v1::Admin::StubInterface::Watches, req, &resp);
      !s.ok()) {
    return s;
  }
  json out = json::array();
  for (const auto& p : resp.peers()) {
    out.push_back({{"peer", p.peer()}, {"code", p.code()}, {"message", p.message()}});
  }
  return json{{"peers", out}};
}

absl::StatusOr<json> Analyst::Alerts(const Staff& staff, int64_t since_ms) {
  ifed::v1::WatchesRequest req;
  req.set_action("events");
  req.set_since_ms(since_ms);
  ifed::v1::WatchesResponse resp;
  if (absl::Status s = admin_->Call(staff, &ifed::v1::Admin::StubInterface::Watches, req, &resp);
      !s.ok()) {
    return s;
  }
  json alerts = json::array();
  for (const ifed::v1::WatchEventRecord& e : resp.events()) {
    const ifed::v1::WatchNotification& n = e.notification();
    alerts.push_back({{"received_ms", e.received_ms()},
                      {"peer", n.member().empty() ? e.sender() : e.sender() + "/" + n.member()},
                      {"watch_id", n.watch_id()},
                      {"kind", ifed::v1::WatchEventKind_Name(n.kind())},
                      {"type", TypeStr(n.type())},
                      {"reference", n.reference()},
                      {"contact", n.contact()},
                      {"reason", n.reason()}});
  }
  std::stable_sort(alerts.begin(), alerts.end(), [](const json& a, const json& b) {
    return a["received_ms"] > b["received_ms"];
  });
  const size_t count = alerts.size();
  return json{{"alerts", alerts}, {"count", count}, {"now_ms", now_ms_()}};
}

absl::StatusOr<json> Analyst::Peers(const Staff& staff) {
  ifed::v1::PeersRequest req;
  req.set_list_only(true);
  ifed::v1::PeersResponse resp;
  if (absl::Status s = admin_->Call(staff, &ifed::v1::Admin::StubInterface::Peers, req, &resp);
      !s.ok()) {
    return s;
  }
  json peers = json::array();
  for (const auto& p : resp.peers()) peers.push_back(p.id());
  return json{{"peers", peers}};
}

json FollowUpJson(const ifed::v1::FollowUpRecord& r) {
  return {{"id", r.followup_id()},
          {"peer", r.peer()},
          {"reference", r.reference()},
          {"purpose", absl::AsciiStrToLower(ifed::v1::Purpose_Name(r.purpose()))},
          {"legal_basis", r.legal_basis()},
          {"justification", r.justification()},
          {"state", ifed::v1::FollowUpState_Name(r.state())},
          {"reply", r.reply()},
          {"reason", r.reason()},
          {"created", r.created()},
          {"deadline", r.deadline()},
          {"decided", r.decided()},
          {"overdue", r.overdue()}};
}

}  // namespace ifed::console
