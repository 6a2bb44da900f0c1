#include "adapters/event_key.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace floortrack {

std::string DeriveEventKey(std::string_view topic, std::string_view payload) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) &&
            EVP_DigestUpdate(ctx, topic.data(), topic.size()) && EVP_DigestUpdate(ctx, "", 1) &&
            EVP_DigestUpdate(ctx, payload.data(), payload.size()) &&
            EVP_DigestFinal_ex(ctx, digest, &size);
  EVP_MD_CTX_free(ctx);
  if (!ok) std::abort();  // SHA-256 is built into every OpenSSL; failure means a broken library
  static constexpr char kHex[] = "0123456789abcdef";
  std::string key = "sha256:";
  for (unsigned int i = 0; i < size; ++i) {
    key.push_back(kHex[digest[i] >> 4]);
    key.push_back(kHex[digest[i] & 0xF]);
  }
  return key;
}

}  // namespace floortrack
