#include "daemon/http_auth.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstddef>

namespace floortrack {
namespace {

constexpr std::string_view kSessionLabel = "floortrack dashboard session v1";
constexpr int kOneYearS = 365 * 24 * 3600;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool EqualInConstantTime(std::string_view a, std::string_view b) {
  // Every byte of `b` is compared whatever `a` holds.
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < b.size(); ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ static_cast<unsigned char>(b[i]));
  }
  return diff == 0;
}

bool BearerTokenMatches(std::string_view expected, std::string_view header) {
  constexpr std::string_view kScheme = "Bearer ";
  if (expected.empty() || header.size() < kScheme.size()) return false;
  const bool scheme_ok = header.substr(0, kScheme.size()) == kScheme;
  const bool token_ok = EqualInConstantTime(header.substr(kScheme.size()), expected);
  return scheme_ok && token_ok;
}

std::string SessionValue(std::string_view token) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const unsigned char* ok = HMAC(EVP_sha256(), token.data(), static_cast<int>(token.size()),
                                 reinterpret_cast<const unsigned char*>(kSessionLabel.data()),
                                 kSessionLabel.size(), mac, &length);
  if (ok == nullptr) return {};  // never matches: SessionCookieMatches needs a non-empty value
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[mac[i] >> 4]);
    hex.push_back(kHex[mac[i] & 0x0f]);
  }
  return hex;
}

bool SessionCookieMatches(std::string_view token, std::string_view cookie_header) {
  if (token.empty()) return false;
  const std::string expected = SessionValue(token);
  if (expected.empty()) return false;
  bool found = false;
  // "a=1; floortrack_session=...; b=2": every cookie of that name is tried.
  while (!cookie_header.empty()) {
    const std::size_t end = cookie_header.find(';');
    std::string_view pair = Trim(cookie_header.substr(0, end));
    cookie_header =
        end == std::string_view::npos ? std::string_view() : cookie_header.substr(end + 1);
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos || Trim(pair.substr(0, eq)) != kSessionCookie) continue;
    std::string_view value = Trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    found |= EqualInConstantTime(value, expected);
  }
  return found;
}

std::string SessionSetCookie(std::string_view token) {
  const std::string common = "; Path=/; HttpOnly; SameSite=Strict";
  if (token.empty()) return std::string(kSessionCookie) + "=" + common + "; Max-Age=0";
  return std::string(kSessionCookie) + "=" + SessionValue(token) + common +
         "; Max-Age=" + std::to_string(kOneYearS);
}

}  // namespace floortrack
