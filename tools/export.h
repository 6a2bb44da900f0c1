// CSV export of orders, events and flow dwells (`floortrack export`,
// docs/cli.md): a header row, then one RFC 4180 row per item, streamed from
// the store one order or event at a time. Part of floortrack_reports.
// Thread-safe except that the OrderHistory it is given is used (one thread
// at a time, as any store).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/order_history.h"
#include "core/result.h"
#include "core/rules.h"

namespace floortrack::cli {

enum class ExportKind { kOrders, kEvents, kFlow };

// "orders", "events", "flow"; nullopt otherwise.
std::optional<ExportKind> ExportKindFromName(std::string_view name);

// The header row of each kind, as docs/cli.md lists it.
const std::vector<std::string>& ExportHeader(ExportKind kind);

// Writes the header and the rows for `window` to `out`:
// orders: orders confirmed or first shipped in the window (every order
//   when the window has neither bound);
// events: events whose stage_time is in the window, in arrival order;
// flow:   dwells whose left_at is in the window (core/flow.h), WIP measured
//   as of FlowAsOf(window, now), by order then timeline.
// Storage errors are returned; a failed write is kIo.
Status ExportCsv(OrderHistory& history, const Rules& rules, ExportKind kind, const Window& window,
                 TimePoint now, std::ostream& out);

// ExportCsv into `path`, through a temporary file in the same directory
// renamed over `path` only when everything was written, so an interrupted
// or failed export leaves no partial file at `path`.
Status ExportCsvToFile(OrderHistory& history, const Rules& rules, ExportKind kind,
                       const Window& window, TimePoint now, const std::string& path);

}  // namespace floortrack::cli
