#include "node/ingest/misp.h"

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace ifed::ingest {
namespace {

using json = nlohmann::json;

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// MISP writes booleans as true/false, and older exports as "0"/"1" or 0/1.
bool Truthy(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return false;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_number_integer()) return it->get<int64_t>() != 0;
  if (it->is_string()) return it->get<std::string>() == "1" || it->get<std::string>() == "true";
  return false;
}

std::optional<IndicatorType> AttributeType(const std::string& t) {
  if (t == "phone-number") return IndicatorType::kPhone;
  if (t == "url" || t == "link") return IndicatorType::kUrl;
  if (t == "email" || t == "email-src" || t == "email-dst") return IndicatorType::kEmail;
  if (t == "iban") return IndicatorType::kIban;
  if (t == "btc" || t == "xmr") return IndicatorType::kCryptoWallet;
  return std::nullopt;
}

struct AccountTemplate {
  const char* platform;                     // normaliser platform name.
  std::vector<std::string> name_relations;  // relations holding the account name.
};

const std::map<std::string, AccountTemplate>& AccountTemplates() {
  static const auto* m = new std::map<std::string, AccountTemplate>{
      {"facebook-account", {"facebook", {"account-name"}}},
      {"instagram-account", {"instagram", {"account-name"}}},
      {"twitter-account", {"x", {"name"}}},
      {"telegram-account", {"telegram", {"username"}}},
      {"tiktok-account", {"tiktok", {"account-name", "username"}}},
  };
  return *m;
}

// Most restrictive tlp:* tag of a Tag array.
std::optional<Tlp> TagTlp(const json& holder) {
  auto tags = holder.find("Tag");
  if (tags == holder.end() || !tags->is_array()) return std::nullopt;
  std::optional<Tlp> out;
  for (const json& tag : *tags) {
    if (!tag.is_object()) continue;
    auto t = ParseTlpName(Str(tag, "name"));
    if (t && (!out || static_cast<int>(*t) > static_cast<int>(*out))) out = t;
  }
  return out;
}

class EventReader {
 public:
  explicit EventReader(const Sinks& sinks) : sinks_(sinks) {}

  void Attribute(const json& a, const std::string& object_name) {
    ++ordinal_;
    if (!a.is_object()) {
      Refuse("attribute", "malformed attribute", false);
      return;
    }
    const std::string uuid = Str(a, "uuid");
    const std::string source = absl::StrCat("attribute ", uuid.empty() ? "(no uuid)" : uuid);
    const std::string type = Str(a, "type");
    if (type.empty() || !a.contains("value") || !a["value"].is_string()) {
      Refuse(source, "malformed attribute: no type or value", false);
      return;
    }
    if (Truthy(a, "deleted")) {
      Refuse(source, "deleted, skipped", true);
      return;
    }
    Row row;
    row.ordinal = ordinal_;
    row.source = source;
    row.value = a["value"].get<std::string>();
    if (auto tlp = TagTlp(a)) row.tlp = *tlp;
    const std::string relation = Str(a, "object_relation");
    if (auto it = AccountTemplates().find(object_name);
        it != AccountTemplates().end() && !relation.empty()) {
      for (const std::string& r : it->second.name_relations) {
        if (relation == r) {
          row.type = IndicatorType::kHandle;
          std::string name = row.value;
          row.value = absl::StrCat(it->second.platform, ":", name);
        }
      }
      if (relation == "phone") row.type = IndicatorType::kPhone;
    }
    if (row.type == IndicatorType::kUnspecified) {
      auto t = AttributeType(type);
      if (!t) {
        Refuse(source, absl::StrCat("attribute type ", type.size() <= 40 ? type : "(long)",
                                    object_name.empty() ? "" : " in object ",
                                    object_name.size() <= 40 ? object_name : "(long)",
                                    " not imported, skipped"),
               true);
        return;
      }
      row.type = *t;
    }
    rows_.push_back(std::move(row));
  }

  // The event is complete: its tags and uuid are known.
  void EndEvent(const json& event) {
    const std::optional<Tlp> tlp = TagTlp(event);
    const std::string uuid = Str(event, "uuid");
    for (Row& r : rows_) {
      if (r.tlp == Tlp::kUnspecified && tlp) r.tlp = *tlp;
      if (!uuid.empty()) r.case_ref = absl::StrCat("misp:", uuid);
      sinks_.row(std::move(r));
    }
    rows_.clear();
  }

  void Refuse(const std::string& source, std::string reason, bool skipped) {
    sinks_.refusal(Refusal{ordinal_, source, std::move(reason), skipped});
  }

 private:
  const Sinks& sinks_;
  std::vector<Row> rows_;  // of the current event.
  uint32_t ordinal_ = 0;
};

}  // namespace

absl::Status ReadMispEvents(std::istream& in, const ReadOptions& options, const Sinks& sinks) {
  EventReader reader(sinks);
  // Container stack ('o' object, 'a' array) and the key at each depth.
  std::vector<char> stack;
  std::vector<std::string> keys(16);
  int event_depth = -1;          // depth of the open Event object.
  std::string object_name;       // name of the open MISP object, if any.
  int events = 0;
  auto key_at = [&](int depth) -> const std::string& { return keys[depth]; };
  json::parser_callback_t cb = [&](int depth, json::parse_event_t ev, json& parsed) {
    if (static_cast<size_t>(depth) + 1 >= keys.size()) keys.resize(depth + 2);
    switch (ev) {
      case json::parse_event_t::key:
        keys[depth] = parsed.is_string() ? parsed.get<std::string>() : "";
        return true;
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start: {
        const bool in_object = !stack.empty() && stack.back() == 'o';
        if (ev == json::parse_event_t::object_start && in_object && event_depth < 0 &&
            key_at(depth) == "Event") {
          event_depth = depth;
        }
        stack.push_back(ev == json::parse_event_t::object_start ? 'o' : 'a');
        return true;
      }
      case json::parse_event_t::array_end:
        stack.pop_back();
        return true;
      case json::parse_event_t::object_end: {
        stack.pop_back();
        const bool in_object = !stack.empty() && stack.back() == 'o';
        if (event_depth >= 0 && depth == event_depth && in_object) {
          reader.EndEvent(parsed);
          event_depth = -1;
          ++events;
          return false;
        }
        // Event.Attribute[i] (depth event+2) and Event.Object[j].Attribute[k] (event+4).
        if (event_depth >= 0 && !in_object && depth == event_depth + 2 &&
            key_at(event_depth + 1) == "Attribute") {
          reader.Attribute(parsed, "");
          return false;
        }
        if (event_depth >= 0 && !in_object && depth == event_depth + 4 &&
            key_at(event_depth + 1) == "Object" && key_at(event_depth + 3) == "Attribute") {
          reader.Attribute(parsed, object_name);
          return false;
        }
        if (event_depth >= 0 && !in_object && depth == event_depth + 2 &&
            key_at(event_depth + 1) == "Object") {
          object_name.clear();
          return false;  // its attributes are handled.
        }
        return true;
      }
      case json::parse_event_t::value:
        // The MISP object's name comes before its Attribute list in MISP's export.
        if (event_depth >= 0 && depth == event_depth + 3 && key_at(event_depth + 1) == "Object" &&
            key_at(depth) == "name" && parsed.is_string()) {
          object_name = parsed.get<std::string>();
        }
        return true;
    }
    return true;
  };
  try {
    json doc = json::parse(in, cb);
  } catch (const json::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON near byte ", e.byte));
  } catch (const json::exception&) {
    return absl::InvalidArgumentError("invalid JSON");
  }
  if (events == 0) return absl::InvalidArgumentError("no MISP Event in the input");
  (void)options;
  return absl::OkStatus();
}

}  // namespace ifed::ingest
