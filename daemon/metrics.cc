#include "daemon/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <cstddef>
#include <utility>
#include <vector>

namespace floortrack {
namespace {

constexpr double kSecondsPerHour = 3600.0;

void AddKpis(prometheus::Family<prometheus::Gauge>& kpi,
             prometheus::Family<prometheus::Gauge>& turnaround, const KpiReport& r,
             const std::string& window) {
  const std::pair<const char*, const std::optional<double>*> values[] = {
      {"material_yield_pct", &r.material_yield_pct},
      {"material_loss_pct", &r.material_loss_pct},
      {"material_cost_pct", &r.material_cost_pct},
      {"order_accuracy_pct", &r.order_accuracy_pct},
      {"first_pass_yield_pct", &r.first_pass_yield_pct},
      {"aov", &r.aov},
      {"personalization_pct", &r.personalization_pct},
      {"repeat_customer_pct", &r.repeat_customer_pct},
      {"on_time_pct", &r.on_time_pct},
      {"retention_pct", &r.retention_pct},
      {"labor_pieces_per_hour", &r.labor_pieces_per_hour},
      {"design_conversion_pct", &r.design_conversion_pct},
      {"csi", &r.csi},
      {"engagement_pct", &r.engagement_pct},
      {"production_hours", &r.production_hours},
  };
  for (const auto& [name, value] : values)
    if (value->has_value()) kpi.Add({{"kpi", name}, {"window", window}}).Set(**value);
  const std::pair<const char*, const std::optional<double>*> quantiles[] = {
      {"0.5", &r.turnaround.p50}, {"0.9", &r.turnaround.p90}, {"0.95", &r.turnaround.p95}};
  for (const auto& [q, hours] : quantiles)
    if (hours->has_value())
      turnaround.Add({{"quantile", q}, {"window", window}}).Set(**hours * kSecondsPerHour);
}

// 1 inside the band, 0 outside; absent without data.
void AddTargets(prometheus::Family<prometheus::Gauge>& inside,
                prometheus::Family<prometheus::Gauge>& material_inside, const KpiReport& r,
                const std::string& window) {
  for (const auto& [kpi, t] : r.targets.kpis)
    if (t.status != TargetStatus::kNoData)
      inside.Add({{"kpi", kpi}, {"window", window}}).Set(t.status == TargetStatus::kInside ? 1 : 0);
  for (const auto& [type, m] : r.targets.materials)
    if (m.result.status != TargetStatus::kNoData)
      material_inside.Add({{"material", type}, {"kpi", m.kpi}, {"window", window}})
          .Set(m.result.status == TargetStatus::kInside ? 1 : 0);
}

}  // namespace

std::string MetricsText(const DaemonMetrics& d, const MetricsKpis& kpis) {
  prometheus::Registry registry;
  auto counter = [&](const char* name, const char* help, double value) {
    prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({}).Increment(value);
  };
  auto gauge = [&](const char* name, const char* help) -> prometheus::Family<prometheus::Gauge>& {
    return prometheus::BuildGauge().Name(name).Help(help).Register(registry);
  };
  counter("floortrack_events_stored_total", "Events stored since floortrackd started.",
          static_cast<double>(d.stored));
  counter("floortrack_events_duplicate_total",
          "Messages recognised as an event already stored (redeliveries), since start.",
          static_cast<double>(d.duplicates));

  auto& rejected = prometheus::BuildCounter()
                       .Name("floortrack_events_rejected_total")
                       .Help(
                           "Messages rejected (kept in the rejects table) since start, by "
                           "reason class: size, decode, validation, unknown_order, other.")
                       .Register(registry);
  for (std::size_t i = 0; i < kRejectClasses; ++i)
    rejected.Add({{"reason", RejectClassName(static_cast<RejectClass>(i))}})
        .Increment(static_cast<double>(d.rejected_by_class[i]));

  auto& flagged = prometheus::BuildCounter()
                      .Name("floortrack_events_flagged_total")
                      .Help(
                          "Events stored with an untrusted device ts (stage time = receive "
                          "time) since start, by reason: future, before_earliest, too_old.")
                      .Register(registry);
  for (std::size_t i = 0; i < kTsFlags; ++i)
    flagged.Add({{"reason", kTsFlagNames[i]}})
        .Increment(static_cast<double>(d.flagged_by_reason[i]));

  gauge("floortrack_broker_connected", "1 when a session with the MQTT broker is up.")
      .Add({})
      .Set(d.connected ? 1 : 0);
  gauge("floortrack_subscribed", "1 when every configured MQTT filter is granted at QoS 1.")
      .Add({})
      .Set(d.subscribed ? 1 : 0);
  gauge("floortrack_storage_ok", "1 unless ingest is held by a storage condition.")
      .Add({})
      .Set(d.storage_ok ? 1 : 0);
  if (d.journal_pending)
    gauge("floortrack_journal_pending_events",
          "Messages acknowledged from the ingest journal and not yet released: not yet applied "
          "to the database, or applied and not yet synced (absent without a journal).")
        .Add({})
        .Set(static_cast<double>(*d.journal_pending));
  if (d.last_event_seconds)
    gauge("floortrack_last_event_timestamp_seconds",
          "Unix time the last event was stored (absent until one is).")
        .Add({})
        .Set(*d.last_event_seconds);

  std::vector<double> increments(d.commit_buckets.begin(), d.commit_buckets.end());
  prometheus::BuildHistogram()
      .Name("floortrack_commit_seconds")
      .Help(
          "Time ingest took per message that was stored or a duplicate: with the ingest "
          "journal from its receipt to the commit of its batch, without from decode to its "
          "SQLite commit.")
      .Register(registry)
      .Add({}, prometheus::Histogram::BucketBoundaries(DaemonMetrics::kCommitBounds.begin(),
                                                       DaemonMetrics::kCommitBounds.end()))
      .ObserveMultiple(increments, d.commit_sum_seconds);

  if (kpis.all_time)
    gauge("floortrack_orders_open", "Orders confirmed, not yet shipped and not cancelled.")
        .Add({})
        .Set(static_cast<double>(kpis.all_time->open));
  if (kpis.all_time || kpis.last_30d) {
    auto& turnaround = gauge("floortrack_turnaround_seconds",
                             "Production turnaround (first shipped - first confirmed), "
                             "nearest-rank quantile over orders shipped in the window.");
    auto& kpi = gauge("floortrack_kpi",
                      "The KPIs of `floortrack kpi` over the window (percentages, and aov in "
                      "the KPI currency); a KPI without data is absent.");
    if (kpis.all_time) AddKpis(kpi, turnaround, *kpis.all_time, "all_time");
    if (kpis.last_30d) AddKpis(kpi, turnaround, *kpis.last_30d, "30d");
    auto& inside = gauge("floortrack_kpi_target_inside",
                         "1 when the KPI is inside its [targets] band over the window, 0 "
                         "outside (turnaround_hours judged on its median); absent without data.");
    auto& material_inside = gauge("floortrack_material_target_inside",
                                  "1 when the material type is inside its [targets] band over "
                                  "the window (metals by loss_pct, others by yield_pct), 0 "
                                  "outside; absent without data.");
    if (kpis.all_time) AddTargets(inside, material_inside, *kpis.all_time, "all_time");
    if (kpis.last_30d) AddTargets(inside, material_inside, *kpis.last_30d, "30d");
  }
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

}  // namespace floortrack
