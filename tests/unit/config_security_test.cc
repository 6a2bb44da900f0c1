// Unit tests for the broker-link security keys of [mqtt] (adapters/config_file.h):
// username, password_file, ca_file, cert_file, key_file, verify_hostname, and
// SecurityWarnings(). The TLS and log-in behaviour itself is tested against a
// real mosquitto in tests/integration/test_tls_auth.py.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "adapters/config_file.h"

namespace floortrack {
namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string ParseError(const std::string& text) {
  auto r = ParseConfig(text, "sec.toml");
  return r ? "" : r.error().message;
}

// A private directory with a config file and whatever else a test writes.
class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("floortrack-config-security-" + std::to_string(::getpid()) + "-" +
             std::to_string(counter_++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& content, mode_t mode = 0600) {
    std::string p = (path_ / name).string();
    std::ofstream(p, std::ios::binary) << content;
    ::chmod(p.c_str(), mode);
    return p;
  }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

TEST_CASE("security keys default to anonymous, system trust store, host name checked") {
  auto r = ParseConfig("", "sec.toml");
  REQUIRE(r.ok());
  const MqttConfig& m = r.value().mqtt;
  CHECK(m.username.empty());
  CHECK(m.password_file.empty());
  CHECK(m.password.empty());
  CHECK(m.ca_file.empty());
  CHECK(m.cert_file.empty());
  CHECK(m.key_file.empty());
  CHECK(m.verify_hostname);
  CHECK_FALSE(m.UsesTls());
}

TEST_CASE("security keys are read; ParseConfig does not read the password file") {
  auto r = ParseConfig(
      "[mqtt]\nuri = \"mqtts://broker:8883\"\nusername = \"u\"\npassword_file = "
      "\"/nonexistent/pw\"\n"
      "ca_file = \"/c/ca.pem\"\ncert_file = \"/c/cert.pem\"\nkey_file = "
      "\"/c/key.pem\"\nverify_hostname = false\n",
      "sec.toml");
  REQUIRE(r.ok());
  const MqttConfig& m = r.value().mqtt;
  CHECK(m.UsesTls());
  CHECK(m.username == "u");
  CHECK(m.password_file == "/nonexistent/pw");
  CHECK(m.password.empty());
  CHECK(m.ca_file == "/c/ca.pem");
  CHECK(m.cert_file == "/c/cert.pem");
  CHECK(m.key_file == "/c/key.pem");
  CHECK_FALSE(m.verify_hostname);
  CHECK(ParseConfig("[mqtt]\nuri = \"ssl://b:8883\"\n", "s").value().mqtt.UsesTls());
}

TEST_CASE("security key errors name the key") {
  CHECK(Contains(ParseError("[mqtt]\nverify_hostname = \"no\"\n"),
                 "key 'mqtt.verify_hostname': must be true or false"));
  CHECK(Contains(ParseError("[mqtt]\nusername = 5\n"), "key 'mqtt.username': must be a string"));
  CHECK(Contains(ParseError("[mqtt]\npassword_file = \"/pw\"\n"),
                 "key 'mqtt.password_file': needs mqtt.username"));
  CHECK(Contains(ParseError("[mqtt]\nca_file = \"/ca.pem\"\n"),
                 "key 'mqtt.ca_file': is set but mqtt.uri does not use TLS"));
  CHECK(Contains(ParseError("[mqtt]\nuri = \"ssl://b:1\"\ncert_file = \"/c.pem\"\n"),
                 "key 'mqtt.key_file'"));
  CHECK(Contains(ParseError("[mqtt]\nuri = \"ssl://b:1\"\nkey_file = \"/k.pem\"\n"),
                 "key 'mqtt.cert_file'"));
  CHECK(Contains(ParseError("[mqtt]\npassword = \"x\"\n"), "key 'mqtt.password': unknown key"));
}

TEST_CASE("LoadConfig reads the password file and strips the trailing newline") {
  TempDir dir;
  for (const char* content : {"s3cret\n", "s3cret", "s3cret\r\n", "s3cret\n\n"}) {
    CAPTURE(content);
    std::string pw = dir.Write("pw", content);
    std::string config =
        dir.Write("c.toml", "[mqtt]\nusername = \"u\"\npassword_file = \"" + pw + "\"\n");
    auto r = LoadConfig(config);
    REQUIRE(r.ok());
    CHECK(r.value().mqtt.password == "s3cret");
  }
}

TEST_CASE(
    "LoadConfig: missing or empty password file is an error naming the key, not the password") {
  TempDir dir;
  std::string missing =
      dir.Write("c1.toml", "[mqtt]\nusername = \"u\"\npassword_file = \"/nonexistent/pw\"\n");
  auto r = LoadConfig(missing);
  REQUIRE_FALSE(r.ok());
  CHECK(Contains(r.error().message, "key 'mqtt.password_file': cannot read '/nonexistent/pw'"));

  std::string empty = dir.Write("empty", "\n");
  std::string config =
      dir.Write("c2.toml", "[mqtt]\nusername = \"u\"\npassword_file = \"" + empty + "\"\n");
  r = LoadConfig(config);
  REQUIRE_FALSE(r.ok());
  CHECK(Contains(r.error().message, "key 'mqtt.password_file'"));
  CHECK(Contains(r.error().message, "is empty"));
}

TEST_CASE("LoadConfig: unreadable TLS files are errors naming the key") {
  TempDir dir;
  std::string config =
      dir.Write("c.toml", "[mqtt]\nuri = \"ssl://b:8883\"\nca_file = \"/nonexistent/ca.pem\"\n");
  auto r = LoadConfig(config);
  REQUIRE_FALSE(r.ok());
  CHECK(Contains(r.error().message, "key 'mqtt.ca_file': cannot read '/nonexistent/ca.pem'"));
}

TEST_CASE("SecurityWarnings: an HTTP listener beyond loopback without a token") {
  TempDir dir;
  std::string config = dir.Write("c.toml", "", 0600);
  std::string token = dir.Write("t", "tok\n", 0644);
  Config c;
  CHECK(SecurityWarnings(c, config).empty());  // 127.0.0.1:8760
  c.http.listen = "[::1]:8760";
  CHECK(SecurityWarnings(c, config).empty());
  c.http.listen = "0.0.0.0:8760";
  auto warnings = SecurityWarnings(c, config);
  REQUIRE(warnings.size() == 1);
  CHECK(Contains(warnings[0], "http.listen (0.0.0.0:8760) is not loopback"));
  c.http.token_file = token;
  warnings = SecurityWarnings(c, config);
  REQUIRE(warnings.size() == 1);  // the token file readable by others
  CHECK(Contains(warnings[0], "http.token_file"));
  CHECK(Contains(warnings[0], "chmod 600 " + token));
}

TEST_CASE("SecurityWarnings: files readable by group or others, password without TLS") {
  TempDir dir;
  std::string pw = dir.Write("pw", "s3cret\n", 0644);
  std::string key = dir.Write("key.pem", "k", 0640);
  std::string cert = dir.Write("cert.pem", "c", 0644);
  std::string ca = dir.Write("ca.pem", "c", 0644);
  std::string text = "[mqtt]\nuri = \"ssl://b:8883\"\nusername = \"u\"\npassword_file = \"" + pw +
                     "\"\nca_file = \"" + ca + "\"\ncert_file = \"" + cert + "\"\nkey_file = \"" +
                     key + "\"\n";
  std::string config = dir.Write("c.toml", text, 0600);
  auto r = LoadConfig(config);
  REQUIRE(r.ok());
  auto warnings = SecurityWarnings(r.value(), config);
  REQUIRE(warnings.size() ==
          2);  // the password file and the key; the config, CA and certificate are fine
  CHECK(Contains(warnings[0], pw + " (mode 0644) is readable by others; chmod 600 " + pw));
  CHECK(Contains(warnings[0], "mqtt.password_file"));
  CHECK(Contains(warnings[1], key + " (mode 0640) is readable by others"));
  for (const auto& w : warnings) CHECK_FALSE(Contains(w, "s3cret"));

  ::chmod(pw.c_str(), 0600);
  ::chmod(key.c_str(), 0600);
  ::chmod(config.c_str(), 0604);
  warnings = SecurityWarnings(r.value(), config);
  REQUIRE(warnings.size() == 1);
  CHECK(Contains(warnings[0], "config file " + config + " (mode 0604) is readable by others"));

  ::chmod(config.c_str(),
          0640);  // group = ours (the file was created with our egid): fine for the config
  CHECK(SecurityWarnings(r.value(), config).empty());
  ::chmod(pw.c_str(), 0640);  // but not for the password file
  warnings = SecurityWarnings(r.value(), config);
  REQUIRE(warnings.size() == 1);
  CHECK(Contains(warnings[0], pw + " (mode 0640) is readable by others"));
  ::chmod(pw.c_str(), 0600);

  std::string plain =
      dir.Write("p.toml", "[mqtt]\nusername = \"u\"\npassword_file = \"" + pw + "\"\n");
  auto p = LoadConfig(plain);
  REQUIRE(p.ok());
  warnings = SecurityWarnings(p.value(), plain);
  REQUIRE(warnings.size() == 1);
  CHECK(Contains(warnings[0], "clear text"));
}

}  // namespace
}  // namespace floortrack
