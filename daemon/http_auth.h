// Who may read the HTTP API and the dashboard (docs/api.md, "Access").
//
// With `[http] token_file` set, a request is let in when it carries the
// token as a bearer token (API clients, Prometheus) or a session cookie a
// browser got by signing in once at /login, by the form or a token link
// (`/login?token=...`). The cookie holds not the token but an HMAC-SHA256
// of a fixed label keyed with it: it opens nothing else, and a new token
// signs every browser out. Every comparison takes a time that depends on
// the lengths only. Pure functions, thread-safe; never throw.
#pragma once

#include <string>
#include <string_view>

namespace floortrack {

inline constexpr std::string_view kSessionCookie = "floortrack_session";

// Whether an Authorization header value is "Bearer <expected>". An empty
// `expected` never matches.
bool BearerTokenMatches(std::string_view expected, std::string_view header);

// The session cookie value for `token`: lowercase hex of
// HMAC-SHA256(key = token, "floortrack dashboard session v1").
std::string SessionValue(std::string_view token);

// Whether a Cookie header value holds kSessionCookie with the value for
// `token`. An empty `token` never matches.
bool SessionCookieMatches(std::string_view token, std::string_view cookie_header);

// The Set-Cookie header value that signs a browser in (HttpOnly,
// SameSite=Strict, Path=/, one year: a wall screen stays signed in), or
// out (`token` empty: expired at once).
std::string SessionSetCookie(std::string_view token);

// Whether two strings are equal, in time depending on their lengths only.
bool EqualInConstantTime(std::string_view a, std::string_view b);

}  // namespace floortrack
