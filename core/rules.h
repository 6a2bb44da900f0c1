// Rules: the part of the configuration that defines the shop's domain.
//
// Stage names in process order, material prices, which return reasons count
// against order accuracy, the currency of the money KPIs, which device
// timestamps are trusted, and the input limits. A plain value: copied into
// whoever needs it; replacing it (config reload) means handing out a new copy.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/device_format.h"
#include "core/extra_kinds.h"
#include "core/kpi_targets.h"
#include "core/shop_time.h"
#include "core/time.h"

namespace floortrack {

struct Limits {
  std::size_t max_payload_bytes = 64 * 1024;
  std::size_t max_string_bytes = 256;           // any one string field
  std::size_t max_event_id_bytes = 128;         // event_id
  std::size_t max_order_id_bytes = 64;          // order_id
  std::size_t max_depth = 8;                    // JSON nesting depth
  std::size_t max_fields = 64;                  // members + elements in one payload
  std::size_t max_reject_payload_bytes = 4096;  // raw bytes kept per reject
  // Plausibility bounds that keep sums finite: no workshop pours 100 kg into
  // one piece or books a billion on one order.
  double max_material_g = 100000;
  double max_order_value = 1e9;
  // Orders one batch event may list: a casting tree holds a hundred pieces
  // or more. The `orders` array does not count against max_fields.
  std::size_t max_batch_orders = 500;
};

struct Rules {
  // Stage names in process order. "confirmed" and "shipped" (and "returned")
  // carry meaning for the KPIs; the rest only order the timeline.
  std::vector<std::string> stages = {"confirmed", "print_started", "printed", "cast",
                                     "polished",  "stone_set",     "qc",      "packed",
                                     "shipped",   "returned"};
  // Price per gram by material type, applied when an event is ingested.
  std::map<std::string, double> material_cost_per_g;
  // Return reasons that mean the order did not arrive as designed.
  std::set<std::string> accuracy_failure_reasons = {"not_as_designed", "wrong_item", "wrong_size",
                                                    "wrong_engraving", "defective"};
  // The currency of the money KPIs (aov, material_cost_pct), e.g. "EUR":
  // orders in another currency are left out, orders without one count as it.
  // Empty: whatever single currency the orders use; with several, the money
  // KPIs are given per currency (docs/kpi.md).
  std::string kpi_currency;
  // [kpi] default_promise_days: an order confirmed without a promised_at is
  // promised confirmed_at + this many days (on_time_pct, late, at risk);
  // 0 = no default (such orders carry no promise). 0 to 365.
  int default_promise_days = 0;
  // extra_kinds: event kinds accepted besides the stages, never production
  // stages (core/extra_kinds.h).
  std::vector<std::string> extra_kinds = DefaultExtraKinds();
  // [kpi] design_submitted_stage: the stage whose first event submits an
  // order's design (design_conversion_pct); a stage or an extra kind.
  std::string design_submitted_stage = "confirmed";
  // [kpi] csi_scale: the range of a feedback event's `score`.
  double csi_min = 1;
  double csi_max = 10;
  // [kpi] max_shift_hours: a shift without its end (or whose end came more
  // than this after its start) counts this many hours at most.
  int max_shift_hours = 12;

  // Device timestamps that cannot be right are not trusted: the receive time
  // is used instead, the device's ts is kept and the event is flagged. A ts
  // before 2000-01-01 is rejected outright (epoch seconds sent by mistake).
  // Further ahead of the receive time than this: flagged "future".
  Millis max_future_skew = std::chrono::minutes(5);
  // Earlier than this (2020-01-01T00:00:00Z): flagged "before_earliest" (a
  // clock reset to its factory date, typically 2000-01-01).
  TimePoint earliest_ts = FromEpochMs(1'577'836'800'000);
  // Further behind the receive time than this (2 years): flagged "too_old".
  // Generous on purpose: a shop backfilling a year of history, or a device
  // offline for months, must still get its own times.
  Millis max_past_skew = std::chrono::seconds(2 * 31'536'000);
  Limits limits;
  // [[source]]: topic filters mapped to device formats, first match wins;
  // a topic no source names carries canonical events.
  std::vector<Source> sources;
  // [material_density_g_per_ml]: converts a device's reported volume (or
  // filament length) to grams.
  std::map<std::string, double> material_density_g_per_ml;
  // [targets]: the band each KPI should be in (core/kpi_targets.h).
  KpiTargets targets;
  // [shop]: the IANA name of the shop's time zone ("UTC" when none is
  // configured), and its working days and hours in local time.
  std::string shop_timezone = "UTC";
  WorkingHours working_hours = DefaultWorkingHours();

  // Whether `kind` is declared in extra_kinds.
  bool IsExtraKind(const std::string& kind) const {
    for (const std::string& k : extra_kinds)
      if (k == kind) return true;
    return false;
  }
  // The KPI role of `kind` if declared in extra_kinds, else kNone.
  KindRole ExtraRole(const std::string& kind) const {
    return IsExtraKind(kind) ? RoleOfKind(kind) : KindRole::kNone;
  }

  // Position of `stage` in `stages`, or -1 when unknown.
  int StageIndex(const std::string& stage) const {
    for (std::size_t i = 0; i < stages.size(); ++i)
      if (stages[i] == stage) return static_cast<int>(i);
    return -1;
  }
};

inline constexpr const char* kStageConfirmed = "confirmed";
inline constexpr const char* kStageShipped = "shipped";
inline constexpr const char* kStageReturned = "returned";
// production_hours ends at an order's first "packed" (docs/kpi.md).
inline constexpr const char* kStagePacked = "packed";

}  // namespace floortrack
