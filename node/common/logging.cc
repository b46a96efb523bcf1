#include "node/common/logging.h"

#include <spdlog/formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <openssl/rand.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ifed::logging {
namespace {

thread_local std::string current_request_id;

std::string Timestamp(const spdlog::details::log_msg& msg) {
  using namespace std::chrono;
  const auto since = msg.time.time_since_epoch();
  const std::time_t secs = duration_cast<seconds>(since).count();
  const int millis = static_cast<int>(duration_cast<milliseconds>(since).count() % 1000);
  std::tm tm;
  gmtime_r(&secs, &tm);
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
  return absl::StrFormat("%s.%03dZ", ts, millis);
}

std::string LevelName(const spdlog::details::log_msg& msg) {
  const auto level = spdlog::level::to_string_view(msg.level);
  return std::string(level.data(), level.size());
}

class LineFormatter final : public spdlog::formatter {
 public:
  LineFormatter(std::string node, bool json) : node_(std::move(node)), json_(json) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string_view text(msg.payload.data(), msg.payload.size());
    const std::string& request = current_request_id;
    std::string line;
    if (json_) {
      line = absl::StrCat("{\"ts\":\"", Timestamp(msg), "\",\"level\":\"", LevelName(msg),
                          "\",\"node\":\"", JsonEscape(node_), "\"");
      if (!request.empty()) absl::StrAppend(&line, ",\"request_id\":\"", request, "\"");
      absl::StrAppend(&line, ",\"msg\":\"", JsonEscape(text), "\"}\n");
    } else {
      line = absl::StrFormat("%s %-7s %s ", Timestamp(msg), LevelName(msg), node_);
      if (!request.empty()) absl::StrAppend(&line, "[", request, "] ");
      // One event, one line: a newline in a message must not forge another.
      for (char c : text) line.push_back(c == '\n' || c == '\r' ? ' ' : c);
      line.push_back('\n');
    }
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LineFormatter>(node_, json_);
  }

 private:
  std::string node_;
  bool json_;
};

}  // namespace

absl::StatusOr<Format> ParseFormat(std::string_view name) {
  if (name.empty() || name == "auto") return Format::kAuto;
  if (name == "json") return Format::kJson;
  if (name == "text") return Format::kText;
  return absl::InvalidArgumentError(
      absl::StrCat("log format '", std::string(name), "': expected auto, json or text"));
}

RequestScope::RequestScope(std::string_view request_id) : previous_(current_request_id) {
  std::string id(request_id.substr(0, 64));
  for (char& c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) c = '_';
  }
  current_request_id = std::move(id);
}

RequestScope::~RequestScope() { current_request_id = std::move(previous_); }

const std::string& RequestScope::Current() { return current_request_id; }

std::string NewRequestId() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) return "";
  std::string out;
  for (unsigned char c : b) absl::StrAppend(&out, absl::Hex(c, absl::kZeroPad2));
  return out;
}

absl::Status Init(const std::string& node_id, const std::string& file,
                  const std::string& level, Format format) {
  std::shared_ptr<spdlog::logger> logger;
  try {
    if (file.empty()) {
      logger = std::make_shared<spdlog::logger>(
          "ifed", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    } else {
      logger = std::make_shared<spdlog::logger>(
          "ifed", std::make_shared<spdlog::sinks::basic_file_sink_mt>(file));
    }
  } catch (const spdlog::spdlog_ex& e) {
    return absl::UnavailableError(absl::StrCat("cannot open log ", file, ": ", e.what()));
  }
  const auto lvl = spdlog::level::from_str(level.empty() ? "info" : level);
  logger->set_level(lvl);
  const bool json = format == Format::kJson ||
                    (format == Format::kAuto && !(file.empty() && ::isatty(STDERR_FILENO)));
  logger->set_formatter(std::make_unique<LineFormatter>(node_id, json));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  spdlog::flush_every(std::chrono::seconds(1));
  return absl::OkStatus();
}

}  // namespace ifed::logging
