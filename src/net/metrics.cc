#include "net/metrics.h"

#include <charconv>
#include <cmath>

namespace kw::net {
namespace {

// Shortest text that reads back as the same double; Prometheus spells the
// infinities "+Inf" and "-Inf".
std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Counts print as integers (no "1e+07"); 2^53 bounds the exact ones.
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) return std::to_string(static_cast<int64_t>(v));
  char buf[32];
  // general: "0.0005" rather than the shortest "5e-04".
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general);
  return std::string(buf, res.ptr);
}

// HELP text escapes backslash and newline.
std::string EscapeHelp(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

// name{labels} value, or name value without labels.
void AppendSample(std::string& out, std::string_view name, std::string_view labels, std::string_view value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

}  // namespace

void Metrics::Describe(std::string_view name, std::string_view type, std::string_view help) {
  Type t;
  if (type == "counter") t = Type::kCounter;
  else if (type == "gauge") t = Type::kGauge;
  else if (type == "histogram") t = Type::kHistogram;
  else return;
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{}).first;
    it->second.type = t;
  }
  it->second.help = std::string(help);
}

Metrics::Series* Metrics::Find(std::string_view name, std::string_view labels, Type type) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{}).first;
    it->second.type = type;
  } else if (it->second.type != type) {
    return nullptr;
  }
  auto& series = it->second.series;
  auto s = series.find(labels);
  if (s == series.end()) s = series.emplace(std::string(labels), Series{}).first;
  return &s->second;
}

void Metrics::Add(std::string_view name, std::string_view labels, double v) {
  std::lock_guard lock(mu_);
  if (Series* s = Find(name, labels, Type::kCounter)) s->value += v;
}

void Metrics::Set(std::string_view name, std::string_view labels, double v) {
  std::lock_guard lock(mu_);
  if (Series* s = Find(name, labels, Type::kGauge)) s->value = v;
}

void Metrics::Observe(std::string_view name, std::string_view labels, double seconds) {
  std::lock_guard lock(mu_);
  Series* s = Find(name, labels, Type::kHistogram);
  if (s == nullptr) return;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++s->buckets[i];
      break;
    }
  }
  ++s->count;
  s->sum += seconds;
}

std::string Metrics::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, family] : families_) {
    if (!family.help.empty()) out += "# HELP " + name + " " + EscapeHelp(family.help) + "\n";
    const char* type = family.type == Type::kCounter ? "counter"
                       : family.type == Type::kGauge ? "gauge"
                                                     : "histogram";
    out += "# TYPE " + name + " " + type + "\n";
    for (const auto& [labels, s] : family.series) {
      if (family.type != Type::kHistogram) {
        AppendSample(out, name, labels, FormatValue(s.value));
        continue;
      }
      const std::string sep = labels.empty() ? "" : ",";
      uint64_t cumulative = 0;
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        cumulative += s.buckets[i];
        AppendSample(out, name + "_bucket", labels + sep + "le=\"" + FormatValue(kBuckets[i]) + "\"",
                     std::to_string(cumulative));
      }
      AppendSample(out, name + "_bucket", labels + sep + "le=\"+Inf\"", std::to_string(s.count));
      AppendSample(out, name + "_sum", labels, FormatValue(s.sum));
      AppendSample(out, name + "_count", labels, std::to_string(s.count));
    }
  }
  return out;
}

std::string MetricLabel(std::string_view name, std::string_view value) {
  std::string out(name);
  out += "=\"";
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  out += '"';
  return out;
}

}  // namespace kw::net
