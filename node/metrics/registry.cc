#include "node/metrics/registry.h"

#include <sstream>

#include "prometheus/text_serializer.h"

namespace ifed::metrics {
namespace {

prometheus::Labels ToLabels(const std::vector<std::string>& names, const LabelValues& values) {
  prometheus::Labels out;
  for (size_t i = 0; i < names.size(); ++i) {
    out[names[i]] = SafeLabel(i < values.size() ? values[i] : "");
  }
  return out;
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
    : labels_(std::move(labels)), family_(name, help, {}) {}

void Counter::Inc(const LabelValues& values, double by) {
  family_.Add(ToLabels(labels_, values)).Increment(by);
}

double Counter::Get(const LabelValues& values) const {
  const prometheus::Labels labels = ToLabels(labels_, values);
  if (!family_.Has(labels)) return 0;
  return family_.Add(labels).Value();
}

Histogram::Histogram(std::string name, std::string help, std::vector<std::string> labels,
                     std::vector<double> bounds)
    : labels_(std::move(labels)), bounds_(std::move(bounds)), family_(name, help, {}) {}

void Histogram::Observe(const LabelValues& values, double v) {
  family_.Add(ToLabels(labels_, values), prometheus::Histogram::BucketBoundaries(bounds_))
      .Observe(v);
}

Callback::Callback(std::string name, std::string help, std::string type,
                   std::vector<std::string> labels, std::function<std::vector<Sample>()> read)
    : name_(std::move(name)),
      help_(std::move(help)),
      counter_(type == "counter"),
      labels_(std::move(labels)),
      read_(std::move(read)) {}

std::vector<prometheus::MetricFamily> Callback::Collect() const {
  prometheus::MetricFamily f;
  f.name = name_;
  f.help = help_;
  f.type = counter_ ? prometheus::MetricType::Counter : prometheus::MetricType::Gauge;
  for (const auto& [values, v] : read_()) {
    prometheus::ClientMetric m;
    for (const auto& [name, value] : ToLabels(labels_, values)) m.label.push_back({name, value});
    if (counter_) {
      m.counter.value = v;
    } else {
      m.gauge.value = v;
    }
    f.metric.push_back(std::move(m));
  }
  return {std::move(f)};
}

// The registry as one prometheus-cpp Collectable, for the exposition server.
class Registry::Collector final : public prometheus::Collectable {
 public:
  explicit Collector(const Registry* r) : r_(r) {}
  std::vector<prometheus::MetricFamily> Collect() const override { return r_->Collect(); }

 private:
  const Registry* r_;
};

Registry::Registry() : collector_(std::make_shared<Collector>(this)) {}
Registry::~Registry() = default;

Counter* Registry::AddCounter(std::string name, std::string help, std::vector<std::string> labels) {
  auto c = std::make_unique<Counter>(std::move(name), std::move(help), std::move(labels));
  Counter* p = c.get();
  std::lock_guard<std::mutex> l(mu_);
  order_.push_back(p->collectable());
  counters_.push_back(std::move(c));
  return p;
}

Histogram* Registry::AddHistogram(std::string name, std::string help,
                                  std::vector<std::string> labels, std::vector<double> bounds) {
  auto h = std::make_unique<Histogram>(std::move(name), std::move(help), std::move(labels),
                                       std::move(bounds));
  Histogram* p = h.get();
  std::lock_guard<std::mutex> l(mu_);
  order_.push_back(p->collectable());
  histograms_.push_back(std::move(h));
  return p;
}

void Registry::AddCallback(std::string name, std::string help, std::string type,
                           std::vector<std::string> labels,
                           std::function<std::vector<Callback::Sample>()> read) {
  auto c = std::make_unique<Callback>(std::move(name), std::move(help), std::move(type),
                                      std::move(labels), std::move(read));
  std::lock_guard<std::mutex> l(mu_);
  order_.push_back(c.get());
  callbacks_.push_back(std::move(c));
}

std::vector<prometheus::MetricFamily> Registry::Collect() const {
  std::vector<const prometheus::Collectable*> order;
  {
    std::lock_guard<std::mutex> l(mu_);
    order = order_;
  }
  std::vector<prometheus::MetricFamily> out;
  for (const prometheus::Collectable* c : order) {
    for (auto& f : c->Collect()) out.push_back(std::move(f));
  }
  return out;
}

std::string Registry::Render() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, Collect());
  return out.str();
}

}  // namespace ifed::metrics
