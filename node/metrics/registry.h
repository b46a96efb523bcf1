// A small Prometheus registry: counters, gauges and histograms with labels,
// rendered in the text exposition format 0.0.4. Thread-safe. Label values
// are restricted to [A-Za-z0-9_.:/-]{1,64}; anything else is recorded as
// "invalid", so a raw indicator value or a case reference that reached a
// label by mistake is never published (peer ids, method names and status
// codes all fit).
#ifndef IFED_METRICS_REGISTRY_H_
#define IFED_METRICS_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ifed::metrics {

using LabelValues = std::vector<std::string>;

class Family {
 public:
  virtual ~Family() = default;
  virtual void Render(std::string* out) const = 0;
};

class Counter final : public Family {
 public:
  Counter(std::string name, std::string help, std::vector<std::string> labels);
  // Values in the order of the family's label names.
  void Inc(const LabelValues& values, double by = 1);
  double Get(const LabelValues& values) const;
  void Render(std::string* out) const override;

 private:
  const std::string name_, help_;
  const std::vector<std::string> labels_;
  mutable std::mutex mu_;
  std::map<LabelValues, double> values_;
};

class Histogram final : public Family {
 public:
  // `bounds`: upper bounds of the buckets, ascending; +Inf is implicit.
  Histogram(std::string name, std::string help, std::vector<std::string> labels,
            std::vector<double> bounds);
  void Observe(const LabelValues& values, double v);
  void Render(std::string* out) const override;

 private:
  struct Series {
    std::vector<uint64_t> buckets;  // non-cumulative; rendered cumulative.
    double sum = 0;
    uint64_t count = 0;
  };
  const std::string name_, help_;
  const std::vector<std::string> labels_;
  const std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::map<LabelValues, Series> series_;
};

// Values read at scrape time (store size, counters kept elsewhere).
class Callback final : public Family {
 public:
  using Sample = std::pair<LabelValues, double>;
  Callback(std::string name, std::string help, std::string type, std::vector<std::string> labels,
           std::function<std::vector<Sample>()> read);
  void Render(std::string* out) const override;

 private:
  const std::string name_, help_, type_;
  const std::vector<std::string> labels_;
  const std::function<std::vector<Sample>()> read_;
};

class Registry {
 public:
  Counter* AddCounter(std::string name, std::string help, std::vector<std::string> labels = {});
  Histogram* AddHistogram(std::string name, std::string help, std::vector<std::string> labels,
                          std::vector<double> bounds);
  // type: "counter" or "gauge".
  void AddCallback(std::string name, std::string help, std::string type,
                   std::vector<std::string> labels,
                   std::function<std::vector<Callback::Sample>()> read);
  // The whole page, families in registration order.
  std::string Render() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Family>> families_;
};

// The label value as published ("invalid" when outside the allowed set).
std::string SafeLabel(const std::string& v);

}  // namespace ifed::metrics

#endif  // IFED_METRICS_REGISTRY_H_
