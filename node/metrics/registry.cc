#include "node/metrics/registry.h"

#include <cmath>
#include <cstdio>

namespace ifed::metrics {
namespace {

std::string Num(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.9g", v);
  }
  return buf;
}

void Header(std::string* out, const std::string& name, const std::string& help,
            const char* type) {
  out->append("# HELP ").append(name).append(" ").append(help).append("\n");
  out->append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

// {a="x",b="y"} (with an extra label, e.g. le, when given).
std::string LabelSet(const std::vector<std::string>& names, const LabelValues& values,
                     const std::string& extra_name = "", const std::string& extra_value = "") {
  if (names.empty() && extra_name.empty()) return "";
  std::string s = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) s += ",";
    s += names[i] + "=\"" + SafeLabel(i < values.size() ? values[i] : "") + "\"";
  }
  if (!extra_name.empty()) {
    if (!names.empty()) s += ",";
    s += extra_name + "=\"" + extra_value + "\"";
  }
  return s + "}";
}

}  // namespace

std::string SafeLabel(const std::string& v) {
  if (v.empty()) return "";
  if (v.size() > 64) return "invalid";
  for (char c : v) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == ':' || c == '/' || c == '-';
    if (!ok) return "invalid";
  }
  return v;
}

Counter::Counter(std::string name, std::string help, std::vector<std::string> labels)
    : name_(std::move(name)), help_(std::move(help)), labels_(std::move(labels)) {}

void Counter::Inc(const LabelValues& values, double by) {
  LabelValues safe;
  for (const auto& v : values) safe.push_back(SafeLabel(v));
  std::lock_guard<std::mutex> l(mu_);
  values_[safe] += by;
}

double Counter::Get(const LabelValues& values) const {
  LabelValues safe;
  for (const auto& v : values) safe.push_back(SafeLabel(v));
  std::lock_guard<std::mutex> l(mu_);
  auto it = values_.find(safe);
  return it == values_.end() ? 0 : it->second;
}

void Counter::Render(std::string* out) const {
  Header(out, name_, help_, "counter");
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& [labels, v] : values_) {
    out->append(name_).append(LabelSet(labels_, labels)).append(" ").append(Num(v)).append("\n");
  }
}

Histogram::Histogram(std::string name, std::string help, std::vector<std::string> labels,
                     std::vector<double> bounds)
    : name_(std::move(name)), help_(std::move(help)), labels_(std::move(labels)),
      bounds_(std::move(bounds)) {}

void Histogram::Observe(const LabelValues& values, double v) {
  LabelValues safe;
  for (const auto& x : values) safe.push_back(SafeLabel(x));
  std::lock_guard<std::mutex> l(mu_);
  Series& s = series_[safe];
  if (s.buckets.empty()) s.buckets.assign(bounds_.size() + 1, 0);
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  ++s.buckets[i];
  s.sum += v;
  ++s.count;
}

void Histogram::Render(std::string* out) const {
  Header(out, name_, help_, "histogram");
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& [labels, s] : series_) {
    uint64_t cum = 0;
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      cum += s.buckets[i];
      const std::string le = i < bounds_.size() ? Num(bounds_[i]) : "+Inf";
      out->append(name_ + "_bucket").append(LabelSet(labels_, labels, "le", le))
          .append(" ").append(Num(static_cast<double>(cum))).append("\n");
    }
    out->append(name_ + "_sum").append(LabelSet(labels_, labels)).append(" ").append(Num(s.sum))
        .append("\n");
    out->append(name_ + "_count").append(LabelSet(labels_, labels)).append(" ")
        .append(Num(static_cast<double>(s.count))).append("\n");
  }
}

Callback::Callback(std::string name, std::string help, std::string type,
                   std::vector<std::string> labels, std::function<std::vector<Sample>()> read)
    : name_(std::move(name)), help_(std::move(help)), type_(std::move(type)),
      labels_(std::move(labels)), read_(std::move(read)) {}

void Callback::Render(std::string* out) const {
  Header(out, name_, help_, type_.c_str());
  for (const auto& [labels, v] : read_()) {
    out->append(name_).append(LabelSet(labels_, labels)).append(" ").append(Num(v)).append("\n");
  }
}

Counter* Registry::AddCounter(std::string name, std::string help,
                              std::vector<std::string> labels) {
  auto c = std::make_unique<Counter>(std::move(name), std::move(help), std::move(labels));
  Counter* p = c.get();
  std::lock_guard<std::mutex> l(mu_);
  families_.push_back(std::move(c));
  return p;
}

Histogram* Registry::AddHistogram(std::string name, std::string help,
                                  std::vector<std::string> labels, std::vector<double> bounds) {
  auto h = std::make_unique<Histogram>(std::move(name), std::move(help), std::move(labels),
                                       std::move(bounds));
  Histogram* p = h.get();
  std::lock_guard<std::mutex> l(mu_);
  families_.push_back(std::move(h));
  return p;
}

void Registry::AddCallback(std::string name, std::string help, std::string type,
                           std::vector<std::string> labels,
                           std::function<std::vector<Callback::Sample>()> read) {
  std::lock_guard<std::mutex> l(mu_);
  families_.push_back(std::make_unique<Callback>(std::move(name), std::move(help), std::move(type),
                                                 std::move(labels), std::move(read)));
}

std::string Registry::Render() const {
  std::string out;
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& f : families_) f->Render(&out);
  return out;
}

}  // namespace ifed::metrics
