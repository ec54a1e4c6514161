#include "audit/report.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

namespace kw::audit {
namespace {

std::string FlagNames(const std::vector<Flag>& flags) {
  std::set<std::string> seen;
  std::string out;
  for (const Flag& f : flags) {
    if (!seen.insert(f.flag).second) continue;
    if (!out.empty()) out += ",";
    out += f.flag;
  }
  return out;
}

}  // namespace

void Finish(Report* report) {
  std::sort(report->hosts.begin(), report->hosts.end());
  report->hosts.erase(std::unique(report->hosts.begin(), report->hosts.end()), report->hosts.end());
  for (auto& [fp, k] : report->keys) {
    k.flags.clear();
    if (k.type == "DSA") {
      k.flags.push_back({kFlagWeak, "DSA keys are weak (1024-bit, SHA-1) and refused by OpenSSH 9.2 by default"});
    } else if (k.type == "RSA" && k.bits < 2048) {
      k.flags.push_back({kFlagWeak, "RSA key of " + std::to_string(k.bits) + " bits (under 2048)"});
    }
    std::set<std::pair<std::string, std::string>> accounts;
    std::set<std::string> hosts;
    bool commented = false;
    for (const Occurrence& o : k.occurrences) {
      accounts.insert({o.host, o.account});
      hosts.insert(o.host);
      commented |= !o.comment.empty();
    }
    if (accounts.size() > 1) {
      std::set<std::string> names;
      for (const auto& a : accounts) names.insert(a.second);
      k.flags.push_back({kFlagShared, "used by " + std::to_string(accounts.size()) + " accounts (" +
                                          std::to_string(names.size()) + " names) on " + std::to_string(hosts.size()) +
                                          " host" + (hosts.size() == 1 ? "" : "s")});
    }
    if (!commented) k.flags.push_back({kFlagNoComment, "no line gives this key a comment: whose is it?"});
  }
}

Report Merge(const std::vector<Report>& reports) {
  Report out;
  for (const Report& r : reports) {
    out.hosts.insert(out.hosts.end(), r.hosts.begin(), r.hosts.end());
    out.accounts += r.accounts;
    out.files += r.files;
    out.lines += r.lines;
    for (const auto& [fp, k] : r.keys) {
      auto [it, inserted] = out.keys.try_emplace(fp, k);
      if (!inserted) {
        it->second.occurrences.insert(it->second.occurrences.end(), k.occurrences.begin(), k.occurrences.end());
      }
    }
    out.problems.insert(out.problems.end(), r.problems.begin(), r.problems.end());
  }
  Finish(&out);
  return out;
}

namespace {

// Appends s as a JSON string. Valid UTF-8 passes; control characters and
// bytes that are not part of a valid sequence become \u00XX.
void JsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if (c >= 0x20 && c < 0x80) {
      out->push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    size_t len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
    if (ok && len == 3) {
      unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);  // overlong, surrogates
    }
    if (ok && len == 4) {
      unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90);
    }
    if (ok) {
      out->append(s.substr(i, len));
      i += len;
      continue;
    }
    out->append("\\u00");
    out->push_back(kHex[c >> 4]);
    out->push_back(kHex[c & 15]);
    ++i;
  }
  out->push_back('"');
}

void Field(std::string_view name, std::string_view value, std::string* out, bool comma = true) {
  if (comma) out->push_back(',');
  JsonString(name, out);
  out->push_back(':');
  JsonString(value, out);
}

void Field(std::string_view name, int64_t value, std::string* out, bool comma = true) {
  if (comma) out->push_back(',');
  JsonString(name, out);
  out->push_back(':');
  out->append(std::to_string(value));
}

void FlagsField(const std::vector<Flag>& flags, std::string* out) {
  out->append(",\"flags\":[");
  for (size_t i = 0; i < flags.size(); ++i) {
    if (i) out->push_back(',');
    out->push_back('{');
    Field("flag", flags[i].flag, out, false);
    Field("reason", flags[i].reason, out);
    out->push_back('}');
  }
  out->push_back(']');
}

// Type-checked readers: a field of the wrong type reads as missing.
std::string Str(const nlohmann::json& j, const char* k) {
  auto it = j.find(k);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t Int(const nlohmann::json& j, const char* k, int64_t def = 0) {
  auto it = j.find(k);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : def;
}

const nlohmann::json& Arr(const nlohmann::json& j, const char* k) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  auto it = j.find(k);
  return it != j.end() && it->is_array() ? *it : kEmpty;
}

std::vector<Flag> ReadFlags(const nlohmann::json& j) {
  std::vector<Flag> out;
  for (const auto& f : Arr(j, "flags"))
    if (f.is_object()) out.push_back({Str(f, "flag"), Str(f, "reason")});
  return out;
}

}  // namespace

std::string ToJson(const Report& report) {
  std::string out;
  out.reserve(512 + report.keys.size() * 400);
  out.append("{\"version\":" + std::to_string(kReportVersion) + ",\n\"hosts\":[");
  for (size_t i = 0; i < report.hosts.size(); ++i) {
    if (i) out.push_back(',');
    JsonString(report.hosts[i], &out);
  }
  size_t flagged = 0;
  for (const auto& [fp, k] : report.keys) {
    bool any = !k.flags.empty();
    for (const Occurrence& o : k.occurrences) any |= !o.flags.empty();
    flagged += any ? 1 : 0;
  }
  out.append("],\n\"summary\":{");
  Field("accounts", static_cast<int64_t>(report.accounts), &out, false);
  Field("files", static_cast<int64_t>(report.files), &out);
  Field("lines", static_cast<int64_t>(report.lines), &out);
  Field("keys", static_cast<int64_t>(report.keys.size()), &out);
  Field("flagged_keys", static_cast<int64_t>(flagged), &out);
  Field("problems", static_cast<int64_t>(report.problems.size()), &out);
  out.append("},\n\"keys\":[");
  bool first = true;
  for (const auto& [fp, k] : report.keys) {
    out.append(first ? "\n{" : ",\n{");
    first = false;
    Field("fingerprint", k.fingerprint, &out, false);
    Field("type", k.type, &out);
    Field("bits", k.bits, &out);
    FlagsField(k.flags, &out);
    out.append(",\"occurrences\":[");
    for (size_t i = 0; i < k.occurrences.size(); ++i) {
      const Occurrence& o = k.occurrences[i];
      out.append(i ? ",{" : "{");
      Field("host", o.host, &out, false);
      Field("account", o.account, &out);
      Field("uid", o.uid, &out);
      Field("file", o.file, &out);
      Field("line", static_cast<int64_t>(o.line), &out);
      Field("options", o.options, &out);
      Field("comment", o.comment, &out);
      FlagsField(o.flags, &out);
      out.push_back('}');
    }
    out.append("]}");
  }
  out.append("],\n\"problems\":[");
  for (size_t i = 0; i < report.problems.size(); ++i) {
    const Problem& p = report.problems[i];
    out.append(i ? ",\n{" : "\n{");
    Field("host", p.host, &out, false);
    Field("account", p.account, &out);
    Field("file", p.file, &out);
    Field("line", static_cast<int64_t>(p.line), &out);
    Field("flag", p.flag.flag, &out);
    Field("reason", p.flag.reason, &out);
    out.push_back('}');
  }
  out.append("]}\n");
  return out;
}

StatusOr<Report> FromJson(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) return InvalidArgumentError("not JSON");
  if (!j.is_object() || Int(j, "version") != kReportVersion) {
    return InvalidArgumentError("not a keyward audit report (version " + std::to_string(kReportVersion) + ")");
  }
  Report r;
  for (const auto& h : Arr(j, "hosts"))
    if (h.is_string()) r.hosts.push_back(h.get<std::string>());
  auto s = j.find("summary");
  if (s != j.end() && s->is_object()) {
    r.accounts = static_cast<uint64_t>(Int(*s, "accounts"));
    r.files = static_cast<uint64_t>(Int(*s, "files"));
    r.lines = static_cast<uint64_t>(Int(*s, "lines"));
  }
  for (const auto& k : Arr(j, "keys")) {
    if (!k.is_object()) return InvalidArgumentError("a key that is not an object");
    KeyRecord rec;
    rec.fingerprint = Str(k, "fingerprint");
    rec.type = Str(k, "type");
    rec.bits = static_cast<int>(Int(k, "bits"));
    if (rec.fingerprint.empty()) return InvalidArgumentError("a key without a fingerprint");
    for (const auto& o : Arr(k, "occurrences")) {
      if (!o.is_object()) continue;
      Occurrence occ;
      occ.host = Str(o, "host");
      occ.account = Str(o, "account");
      occ.uid = Int(o, "uid", -1);
      occ.file = Str(o, "file");
      occ.line = static_cast<size_t>(Int(o, "line"));
      occ.options = Str(o, "options");
      occ.comment = Str(o, "comment");
      occ.flags = ReadFlags(o);
      rec.occurrences.push_back(std::move(occ));
    }
    auto [it, inserted] = r.keys.try_emplace(rec.fingerprint, rec);
    if (!inserted) {
      it->second.occurrences.insert(it->second.occurrences.end(), rec.occurrences.begin(), rec.occurrences.end());
    }
  }
  for (const auto& p : Arr(j, "problems")) {
    if (!p.is_object()) continue;
    r.problems.push_back({Str(p, "host"), Str(p, "account"), Str(p, "file"), static_cast<size_t>(Int(p, "line")),
                          {Str(p, "flag"), Str(p, "reason")}});
  }
  Finish(&r);
  return r;
}

std::string ToTable(const Report& report) {
  struct Row {
    const KeyRecord* key;
    std::vector<Flag> flags;  // the key's and its lines'
  };
  std::vector<Row> rows;
  rows.reserve(report.keys.size());
  for (const auto& [fp, k] : report.keys) {
    Row r{&k, k.flags};
    for (const Occurrence& o : k.occurrences) r.flags.insert(r.flags.end(), o.flags.begin(), o.flags.end());
    rows.push_back(std::move(r));
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    if (a.flags.empty() != b.flags.empty()) return !a.flags.empty();
    return a.key->occurrences.size() > b.key->occurrences.size();
  });
  std::string out;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-52s %-10s %5s %5s  %s\n", "KEY", "TYPE", "BITS", "USES", "FLAGS");
  out += buf;
  for (const Row& row : rows) {
    const KeyRecord* k = row.key;
    std::snprintf(buf, sizeof buf, "%-52s %-10s %5d %5zu  %s\n", k->fingerprint.c_str(), k->type.c_str(), k->bits,
                  k->occurrences.size(), FlagNames(row.flags).c_str());
    out += buf;
    for (const Occurrence& o : k->occurrences) {
      out += "    " + o.host + " " + o.account + " " + o.file + ":" + std::to_string(o.line);
      if (!o.options.empty()) out += "  [" + o.options + "]";
      if (!o.comment.empty()) out += "  " + o.comment;
      if (!o.flags.empty()) out += "  <" + FlagNames(o.flags) + ">";
      out += "\n";
    }
    for (const Flag& f : k->flags) out += "    ! " + f.flag + ": " + f.reason + "\n";
  }
  if (!report.problems.empty()) {
    out += "\nPROBLEMS\n";
    for (const Problem& p : report.problems) {
      out += "    " + p.host + " " + p.account + " " + p.file;
      if (p.line) out += ":" + std::to_string(p.line);
      out += "  " + p.flag.flag + ": " + p.flag.reason + "\n";
    }
  }
  std::snprintf(buf, sizeof buf, "\n%zu keys on %zu host(s), %llu accounts, %llu files, %llu key lines, %zu problems\n",
                report.keys.size(), report.hosts.size(), static_cast<unsigned long long>(report.accounts),
                static_cast<unsigned long long>(report.files), static_cast<unsigned long long>(report.lines),
                report.problems.size());
  out += buf;
  return out;
}

}  // namespace kw::audit
