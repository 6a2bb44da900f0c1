// Unit tests for the [publish] table (adapters/config_file.h): defaults,
// every key read, errors naming the key, the shipped file at the defaults.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "adapters/config_file.h"

namespace floortrack {
namespace {

constexpr const char* kSource = "test.toml";

std::string PublishErrorOf(const std::string& text) {
  auto r = ParseConfig(text, kSource);
  return r ? "" : r.error().message;
}

bool Has(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

void CheckPublishDefaults(const PublishConfig& p) {
  CHECK(p.kpi_topic == "floortrack/kpi");
  CHECK(p.interval_s == 60);
  CHECK_FALSE(p.homeassistant_discovery);
  CHECK(p.homeassistant_prefix == "homeassistant");
}

TEST_CASE("[publish] defaults, and every key read") {
  auto empty = ParseConfig("", kSource);
  REQUIRE(empty.ok());
  CheckPublishDefaults(empty.value().publish);
  auto r = ParseConfig(
      "[publish]\nkpi_topic = \"shop/kpi\"\ninterval_s = 86400\nhomeassistant_discovery = true\n"
      "homeassistant_prefix = \"ha/discovery\"\n",
      kSource);
  REQUIRE(r.ok());
  CHECK(r.value().publish.kpi_topic == "shop/kpi");
  CHECK(r.value().publish.interval_s == 86400);
  CHECK(r.value().publish.homeassistant_discovery);
  CHECK(r.value().publish.homeassistant_prefix == "ha/discovery");
}

TEST_CASE("[publish] bad values are errors naming the key") {
  for (const char* bad : {"0", "-1", "86401", "\"60\"", "1.5"}) {
    CAPTURE(bad);
    const std::string e = PublishErrorOf(std::string("[publish]\ninterval_s = ") + bad + "\n");
    CHECK(Has(e, "key 'publish.interval_s'"));
    CHECK(Has(e, "from 1 to 86400"));
  }
  for (const char* bad : {"", "floortrack/+", "floortrack/#", "#"}) {
    CAPTURE(bad);
    CHECK(Has(PublishErrorOf(std::string("[publish]\nkpi_topic = \"") + bad + "\"\n"),
              "key 'publish.kpi_topic'"));
  }
  for (const char* bad : {"", "/ha", "ha/", "h+a"}) {
    CAPTURE(bad);
    CHECK(Has(PublishErrorOf(std::string("[publish]\nhomeassistant_prefix = \"") + bad + "\"\n"),
              "key 'publish.homeassistant_prefix'"));
  }
  CHECK(Has(PublishErrorOf("[publish]\nhomeassistant_discovery = \"yes\"\n"),
            "key 'publish.homeassistant_discovery'"));
  CHECK(Has(PublishErrorOf("[publish]\nkpi_topics = \"x\"\n"), "key 'publish.kpi_topics'"));
  CHECK(Has(PublishErrorOf("[mqtt]\nclient_id = \"a+b\"\n"), "key 'mqtt.client_id'"));
  CHECK(Has(PublishErrorOf("publish = 3\n"), "key 'publish'"));
}

TEST_CASE("The shipped config/floortrack.toml has [publish] at its defaults") {
  const std::filesystem::path shipped =
      std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "config" /
      "floortrack.toml";
  auto r = LoadConfig(shipped.string());
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
  CheckPublishDefaults(r.value().publish);
}

}  // namespace
}  // namespace floortrack
