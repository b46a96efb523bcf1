// Metrics of the node, kept in prometheus-cpp families: counters, histograms
// and values read at scrape time, rendered in the text exposition format
// 0.0.4 (prometheus-cpp's TextSerializer). Thread-safe.
//
// Label-safety rule: label values are restricted to [A-Za-z0-9_.:/-]{1,64};
// anything else is recorded as "invalid", so a raw indicator value or a case
// reference that reached a label by mistake is never published (peer ids,
// method names and status codes all fit). Every value passes SafeLabel before
// it reaches prometheus-cpp.
#ifndef IFED_METRICS_REGISTRY_H_
#define IFED_METRICS_REGISTRY_H_

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"

namespace ifed::metrics {

using LabelValues = std::vector<std::string>;

class Counter final {
 public:
  Counter(std::string name, std::string help, std::vector<std::string> labels);
  // Values in the order of the family's label names.
  void Inc(const LabelValues& values, double by = 1);
  // 0 for a label set never incremented (and none is created).
  double Get(const LabelValues& values) const;
  const prometheus::Collectable* collectable() const { return &family_; }

 private:
  const std::vector<std::string> labels_;
  mutable prometheus::Family<prometheus::Counter> family_;
};

class Histogram final {
 public:
  // `bounds`: upper bounds of the buckets, ascending; +Inf is implicit.
  Histogram(std::string name, std::string help, std::vector<std::string> labels,
            std::vector<double> bounds);
  void Observe(const LabelValues& values, double v);
  const prometheus::Collectable* collectable() const { return &family_; }

 private:
  const std::vector<std::string> labels_;
  const std::vector<double> bounds_;
  prometheus::Family<prometheus::Histogram> family_;
};

// Values read at scrape time (store size, counters kept elsewhere).
class Callback final : public prometheus::Collectable {
 public:
  using Sample = std::pair<LabelValues, double>;
  // type: "counter" or "gauge".
  Callback(std::string name, std::string help, std::string type, std::vector<std::string> labels,
           std::function<std::vector<Sample>()> read);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const std::string name_, help_;
  const bool counter_;
  const std::vector<std::string> labels_;
  const std::function<std::vector<Sample>()> read_;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Counter* AddCounter(std::string name, std::string help, std::vector<std::string> labels = {});
  Histogram* AddHistogram(std::string name, std::string help, std::vector<std::string> labels,
                          std::vector<double> bounds);
  // type: "counter" or "gauge".
  void AddCallback(std::string name, std::string help, std::string type,
                   std::vector<std::string> labels,
                   std::function<std::vector<Callback::Sample>()> read);
  // Every family, in registration order.
  std::vector<prometheus::MetricFamily> Collect() const;
  // The whole page in the text format 0.0.4.
  std::string Render() const;
  // What an exposition server scrapes; lives as long as the registry.
  std::weak_ptr<prometheus::Collectable> collectable() const { return collector_; }

 private:
  class Collector;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Counter>> counters_;
  std::vector<std::unique_ptr<Histogram>> histograms_;
  std::vector<std::unique_ptr<Callback>> callbacks_;
  std::vector<const prometheus::Collectable*> order_;  // registration order, not owned.
  std::shared_ptr<prometheus::Collectable> collector_;
};

// The label value as published ("invalid" when outside the allowed set).
std::string SafeLabel(const std::string& v);

}  // namespace ifed::metrics

#endif  // IFED_METRICS_REGISTRY_H_
