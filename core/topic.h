// MQTT topic filters and topic levels, as the sources of the config use them.
//
// TopicMatches follows MQTT 3.1.1 section 4.7: '+' matches one level, a
// trailing '#' the parent level and everything below it; topics starting
// with '$' are not matched by a leading wildcard. Levels count from 1 and
// split on '/', so "/sdcp/status/X" has level 1 "" and level 4 "X".
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace floortrack {

bool TopicMatches(std::string_view filter, std::string_view topic);

// A valid filter: non-empty; '+' and '#' only as whole levels, '#' last.
bool IsTopicFilter(std::string_view filter);

// The levels of a topic or filter.
std::vector<std::string_view> TopicLevels(std::string_view topic);

// Checks a station template against the filters it is used with: every {N}
// must name a level that each filter has before any '#'. The error says
// which N and which filter.
Status CheckStationTemplate(std::string_view station, const std::vector<std::string>& filters);

// The station for `topic`: the template with each {N} replaced by level N.
std::string ResolveStation(std::string_view station, std::string_view topic);

}  // namespace floortrack
