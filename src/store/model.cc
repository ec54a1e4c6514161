#include "store/model.h"

namespace kw::store {
namespace {

// One table per enum, so ToString and Parse read the same names. These are
// also the values stored in the database: never rename one.
template <typename E>
struct Named {
  E value;
  std::string_view name;
};

constexpr Named<UserState> kUserStates[] = {
    {UserState::kActive, "active"}, {UserState::kSuspended, "suspended"}, {UserState::kOffboarded, "offboarded"}};
constexpr Named<KeyState> kKeyStates[] = {
    {KeyState::kActive, "active"}, {KeyState::kExpired, "expired"}, {KeyState::kRevoked, "revoked"}};
constexpr Named<TokenKind> kTokenKinds[] = {
    {TokenKind::kAdmin, "admin"}, {TokenKind::kHost, "host"}, {TokenKind::kEnroll, "enroll"}};

template <typename E, size_t N>
std::string_view NameOf(const Named<E> (&table)[N], E value) {
  for (const auto& entry : table)
    if (entry.value == value) return entry.name;
  return "unknown";
}

template <typename E, size_t N>
std::optional<E> ValueOf(const Named<E> (&table)[N], std::string_view name) {
  for (const auto& entry : table)
    if (entry.name == name) return entry.value;
  return std::nullopt;
}

}  // namespace

std::string_view ToString(UserState s) { return NameOf(kUserStates, s); }
std::string_view ToString(KeyState s) { return NameOf(kKeyStates, s); }
std::string_view ToString(TokenKind k) { return NameOf(kTokenKinds, k); }
std::optional<UserState> ParseUserState(std::string_view s) { return ValueOf(kUserStates, s); }
std::optional<KeyState> ParseKeyState(std::string_view s) { return ValueOf(kKeyStates, s); }
std::optional<TokenKind> ParseTokenKind(std::string_view s) { return ValueOf(kTokenKinds, s); }

}  // namespace kw::store
