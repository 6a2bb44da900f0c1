// MetricsText (daemon/metrics.h): the Prometheus text GET /metrics serves,
// from plain snapshots; the integration test (test_metrics.py) parses it
// from a real daemon.
#include "daemon/metrics.h"

#include <doctest/doctest.h>

#include <string>

namespace floortrack {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

TEST_CASE("MetricsText: counters, reject classes, ts flags, health, histogram") {
  DaemonMetrics d;
  d.stored = 7;
  d.duplicates = 2;
  d.rejected = 3;
  d.rejected_by_class[static_cast<std::size_t>(RejectClass::kDecode)] = 2;
  d.rejected_by_class[static_cast<std::size_t>(RejectClass::kUnknownOrder)] = 1;
  d.flagged_by_reason[2] = 4;  // too_old
  d.connected = true;
  d.subscribed = false;
  d.storage_ok = true;
  d.commit_buckets[0] = 5;                            // <= 0.0005 s
  d.commit_buckets[d.commit_buckets.size() - 1] = 1;  // +Inf
  d.commit_sum_seconds = 2.5;
  const std::string text = MetricsText(d, MetricsKpis{});

  CHECK(Has(text, "# TYPE floortrack_events_stored_total counter"));
  CHECK(Has(text, "floortrack_events_stored_total 7"));
  CHECK(Has(text, "floortrack_events_duplicate_total 2"));
  CHECK(Has(text, "floortrack_events_rejected_total{reason=\"decode\"} 2"));
  CHECK(Has(text, "floortrack_events_rejected_total{reason=\"unknown_order\"} 1"));
  CHECK(Has(text, "floortrack_events_rejected_total{reason=\"size\"} 0"));
  CHECK(Has(text, "floortrack_events_flagged_total{reason=\"too_old\"} 4"));
  CHECK(Has(text, "floortrack_broker_connected 1"));
  CHECK(Has(text, "floortrack_subscribed 0"));
  CHECK(Has(text, "floortrack_storage_ok 1"));
  CHECK(Has(text, "floortrack_commit_seconds_count 6"));
  CHECK(Has(text, "floortrack_commit_seconds_bucket{le=\"1\"} 5"));
  CHECK(Has(text, "floortrack_commit_seconds_bucket{le=\"+Inf\"} 6"));
  // No event yet, no KPI reports: those metrics are absent.
  CHECK(text.find("floortrack_last_event_timestamp_seconds") == std::string::npos);
  CHECK(text.find("floortrack_kpi") == std::string::npos);
  CHECK(text.find("floortrack_orders_open") == std::string::npos);
  CHECK(text.find("# HELP floortrack_commit_seconds ") != std::string::npos);
  CHECK(text.find("floortrack_journal_pending_events") == std::string::npos);  // no journal
  d.journal_pending = 12;
  CHECK(Has(MetricsText(d, MetricsKpis{}), "floortrack_journal_pending_events 12"));
}

TEST_CASE("MetricsText: KPI gauges per window; a null KPI is absent; turnaround in seconds") {
  KpiReport all;
  all.open = 3;
  all.aov = 162.5;
  all.turnaround.p50 = 2.0;  // hours
  KpiReport last;
  last.aov = 50;
  const std::string text = MetricsText(DaemonMetrics{}, MetricsKpis{all, last});
  CHECK(Has(text, "floortrack_orders_open 3"));
  CHECK(Has(text, "floortrack_kpi{kpi=\"aov\",window=\"all_time\"} 162.5"));
  CHECK(Has(text, "floortrack_kpi{kpi=\"aov\",window=\"30d\"} 50"));
  CHECK(Has(text, "floortrack_turnaround_seconds{quantile=\"0.5\",window=\"all_time\"} 7200"));
  CHECK(text.find("material_yield_pct") == std::string::npos);
  CHECK(text.find("quantile=\"0.9\"") == std::string::npos);
}

TEST_CASE("MetricsText: target status 1 inside, 0 outside, absent without data") {
  KpiReport all;
  all.aov = 100;
  all.order_accuracy_pct = 90;
  all.materials["silver"].loss_pct = 7.0;
  all.targets = JudgeTargets(all, KpiTargets{});
  const std::string text = MetricsText(DaemonMetrics{}, MetricsKpis{all, std::nullopt});
  CHECK(Has(text, "floortrack_kpi_target_inside{kpi=\"aov\",window=\"all_time\"} 1"));
  CHECK(
      Has(text, "floortrack_kpi_target_inside{kpi=\"order_accuracy_pct\",window=\"all_time\"} 0"));
  CHECK(text.find("kpi=\"personalization_pct\",window") == std::string::npos);
  CHECK(Has(text,
            "floortrack_material_target_inside{kpi=\"loss_pct\",material=\"silver\","
            "window=\"all_time\"} 0"));
}

}  // namespace
}  // namespace floortrack
