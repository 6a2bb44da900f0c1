#include "core/kpi_rollup.h"

#include <algorithm>

#include "core/due_dates.h"
#include "core/kpi.h"
#include "core/summary_rule.h"

namespace floortrack {
namespace {

constexpr int kRollupLogicVersion = 1;

std::int64_t Ms(TimePoint t) { return ToEpochMs(t); }

// The entries of one order, gathered by anchor.
class Entries {
 public:
  explicit Entries(std::string currency) : currency_(std::move(currency)) {}
  KpiEntry& At(TimePoint anchor) {
    for (KpiEntry& e : out_)
      if (e.anchor_ms == Ms(anchor) && e.turnaround_sign == 0) return e;
    KpiEntry& e = out_.emplace_back();
    e.anchor_ms = Ms(anchor);
    e.currency = currency_;
    return e;
  }
  void Turnaround(TimePoint anchor, int sign, std::int64_t ms) {
    KpiEntry& e = out_.emplace_back();
    e.anchor_ms = Ms(anchor);
    e.currency = currency_;
    e.turnaround_sign = sign;
    e.turnaround_ms = ms;
  }
  std::vector<KpiEntry> Take() { return std::move(out_); }

 private:
  std::string currency_;
  std::vector<KpiEntry> out_;
};

}  // namespace

// Each figure of KpiAccumulator::Add for Window{nullopt, until}, written as
// "counts from anchor A on" (A < until). Where Add asks two things of one
// order (shipped before until and not cancelled before it), the entry at
// the first adds and one at the later of the two times takes back: both
// hold exactly when the later one is before until.
std::vector<KpiEntry> RollupEntries(const OrderSummary& o, const Rules& rules) {
  Entries entries(UpperAscii(o.currency));
  const auto& confirmed = o.confirmed_at;
  const auto& shipped = o.shipped_at;
  const auto& cancelled = o.cancelled_at;

  if (confirmed) {
    KpiEntry& at = entries.At(*confirmed);
    ++at.counts.confirmed;
    if (o.personalized.value_or(false)) ++at.counts.personalized;
    ++at.counts.open;
    if (o.value) {
      ++at.money.orders;
      at.money.value_micros += ToMicros(*o.value);
      ++at.money.value_count;
    }
    // Open until the first of shipment and cancellation.
    if (shipped || cancelled) {
      const TimePoint closed = shipped && cancelled ? std::min(*shipped, *cancelled)
                                                    : shipped ? *shipped : *cancelled;
      --entries.At(std::max(*confirmed, closed)).counts.open;
    }
    // Confirmed (with a value) and shipped: one order taking part, not two.
    if (o.value && shipped) --entries.At(std::max(*confirmed, *shipped)).money.orders;
  }

  if (shipped) {
    KpiEntry& at = entries.At(*shipped);
    ++at.counts.shipped;
    if (!Inaccurate(o, rules)) ++at.counts.accurate;
    if (!o.failed_before_ship) ++at.counts.first_pass;
    if (o.engaged) ++at.counts.engaged;
    ++at.money.orders;
    at.money.shipped_cost_micros += ToMicros(o.material_cost);
    at.money.shipped_revenue_micros += ToMicros(o.value.value_or(0));
    const auto promise = EffectivePromise(o, rules.default_promise_days);
    const bool on_time = promise && *shipped <= *promise;
    if (promise) {
      ++at.counts.with_promise;
      if (on_time) ++at.counts.on_time;
    }
    std::optional<std::int64_t> turnaround;
    if (confirmed) turnaround = (*shipped - *confirmed).count();
    if (turnaround) entries.Turnaround(*shipped, +1, *turnaround);
    // Cancelled orders count in no turnaround and no on_time_pct.
    if (cancelled) {
      const TimePoint both = std::max(*shipped, *cancelled);
      if (promise) {
        KpiEntry& back = entries.At(both);
        --back.counts.with_promise;
        if (on_time) --back.counts.on_time;
      }
      if (turnaround) entries.Turnaround(both, -1, *turnaround);
    }
  }

  if (o.submitted_at) {
    KpiEntry& at = entries.At(*o.submitted_at);
    ++at.counts.designs_submitted;
    if (shipped && !cancelled && !Inaccurate(o, rules)) ++at.counts.designs_converted;
  }

  if (o.packed_at && confirmed) {
    KpiCounts production;
    production.production_orders = 1;
    production.production_ms = std::max<std::int64_t>(0, (*o.packed_at - *confirmed).count());
    production.production_items = o.items.value_or(1);
    entries.At(*o.packed_at).counts += production;
    if (cancelled) entries.At(std::max(*o.packed_at, *cancelled)).counts -= production;
  }
  return entries.Take();
}

std::string RollupVersion(const Rules& rules) {
  std::string version = "rollup " + std::to_string(kRollupLogicVersion) + "; " +
                        SummaryVersion(rules) + "; promise days " +
                        std::to_string(rules.default_promise_days) + "; accuracy ";
  for (const std::string& reason : rules.accuracy_failure_reasons)
    version += std::to_string(reason.size()) + ":" + reason;
  return version;
}

void AddEntry(const KpiEntry& entry, KpiSums& sums, std::vector<std::int64_t>& removed) {
  sums.counts += entry.counts;
  if (!entry.money.IsZero()) sums.money[entry.currency] += entry.money;
  if (entry.turnaround_sign > 0) sums.turnaround_ms.push_back(entry.turnaround_ms);
  if (entry.turnaround_sign < 0) removed.push_back(entry.turnaround_ms);
}

void RemoveValues(std::vector<std::int64_t>& values, std::vector<std::int64_t> removed) {
  if (removed.empty()) return;
  std::sort(removed.begin(), removed.end());
  std::vector<bool> used(removed.size(), false);
  auto keep = values.begin();
  for (auto it = values.begin(); it != values.end(); ++it) {
    // The first unused occurrence of *it among the removed values, if any.
    auto [lo, hi] = std::equal_range(removed.begin(), removed.end(), *it);
    bool drop = false;
    for (auto r = lo; r != hi && !drop; ++r) {
      const auto i = static_cast<std::size_t>(r - removed.begin());
      if (!used[i]) used[i] = drop = true;
    }
    if (!drop) *keep++ = *it;
  }
  values.erase(keep, values.end());
}

}  // namespace floortrack
