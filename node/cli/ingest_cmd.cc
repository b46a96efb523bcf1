// ifedctl ingest [--format csv|stix|misp|posts] [--hold] FILE|-
//
// posts: monitored posts (node/cli/posts.h), extracted here; each
// indicator becomes a row carrying the post's provenance. Values on the
// warning list are skipped (reported), not sent.
//
// Streams the input: rows go to the node in chunks as they are read, so the
// CLI's memory does not grow with the file. The node checks every row and
// writes one transaction at the end of the stream, all or nothing (or, with
// --skip-invalid, the valid rows); it stages a large transaction on disk, so
// its memory does not grow with the file either. By default the whole file
// is one transaction (up to the node's 200 million rows); --batch-rows N
// cuts it into consecutive transactions of N rows, and the first one
// refused stops the import (the summary names the line it stopped at;
// ingest is idempotent, so a corrected file can simply be ingested again).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "node/cli/cli.h"
#include "node/cli/csv.h"
#include "node/cli/posts.h"
#include "node/cli/rows.h"
#include "node/common/clock.h"
#include "node/common/indicator_type.h"
#include "node/ingest/misp.h"
#include "node/ingest/stix.h"

namespace ifed::cli {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kChunkRows = 2000;
constexpr size_t kNodeMaxRows = 200'000'000;  // node/admin/service.cc
constexpr size_t kDefaultBatchRows = kNodeMaxRows;

struct Totals {
  uint64_t rows = 0;            // rows handed to the node.
  uint64_t input_refused = 0;   // refused while reading (format, fields).
  uint64_t skipped = 0;         // STIX/MISP objects that are not for us.
  uint64_t refused_invalid = 0; // by the node: normalisation or fields.
  uint64_t refused_warning = 0; // by the node: warning list.
  uint64_t stored = 0, updated = 0, records = 0;
  uint32_t transactions = 0;
};

// Where a row came from, for messages: "line 12" or "object 4 (indicator--...)".
struct Source {
  bool json = false;
  std::string Where(uint32_t n, const std::string& id) const {
    if (!json) return absl::StrCat("line ", n);
    return id.empty() ? absl::StrCat("object ", n) : absl::StrCat("object ", n, " (", id, ")");
  }
};

class Report {
 public:
  explicit Report(const std::string& path) {
    if (path.empty()) return;
    out_ = std::make_unique<std::ofstream>(path, std::ios::trunc);
    if (*out_) *out_ << "where\toutcome\treason\n";
  }
  bool ok() const { return out_ == nullptr || static_cast<bool>(*out_); }
  void Add(const std::string& where, const char* outcome, const std::string& reason) {
    if (out_) *out_ << where << '\t' << outcome << '\t' << reason << '\n';
  }

 private:
  std::unique_ptr<std::ofstream> out_;
};

class Progress {
 public:
  Progress(bool on, uint64_t total_bytes) : on_(on), total_(total_bytes), start_(Clock::now()) {}
  void Update(uint64_t rows, int64_t bytes, bool force = false) {
    if (!on_) return;
    const auto now = Clock::now();
    if (!force && now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double rate = secs > 0 ? rows / secs : 0;
    std::string line;
    if (total_ > 0 && bytes >= 0) {
      const double f = std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total_));
      const int bar = static_cast<int>(30 * f);
      const double eta = f > 0 ? secs * (1 - f) / f : 0;
      line = absl::StrFormat("\r[%s%s] %3d%% %d rows  %.0f rows/s  ETA %d:%02d ", std::string(bar, '#'),
                             std::string(30 - bar, ' '), static_cast<int>(100 * f), rows, rate,
                             static_cast<int>(eta) / 60, static_cast<int>(eta) % 60);
    } else {
      line = absl::StrFormat("\r%d rows  %.0f rows/s ", rows, rate);
    }
    std::cerr << line << std::flush;
  }
  void Done() {
    if (on_) std::cerr << "\n";
  }

 private:
  bool on_;
  uint64_t total_;
  Clock::time_point start_, last_;
};

struct Options {
  bool dry_run = false, skip_invalid = false, want_report = false;
  size_t batch_rows = kDefaultBatchRows;
};

// One Ingest call after another, each at most batch_rows rows.
class Uploader {
 public:
  Uploader(ifed::v1::Admin::Stub& stub, const Options& o, const Source& src, Report* report,
           Totals* totals, const std::string& socket)
      : stub_(stub), o_(o), src_(src), report_(report), totals_(totals), socket_(socket) {}

  // False once a transaction failed: stop reading.
  bool Add(ifed::v1::IngestRow&& row, const std::string& source_id) {
    if (failed_) return false;
    if (writer_ == nullptr) Begin();
    if (src_.json && !source_id.empty()) ids_.emplace(row.line(), source_id);
    *chunk_.add_rows() = std::move(row);
    ++txn_rows_;
    ++totals_->rows;
    if (chunk_.rows_size() >= static_cast<int>(kChunkRows)) Flush();
    if (txn_rows_ >= o_.batch_rows) return End();
    return !failed_;
  }

  // Ends the open transaction; false when it was refused or failed.
  bool End() {
    if (writer_ == nullptr) return !failed_;
    Flush();
    writer_->WritesDone();
    grpc::Status s = writer_->Finish();
    writer_.reset();
    ++totals_->transactions;
    if (!s.ok()) {
      rc_ = RpcFailed(s, socket_);
      failed_ = true;
      return false;
    }
    // Rows the CLI already refused reached the node only to fail the transaction.
    const uint64_t poisoned = o_.skip_invalid ? 0 : client_refused_.size();
    totals_->refused_invalid += resp_.refused_invalid() > poisoned ? resp_.refused_invalid() - poisoned : 0;
    totals_->refused_warning += resp_.refused_warning();
    totals_->stored += resp_.stored();
    totals_->updated += resp_.updated();
    totals_->records += resp_.records();
    for (const auto& e : resp_.errors()) {
      if (client_refused_.count(e.line())) continue;  // reported with its own reason.
      auto it = ids_.find(e.line());
      const std::string where = src_.Where(e.line(), it == ids_.end() ? "" : it->second);
      if (!o_.want_report || print_budget_ > 0) {
        std::cerr << where << ": field " << e.field() << ": " << e.reason() << "\n";
        if (print_budget_ > 0) --print_budget_;
      }
      report_->Add(where, "refused", absl::StrCat("field ", e.field(), ": ", e.reason()));
    }
    const uint64_t refused = resp_.refused_invalid() + resp_.refused_warning();
    if (refused > static_cast<uint64_t>(resp_.errors_size()) + client_refused_.size()) {
      report_->Add("-", "note", absl::StrCat(refused - resp_.errors_size(),
                                              " further refusals not listed by the node"));
    }
    if (refused > 0 && !o_.skip_invalid && !o_.dry_run) {
      failed_ = true;
      rc_ = 1;
    }
    ids_.clear();
    client_refused_.clear();
    return !failed_;
  }

  // A row refused while reading: reported here; the node gets a row it must
  // refuse too, so that an all-or-nothing transaction stores nothing.
  void ClientRefusal(uint32_t n, const std::string& id, const std::string& reason) {
    ++totals_->input_refused;
    const std::string where = src_.Where(n, id);
    if (print_budget_ > 0) {
      std::cerr << where << ": " << reason << "\n";
      --print_budget_;
    }
    report_->Add(where, "refused", reason);
    if (o_.skip_invalid || failed_) return;
    ifed::v1::IngestRow poison;  // no type: the node refuses it.
    poison.set_line(n);
    client_refused_.insert({n, true});
    Add(std::move(poison), id);
    --totals_->rows;
  }

  int rc() const { return rc_; }
  bool failed() const { return failed_; }

 private:
  void Begin() {
    ctx_ = std::make_unique<grpc::ClientContext>();
    resp_.Clear();
    writer_ = stub_.Ingest(ctx_.get(), &resp_);
    txn_rows_ = 0;
    first_ = true;
  }
  void Flush() {
    if (chunk_.rows_size() == 0 && !first_) return;
    if (first_) {
      chunk_.set_dry_run(o_.dry_run);
      chunk_.set_skip_invalid(o_.skip_invalid);
      chunk_.set_max_errors(o_.want_report ? 100000 : 100);
      first_ = false;
    }
    if (!writer_->Write(chunk_)) {
      // The node ended the call (an error comes with Finish).
    }
    chunk_.Clear();
  }

  ifed::v1::Admin::Stub& stub_;
  const Options& o_;
  const Source& src_;
  Report* report_;
  Totals* totals_;
  std::string socket_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientWriter<ifed::v1::IngestChunk>> writer_;
  ifed::v1::IngestResponse resp_;
  ifed::v1::IngestChunk chunk_;
  size_t txn_rows_ = 0;
  bool first_ = true, failed_ = false;
  int rc_ = 0;
  int print_budget_ = 20;
  std::map<uint32_t, std::string> ids_;   // JSON formats: ordinal -> object id.
  std::map<uint32_t, bool> client_refused_;
};

struct Defaults {
  std::string case_ref, crime_area, region;
  ifed::v1::Tlp tlp = ifed::v1::TLP_UNSPECIFIED;
  bool hold = false;  // --hold: every row is held by an investigation.
};

// The `hold` column: empty (the --hold default), true/false, yes/no, 1/0.
std::optional<bool> ParseHold(const std::string& text, bool fallback) {
  const std::string s = absl::AsciiStrToLower(text);
  if (s.empty()) return fallback;
  if (s == "true" || s == "yes" || s == "1") return true;
  if (s == "false" || s == "no" || s == "0") return false;
  return std::nullopt;
}

// The `sharing` column: empty (the policy decides), "national_only", or
// "not_for:at;hu" (never shared with these partners). Returns an error text,
// empty when fine.
std::string ParseSharing(const std::string& text, ifed::v1::IngestRow* row) {
  if (text.empty()) return "";
  const std::string s = absl::AsciiStrToLower(text);
  if (s == "national_only") {
    row->set_national_only(true);
    return "";
  }
  if (s.rfind("not_for:", 0) == 0) {
    for (absl::string_view id : absl::StrSplit(s.substr(8), ';', absl::SkipEmpty())) {
      const bool valid = !id.empty() && id.size() <= 63 && id[0] != '-' &&
                         std::all_of(id.begin(), id.end(), [](char c) {
                           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
                         });
      if (!valid) return "not_for names an invalid node id";
      row->add_not_for(std::string(id));
    }
    if (row->not_for_size() > 0) return "";
  }
  return "expected empty, national_only or not_for:ID[;ID...]";
}

// CSV: the ingest format of rows.h, read one record at a time.
int ReadCsv(std::istream& in, const Defaults& d, Uploader& up, Report& report,
            const std::function<void(uint64_t)>& tick) {
  CsvReader reader(in);
  auto header = reader.Next();
  if (!header.ok()) {
    std::cerr << "ifedctl: missing header row\n";
    return 1;
  }
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < header->fields.size(); ++i) {
    const std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(header->fields[i]));
    if (name != "type" && name != "value" && name != "case_ref" && name != "tlp" &&
        name != "crime_area" && name != "region" && name != "sharing" && name != "hold" &&
        name != "platform") {
      std::cerr << "line 1: field " << name << ": unknown column\n";
      return 1;
    }
    col[name] = i;
  }
  for (const char* r : {"type", "value"}) {
    if (!col.count(r)) {
      std::cerr << "line 1: field " << r << ": column missing\n";
      return 1;
    }
  }
  if (!col.count("case_ref") && d.case_ref.empty()) {
    std::cerr << "line 1: field case_ref: column missing (or give --case-ref)\n";
    return 1;
  }
  if (!col.count("tlp") && d.tlp == ifed::v1::TLP_UNSPECIFIED) {
    std::cerr << "line 1: field tlp: column missing (or give --tlp)\n";
    return 1;
  }
  for (;;) {
    auto rec = reader.Next();
    if (rec.status().code() == absl::StatusCode::kNotFound) break;
    if (!rec.ok()) {  // an unterminated quote: the rest of the file is one field.
      up.ClientRefusal(0, "", std::string(rec.status().message()));
      break;
    }
    const uint32_t line = static_cast<uint32_t>(rec->line);
    if (rec->fields.size() != header->fields.size()) {
      up.ClientRefusal(line, "", absl::StrCat("expected ", header->fields.size(), " fields, found ",
                                              rec->fields.size()));
      continue;
    }
    auto get = [&](const char* name) -> std::string {
      auto it = col.find(name);
      return it == col.end() ? "" : std::string(absl::StripAsciiWhitespace(rec->fields[it->second]));
    };
    ifed::v1::IngestRow row;
    row.set_line(line);
    auto type = ParseType(get("type"));
    if (!type) {
      up.ClientRefusal(line, "", "field type: unknown indicator type");
      continue;
    }
    row.set_type(static_cast<ifed::v1::IndicatorType>(*type));
    row.set_value(rec->fields[col["value"]]);
    if (get("value").empty()) {
      up.ClientRefusal(line, "", "field value: empty");
      continue;
    }
    row.set_case_ref(get("case_ref").empty() ? d.case_ref : get("case_ref"));
    if (row.case_ref().empty()) {
      up.ClientRefusal(line, "", "field case_ref: empty");
      continue;
    }
    const std::string tlp = get("tlp");
    if (tlp.empty()) {
      row.set_tlp(d.tlp);
    } else if (auto t = ParseTlp(tlp)) {
      row.set_tlp(*t);
    }
    if (row.tlp() == ifed::v1::TLP_UNSPECIFIED) {
      up.ClientRefusal(line, "", "field tlp: expected clear, green, amber, amber+strict or red");
      continue;
    }
    row.set_crime_area(get("crime_area").empty() ? d.crime_area : get("crime_area"));
    row.set_region(absl::AsciiStrToUpper(get("region").empty() ? d.region : get("region")));
    if (const std::string err = CheckPlatform(row.type(), get("platform")); !err.empty()) {
      up.ClientRefusal(line, "", absl::StrCat("field platform: ", err));
      continue;
    }
    row.set_platform(absl::AsciiStrToLower(get("platform")));
    if (auto err = ParseSharing(get("sharing"), &row); !err.empty()) {
      up.ClientRefusal(line, "", absl::StrCat("field sharing: ", err));
      continue;
    }
    auto hold = ParseHold(get("hold"), d.hold);
    if (!hold) {
      up.ClientRefusal(line, "", "field hold: expected true or false");
      continue;
    }
    row.set_hold(*hold);
    if (!up.Add(std::move(row), "")) break;
    tick(line);
  }
  return 0;
}

// STIX and MISP: the readers of node/ingest, rows mapped onto IngestRow.
int ReadJson(const std::string& format, std::istream& in, const Defaults& d, Uploader& up,
             Report& report, Totals& totals, const std::function<void(uint64_t)>& tick) {
  ingest::Sinks sinks;
  sinks.row = [&](ingest::Row&& r) {
    if (up.failed()) return;
    ifed::v1::IngestRow row;
    row.set_line(r.ordinal);
    row.set_type(static_cast<ifed::v1::IndicatorType>(r.type));
    row.set_value(std::move(r.value));
    row.set_tlp(r.tlp != ingest::Tlp::kUnspecified ? static_cast<ifed::v1::Tlp>(r.tlp) : d.tlp);
    if (row.tlp() == ifed::v1::TLP_UNSPECIFIED) {
      up.ClientRefusal(r.ordinal, r.source, "no TLP marking (give --tlp for unmarked objects)");
      return;
    }
    row.set_case_ref(!d.case_ref.empty() ? d.case_ref
                     : !r.case_ref.empty() ? r.case_ref
                                           : absl::StrCat(format, ":", r.source));
    row.set_crime_area(d.crime_area);
    row.set_region(d.region);
    row.set_expires(r.expires);
    up.Add(std::move(row), r.source);
    tick(r.ordinal);
  };
  sinks.refusal = [&](ingest::Refusal&& r) {
    if (r.skipped) {
      ++totals.skipped;
      report.Add(Source{true}.Where(r.ordinal, r.source), "skipped", r.reason);
      return;
    }
    up.ClientRefusal(r.ordinal, r.source, r.reason);
  };
  ingest::ReadOptions options;
  options.now = UnixSecondsNow();
  absl::Status s = format == "stix" ? ingest::ReadStixBundle(in, options, sinks)
                                    : ingest::ReadMispEvents(in, options, sinks);
  if (!s.ok()) {
    std::cerr << "ifedctl: " << s.message() << "\n";
    return 1;
  }
  return 0;
}

// Posts: extracted locally, one row per indicator occurrence with
// the post's provenance.
int ReadPostsInput(std::istream& in, const Defaults& d, Uploader& up, Report& report,
                   Totals& totals, const std::function<void(uint64_t)>& tick) {
  PostTools tools;
  if (!MakePostTools("", &tools)) return 1;
  const int64_t now = UnixSecondsNow();
  ReadPosts(in, [&](Post&& p) {
    if (up.failed()) return false;
    if (!p.error.empty()) {
      up.ClientRefusal(p.line, "", absl::StrCat("post ", p.number, ": ", p.error));
      return true;
    }
    extract::ExtractOptions o;
    o.region = p.input.region().empty() ? d.region : absl::AsciiStrToUpper(p.input.region());
    auto x = tools.extractor->Extract(p.input.text(), o);
    if (!x.ok()) {
      up.ClientRefusal(p.line, "", absl::StrCat("post ", p.number, ": ", x.status().message()));
      return true;
    }
    for (const extract::Indicator& ind : x->indicators) {
      if (!ind.warning.empty()) {
        ++totals.skipped;
        report.Add(absl::StrCat("line ", p.line), "skipped",
                   absl::StrCat("on the normalisation warning list: ", ind.warning));
        continue;
      }
      ifed::v1::IngestRow row;
      row.set_line(p.line);
      row.set_type(static_cast<ifed::v1::IndicatorType>(ind.type));
      row.set_value(ind.canonical);
      row.set_case_ref(d.case_ref.empty() ? "monitoring" : d.case_ref);
      row.set_tlp(d.tlp);
      row.set_crime_area(d.crime_area);
      row.set_region(o.region);
      row.set_hold(d.hold);
      ifed::v1::PostProvenance* pv = row.mutable_provenance();
      pv->set_post_url(p.input.url());
      pv->set_captured_at(now);
      pv->set_text_sha256(p.sha256);
      pv->set_author(p.input.author());
      pv->set_posted_at(p.input.posted_at());
      pv->set_span_begin(ind.span.begin);
      pv->set_span_end(ind.span.end);
      if (!up.Add(std::move(row), "")) return false;
    }
    tick(p.line);
    return true;
  });
  return 0;
}

void PrintSummary(const Totals& t, const Options& o, bool stopped, double secs) {
  std::cout << (o.dry_run ? "dry run: nothing stored\n" : "");
  std::cout << absl::StrFormat("rows sent              %d\n", t.rows);
  if (o.dry_run) {
    std::cout << absl::StrFormat("records (would store)  %d\n", t.records);
  } else {
    std::cout << absl::StrFormat("stored (new records)   %d\n", t.stored);
    std::cout << absl::StrFormat("duplicates (held)      %d\n", t.updated);
  }
  std::cout << absl::StrFormat("refused, normalisation %d\n", t.refused_invalid);
  std::cout << absl::StrFormat("refused, warning list  %d\n", t.refused_warning);
  std::cout << absl::StrFormat("refused, input         %d\n", t.input_refused);
  if (t.skipped > 0) std::cout << absl::StrFormat("skipped objects        %d\n", t.skipped);
  std::cout << absl::StrFormat("transactions           %d%s\n", t.transactions,
                               stopped ? " (the last was refused: it stored nothing, and the "
                                         "import stopped there)"
                                       : "");
  std::cout << absl::StrFormat("elapsed                %.1f s, %.0f rows/s\n", secs,
                               secs > 0 ? t.rows / secs : 0.0);
}

}  // namespace

int IngestCommand(const Args& a, ifed::v1::Admin::Stub& stub) {
  if (a.positional.size() != 1) {
    std::cerr << "ifedctl: ingest takes one FILE (or - for stdin)\n";
    return 2;
  }
  const std::string path = a.positional[0];
  std::string format = a.Get("--format");
  if (format.empty()) format = path.size() > 5 && path.substr(path.size() - 5) == ".json" ? "" : "csv";
  if (format != "csv" && format != "stix" && format != "misp" && format != "posts") {
    std::cerr << "ifedctl: --format csv|stix|misp|posts"
              << (format.empty() ? " is needed for a .json file" : "") << "\n";
    return 2;
  }
  Options o;
  o.dry_run = a.Flag("--dry-run");
  o.skip_invalid = a.Flag("--skip-invalid");
  o.want_report = !a.Get("--report").empty();
  if (!a.Get("--batch-rows").empty()) {
    long n = std::atol(a.Get("--batch-rows").c_str());
    if (n <= 0 || static_cast<size_t>(n) > kNodeMaxRows) {
      std::cerr << "ifedctl: --batch-rows between 1 and " << kNodeMaxRows << "\n";
      return 2;
    }
    o.batch_rows = static_cast<size_t>(n);
  }
  Defaults d;
  d.hold = a.Flag("--hold");
  d.case_ref = a.Get("--case-ref");
  d.crime_area = a.Get("--crime-area");
  d.region = absl::AsciiStrToUpper(a.Get("--region"));
  if (!a.Get("--tlp").empty()) {
    auto t = ParseTlp(a.Get("--tlp"));
    if (!t) {
      std::cerr << "ifedctl: --tlp clear|green|amber|amber+strict|red\n";
      return 2;
    }
    d.tlp = *t;
  }
  std::ifstream file;
  std::vector<char> buffer(1 << 20);
  std::istream* in = &std::cin;
  uint64_t total_bytes = 0;
  if (path != "-") {
    file.rdbuf()->pubsetbuf(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    file.open(path, std::ios::binary);
    if (!file) {
      std::cerr << "ifedctl: " << path << ": cannot open\n";
      return 1;
    }
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) total_bytes = st.st_size;
    in = &file;
  }
  Report report(a.Get("--report"));
  if (!report.ok()) {
    std::cerr << "ifedctl: " << a.Get("--report") << ": cannot write\n";
    return 1;
  }
  Totals totals;
  if (format == "posts" && d.tlp == ifed::v1::TLP_UNSPECIFIED) {
    std::cerr << "ifedctl: --format posts needs --tlp\n";
    return 2;
  }
  Source src{format == "stix" || format == "misp"};
  Uploader up(stub, o, src, &report, &totals, a.socket);
  Progress progress(::isatty(STDERR_FILENO) && !a.Flag("--no-progress"), total_bytes);
  const auto start = Clock::now();
  auto tick = [&](uint64_t) {
    progress.Update(totals.rows, path == "-" ? -1 : static_cast<int64_t>(file.tellg()));
  };
  int rc = format == "csv"     ? ReadCsv(*in, d, up, report, tick)
           : format == "posts" ? ReadPostsInput(*in, d, up, report, totals, tick)
                               : ReadJson(format, *in, d, up, report, totals, tick);
  const bool ended = up.End();
  progress.Update(totals.rows, static_cast<int64_t>(total_bytes), true);
  progress.Done();
  if (up.rc() != 0 && totals.transactions == 0) return up.rc();
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  PrintSummary(totals, o, !ended && !o.skip_invalid, secs);
  if (rc != 0) return rc;
  if (up.rc() != 0) return up.rc();
  return totals.refused_invalid + totals.refused_warning + totals.input_refused > 0 ? 1 : 0;
}

}  // namespace ifed::cli
