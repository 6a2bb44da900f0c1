// MQTT filter matching and station templates, by hand-worked examples.
#include "core/topic.h"

#include <doctest/doctest.h>

namespace floortrack {
namespace {

TEST_CASE("TopicMatches follows MQTT wildcards") {
  CHECK(TopicMatches("floor/#", "floor/polish/3/scan"));
  CHECK(TopicMatches("floor/#", "floor"));
  CHECK(TopicMatches("floor/polish/+/scan", "floor/polish/bench-2/scan"));
  CHECK_FALSE(TopicMatches("floor/polish/+/scan", "floor/polish/bench-2/scan/x"));
  CHECK_FALSE(TopicMatches("floor/polish/+/scan", "floor/polish/scan"));
  CHECK(TopicMatches("+/+", "/sdcp"));
  CHECK(TopicMatches("/sdcp/status/+", "/sdcp/status/ABC"));
  CHECK_FALSE(TopicMatches("sdcp/status/+", "/sdcp/status/ABC"));
  CHECK(TopicMatches("#", "a/b"));
  CHECK_FALSE(TopicMatches("#", "$SYS/broker/uptime"));
  CHECK(TopicMatches("device/+/report", "device/01S00A/report"));
}

TEST_CASE("IsTopicFilter accepts wildcards only as whole levels, '#' last") {
  CHECK(IsTopicFilter("floor/#"));
  CHECK(IsTopicFilter("#"));
  CHECK(IsTopicFilter("+/status/+"));
  CHECK_FALSE(IsTopicFilter(""));
  CHECK_FALSE(IsTopicFilter("floor/#/x"));
  CHECK_FALSE(IsTopicFilter("floor/a#"));
  CHECK_FALSE(IsTopicFilter("floor/a+/b"));
}

TEST_CASE("ResolveStation takes {N} from topic levels counted from 1") {
  CHECK(ResolveStation("{3}", "floor/polish/bench-2/scan") == "bench-2");
  CHECK(ResolveStation("{4}", "/sdcp/status/X") == "X");
  CHECK(ResolveStation("{1}", "/sdcp/status/X").empty());
  CHECK(ResolveStation("octo-1", "octoPrint/event/PrintDone") == "octo-1");
  CHECK(ResolveStation("bambu-{2}", "device/01S00A/report") == "bambu-01S00A");
}

TEST_CASE("CheckStationTemplate refuses {N} past the filter's levels before '#'") {
  CHECK(CheckStationTemplate("{3}", {"floor/polish/+/scan"}).ok());
  CHECK(CheckStationTemplate("{2}", {"octoPrint/#"}).error().message.find("{2}") !=
        std::string::npos);
  CHECK(CheckStationTemplate("{1}", {"octoPrint/#"}).ok());
  CHECK_FALSE(CheckStationTemplate("{0}", {"a/b"}).ok());
  CHECK_FALSE(CheckStationTemplate("{x}", {"a/b"}).ok());
  CHECK(CheckStationTemplate("plain", {"a/#"}).ok());
}

}  // namespace
}  // namespace floortrack
