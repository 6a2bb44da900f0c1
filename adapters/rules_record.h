// The rules record: Rules as JSON text, as the daemon stores them in the
// database (settings "rules") when it starts and on reload, so the CLI
// answers with the shop's stage order, accuracy reasons and money settings
// without reading the config file (and its secrets).
//
// DecodeRules is lenient by design, for files written by other releases:
// keys it does not know are ignored, keys it misses keep Rules' defaults; a
// key of the wrong type is an error. Pure functions; never throw.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "core/rules.h"

namespace floortrack {

std::string EncodeRules(const Rules& rules);
Result<Rules> DecodeRules(std::string_view text);

}  // namespace floortrack
