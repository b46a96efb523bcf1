#include "node/console/ops_routes.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "proto/admin.grpc.pb.h"

namespace ifed::console {
namespace {

using google::protobuf::FieldDescriptor;

constexpr char kAdmin[] = "admin";
constexpr char kDpo[] = "dpo";
constexpr char kHub[] = "hub-operator";
constexpr size_t kMaxPolicyBody = 16 << 20;
constexpr size_t kMaxReconcileBody = 256 << 20;

// Calls `method` of `stub` for the signed-in person and renders the answer.
template <typename Stub, typename Req, typename Resp>
Response Forward(AdminClient* admin, const Call& call, Stub* stub,
                 grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                 const Req& request) {
  Resp response;
  std::unique_ptr<grpc::ClientContext> ctx = admin->Context(call.staff());
  absl::Status s = AdminClient::FromGrpc((stub->*method)(ctx.get(), request, &response));
  if (!s.ok()) return Response::Error(s);
  return Response::Json(ToJson(response));
}

// GET: the request from the query string.
template <typename Stub, typename Req, typename Resp>
Handler FromQuery(AdminClient* admin, Stub* stub,
                  grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*)) {
  return [=](const Call& call) {
    Req request;
    if (absl::Status s = QueryToMessage(call.request.query, &request); !s.ok()) {
      return Response::Error(s);
    }
    return Forward(admin, call, stub, method, request);
  };
}

// POST: the request from a JSON body (unknown fields refused).
template <typename Stub, typename Req, typename Resp>
Handler FromBody(AdminClient* admin, Stub* stub,
                 grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                 size_t max_body) {
  return [=](const Call& call) {
    Req request;
    if (call.request.body.size() > max_body) {
      return Response::Error(413, "request too large");
    }
    if (!call.request.body.empty()) {
      google::protobuf::util::JsonParseOptions o;
      o.ignore_unknown_fields = false;
      auto s = google::protobuf::util::JsonStringToMessage(call.request.body, &request, o);
      if (!s.ok()) {
        return Response::Error(400, absl::StrCat("bad JSON request: ", s.message().as_string()));
      }
    }
    return Forward(admin, call, stub, method, request);
  };
}

// The audit export as a JSONL download (streamed from the node, sent whole).
Response ExportAudit(AdminClient* admin, const Call& call) {
  ifed::v1::AuditExportRequest request;
  if (absl::Status s = QueryToMessage(call.request.query, &request); !s.ok()) {
    return Response::Error(s);
  }
  std::unique_ptr<grpc::ClientContext> ctx = admin->Context(call.staff());
  auto reader = admin->stub().AuditExport(ctx.get(), request);
  Response r;
  r.content_type = "application/x-ndjson";
  ifed::v1::AuditLine line;
  while (reader->Read(&line)) absl::StrAppend(&r.body, line.line(), "\n");
  absl::Status s = AdminClient::FromGrpc(reader->Finish());
  if (!s.ok()) return Response::Error(s);
  r.headers["content-disposition"] = "attachment; filename=\"audit-export.jsonl\"";
  return r;
}

// Backups: the configured directory, never one the browser names.
Handler Backups(AdminClient* admin, ifed::v1::ConsoleOps::StubInterface* ops,
                const std::string& dir, bool create) {
  return [=](const Call& call) {
    if (dir.empty()) {
      // Listing: an empty answer that says why; taking one: refused.
      if (!create) return Response::Json(R"({"configured":false,"backups":[]})");
      return Response::Error(409, "no backup directory is configured for the console (backup_dir)");
    }
    if (create) {
      ifed::v1::BackupRequest request;
      request.set_dir(dir);
      return Forward(admin, call, &admin->stub(), &ifed::v1::Admin::StubInterface::Backup, request);
    }
    ifed::v1::BackupListRequest request;
    request.set_dir(dir);
    return Forward(admin, call, ops, &ifed::v1::ConsoleOps::StubInterface::BackupList, request);
  };
}

// Key epochs: status only on GET.
Response KeyStatus(AdminClient* admin, const Call& call) {
  ifed::v1::KeysRequest request;
  request.set_action("status");
  return Forward(admin, call, &admin->stub(), &ifed::v1::Admin::StubInterface::Keys, request);
}

absl::Status SetField(google::protobuf::Message* m, const FieldDescriptor* f,
                      const std::string& v) {
  const auto* r = m->GetReflection();
  const auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat("parameter ", f->name(), ": bad value"));
  };
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      r->SetString(m, f, v);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t x;
      if (!absl::SimpleAtoi(v, &x)) return bad();
      r->SetInt64(m, f, x);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t x;
      if (!absl::SimpleAtoi(v, &x)) return bad();
      r->SetUInt64(m, f, x);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t x;
      if (!absl::SimpleAtoi(v, &x)) return bad();
      r->SetInt32(m, f, x);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t x;
      if (!absl::SimpleAtoi(v, &x)) return bad();
      r->SetUInt32(m, f, x);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL:
      if (v == "true" || v == "1") {
        r->SetBool(m, f, true);
      } else if (v == "false" || v == "0") {
        r->SetBool(m, f, false);
      } else {
        return bad();
      }
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* e = f->enum_type()->FindValueByName(v);
      if (e == nullptr) return bad();
      r->SetEnum(m, f, e);
      return absl::OkStatus();
    }
    default:
      return absl::InvalidArgumentError(absl::StrCat("parameter ", f->name(), ": not accepted"));
  }
}

}  // namespace

absl::Status QueryToMessage(const std::map<std::string, std::string>& query,
                            google::protobuf::Message* message) {
  std::unique_ptr<google::protobuf::Message> tmp(message->New());
  for (const auto& [k, v] : query) {
    const FieldDescriptor* f = message->GetDescriptor()->FindFieldByName(k);
    if (f == nullptr || f->is_repeated()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown parameter ", k.substr(0, 40)));
    }
    if (v.empty()) continue;
    if (absl::Status s = SetField(tmp.get(), f, v); !s.ok()) return s;
  }
  message->MergeFrom(*tmp);
  return absl::OkStatus();
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.always_print_primitive_fields = true;
  o.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, o);
  return out;
}

void RegisterOpsRoutes(Router& router, const ConsoleDeps& deps) {
  using A = ifed::v1::Admin::StubInterface;
  using O = ifed::v1::ConsoleOps::StubInterface;
  AdminClient* admin = deps.admin;
  if (admin == nullptr) return;  // no node to ask: nothing to serve.
  A* stub = &admin->stub();
  O* ops = &admin->ops();
  const std::string backup_dir = deps.config != nullptr ? deps.config->backup_dir() : "";
  router.Add(PageRoute("/admin", "admin.html", {kAdmin}, deps));
  router.Add(PageRoute("/dpo", "dpo.html", {kDpo}, deps));
  router.Add(PageRoute("/hub", "hub.html", {kHub}, deps));
  auto api = [&](std::string method, std::string pattern, std::set<std::string> roles,
                 Handler h) {
    router.Add(Route{.method = std::move(method),
                      .pattern = std::move(pattern),
                      .access = Access::kSignedIn,
                      .roles = std::move(roles),
                      .handler = std::move(h)});
  };
  // Administrator.
  api("GET", "/api/ops/peers", {kAdmin}, FromQuery(admin, stub, &A::Peers));
  api("GET", "/api/ops/status", {kAdmin}, FromQuery(admin, ops, &O::OpsStatus));
  api("GET", "/api/ops/policy/rules", {kAdmin}, FromQuery(admin, ops, &O::PolicyRules));
  api("GET", "/api/ops/policy/explain", {kAdmin}, FromQuery(admin, stub, &A::PolicyExplain));
  api("POST", "/api/ops/policy/diff", {kAdmin},
      FromBody(admin, stub, &A::PolicyDiff, kMaxPolicyBody));
  api("POST", "/api/ops/policy/reload", {kAdmin},
      FromBody(admin, stub, &A::PolicyReload, 1024));
  api("GET", "/api/ops/keys", {kAdmin}, [admin](const Call& c) { return KeyStatus(admin, c); });
  api("GET", "/api/ops/backups", {kAdmin}, Backups(admin, ops, backup_dir, false));
  api("POST", "/api/ops/backups", {kAdmin}, Backups(admin, ops, backup_dir, true));
  api("GET", "/api/ops/activity", {kAdmin, kDpo}, FromQuery(admin, ops, &O::Activity));
  // Data protection officer.
  api("GET", "/api/ops/audit", {kDpo, kAdmin}, FromQuery(admin, ops, &O::AuditSearch));
  api("POST", "/api/ops/audit/verify", {kDpo, kAdmin},
      FromBody(admin, ops, &O::AuditVerifyStart, 1024));
  api("GET", "/api/ops/audit/verify", {kDpo, kAdmin}, FromQuery(admin, ops, &O::AuditVerifyStatus));
  api("GET", "/api/ops/audit/export", {kDpo},
      [admin](const Call& c) { return ExportAudit(admin, c); });
  api("POST", "/api/ops/audit/reconcile", {kDpo},
      FromBody(admin, ops, &O::Reconcile, kMaxReconcileBody));
  // Hub operator.
  // On a node that is not a hub the report does not exist: the page says so
  // (an answer, not an error for the browser to log).
  api("GET", "/api/ops/hub", {kHub},
      [report = FromQuery(admin, stub, &A::HubStats)](const Call& call) {
        Response r = report(call);
        if (r.status != 409) return r;
        return Response::Json(absl::StrCat(R"({"hub":false,"refused":)", r.body, "}"));
      });
}

}  // namespace ifed::console
