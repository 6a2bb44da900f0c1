// MetricsText: the Prometheus text exposition GET /metrics serves
// (docs/api.md, "Metrics"), built with prometheus-cpp's Registry and
// TextSerializer.
//
// A pure function of its inputs: a fresh Registry per call, filled from the
// daemon's counter snapshot (monotonic because the ingest's atomics are) and
// the KPI reports computed at scrape time; nothing is kept between calls.
// Thread-safe. Owns nothing; borrows its arguments for the call only.
#pragma once

#include <optional>
#include <string>

#include "core/kpi.h"
#include "daemon/daemon.h"

namespace floortrack {

// The KPI reports a scrape exposes: over all time and over the last 30 days
// (each absent when the database could not be read).
struct MetricsKpis {
  std::optional<KpiReport> all_time;
  std::optional<KpiReport> last_30d;
};

// The content type of the text format, version 0.0.4.
inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string MetricsText(const DaemonMetrics& daemon, const MetricsKpis& kpis);

}  // namespace floortrack
