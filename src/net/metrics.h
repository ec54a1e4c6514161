// A small Prometheus registry: counters, gauges and histograms rendered in
// the text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/).
//
// Metric names and label names are program constants (not checked here).
// Labels are passed preformatted, `method="GET",code="200"` or "" for none;
// build values that come from outside with MetricLabel(), which escapes.
//
// Thread safety: every method may be called from any thread at once (one
// mutex; an update is a map lookup).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace kw::net {

class Metrics {
 public:
  // Histogram bucket upper bounds, in seconds; "+Inf" is implicit.
  static constexpr std::array<double, 14> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,    0.25,  0.5,    1,     2.5,  5,    10};

  // Declares a metric family: type is "counter", "gauge" or "histogram";
  // `help` is one line. Describing a name again keeps the first type and
  // replaces the help. An unknown type is ignored.
  void Describe(std::string_view name, std::string_view type, std::string_view help);

  // Counter += v. A name never described becomes a counter without help;
  // an update whose kind does not match the family's type is ignored.
  void Add(std::string_view name, std::string_view labels, double v = 1);
  // Gauge = v.
  void Set(std::string_view name, std::string_view labels, double v);
  // Histogram: one observation of `seconds`.
  void Observe(std::string_view name, std::string_view labels, double seconds);

  // All families sorted by name, their series sorted by labels.
  std::string Render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Series {
    double value = 0;                                // counter, gauge
    std::array<uint64_t, kBuckets.size()> buckets{}; // histogram, not cumulative
    uint64_t count = 0;
    double sum = 0;
  };
  struct Family {
    Type type = Type::kCounter;
    std::string help;
    std::map<std::string, Series, std::less<>> series;  // by labels
  };
  // The family `name`, created with `type` when absent; null on a type clash.
  Series* Find(std::string_view name, std::string_view labels, Type type);

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
};

// `name="value"` with the value escaped for the exposition format
// (backslash, double quote, newline).
std::string MetricLabel(std::string_view name, std::string_view value);

}  // namespace kw::net
