#include "node/common/logging.h"

#include <spdlog/formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ifed::logging {
namespace {

class JsonFormatter final : public spdlog::formatter {
 public:
  explicit JsonFormatter(std::string node) : node_(JsonEscape(node)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    using namespace std::chrono;
    const auto since = msg.time.time_since_epoch();
    const std::time_t secs = duration_cast<seconds>(since).count();
    const int millis = static_cast<int>(duration_cast<milliseconds>(since).count() % 1000);
    std::tm tm;
    gmtime_r(&secs, &tm);
    char ts[32];
    std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    const auto level = spdlog::level::to_string_view(msg.level);
    const std::string line = absl::StrFormat(
        "{\"ts\":\"%s.%03dZ\",\"level\":\"%s\",\"node\":\"%s\",\"msg\":\"%s\"}\n", ts,
        millis, std::string(level.data(), level.size()), node_,
        JsonEscape(std::string_view(msg.payload.data(), msg.payload.size())));
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    auto c = std::make_unique<JsonFormatter>("");
    c->node_ = node_;
    return c;
  }

 private:
  std::string node_;
};

}  // namespace

absl::Status Init(const std::string& node_id, const std::string& file,
                  const std::string& level) {
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
  logger->set_formatter(std::make_unique<JsonFormatter>(node_id));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  spdlog::flush_every(std::chrono::seconds(1));
  return absl::OkStatus();
}

}  // namespace ifed::logging
