#include "tools/cli_output.h"

#include <cstdio>
#include <set>
#include <sstream>

#include "core/corrections.h"

namespace floortrack::cli {
namespace {

using nlohmann::json;

json OptionalNumber(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }
json OptionalTime(const std::optional<TimePoint>& t) {
  return t ? json(FormatRfc3339(*t)) : json(nullptr);
}

double Hours(Millis d) { return static_cast<double>(d.count()) / 3'600'000.0; }

std::string Fixed(const std::optional<double>& v, const char* unit = "") {
  if (!v) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f%s", *v, unit);
  return buf;
}

std::string TimeOrDash(const std::optional<TimePoint>& t) { return t ? FormatRfc3339(*t) : "-"; }

// Turnaround for shipped orders; age since confirmation (or first activity) for open ones.
std::pair<const char*, double> Duration(const OrderSummary& o, TimePoint now) {
  if (o.shipped_at && o.confirmed_at)
    return {"turnaround_hours", Hours(*o.shipped_at - *o.confirmed_at)};
  TimePoint from = o.confirmed_at.value_or(o.current_stage_at);
  return {"age_hours", Hours(now - from)};
}

const char* TimeSourceName(TimeSource s) {
  switch (s) {
    case TimeSource::kDevice:
      return "device";
    case TimeSource::kReceivedNoTs:
      return "received";
    case TimeSource::kReceivedFuture:
      return "received (device ts in the future)";
    case TimeSource::kReceivedBeforeEarliest:
      return "received (device ts before earliest_ts)";
    case TimeSource::kReceivedTooOld:
      return "received (device ts too old)";
  }
  return "";
}

// What is wrong with a flagged event's device ts, for the human timeline.
const char* FlagText(TimeSource s) {
  switch (s) {
    case TimeSource::kReceivedFuture:
      return "in the future";
    case TimeSource::kReceivedBeforeEarliest:
      return "before earliest_ts";
    case TimeSource::kReceivedTooOld:
      return "too old";
    case TimeSource::kDevice:
    case TimeSource::kReceivedNoTs:
      break;
  }
  return "";
}

json MoneyJson(const MoneyKpis& m) {
  return json{{"aov", OptionalNumber(m.aov)},
              {"material_cost_pct", OptionalNumber(m.material_cost_pct)},
              {"orders", m.orders}};
}

json TargetJson(const TargetResult& t) {
  return json{{"min", OptionalNumber(t.band.min)},
              {"max", OptionalNumber(t.band.max)},
              {"value", OptionalNumber(t.value)},
              {"status", TargetStatusName(t.status)}};
}

json TargetsJson(const TargetReport& targets) {
  json j = json::object();
  for (const auto& [kpi, t] : targets.kpis) j[kpi] = TargetJson(t);
  json materials = json::object();
  for (const auto& [type, m] : targets.materials) {
    json one = TargetJson(m.result);
    one["kpi"] = m.kpi;
    materials[type] = std::move(one);
  }
  j["materials"] = std::move(materials);
  return j;
}

std::string BandText(const KpiBand& band) {
  if (band.min && band.max) return Fixed(band.min) + " .. " + Fixed(band.max);
  if (band.min) return ">= " + Fixed(band.min);
  if (band.max) return "<= " + Fixed(band.max);
  return "any";
}

void TargetLine(std::ostream& out, const std::string& name, const TargetResult& t) {
  std::string padded = "  " + name;
  if (padded.size() < 34) padded.resize(34, ' ');
  std::string band = BandText(t.band);
  if (band.size() < 18) band.resize(18, ' ');
  std::string value = Fixed(t.value);
  if (value.size() < 6) value.insert(0, 6 - value.size(), ' ');
  out << padded << " " << band << " " << value << "  " << TargetStatusName(t.status) << "\n";
}

}  // namespace

json KpiJson(const KpiReport& r) {
  const TurnaroundStats& t = r.turnaround;
  json j{
      {"window",
       {{"since", OptionalTime(r.window.since)}, {"until", OptionalTime(r.window.until)}}},
      {"orders", {{"confirmed", r.confirmed}, {"shipped", r.shipped}, {"open", r.open}}},
      {"turnaround_hours",
       {{"count", t.count},
        {"mean", OptionalNumber(t.mean)},
        {"p50", OptionalNumber(t.p50)},
        {"p90", OptionalNumber(t.p90)},
        {"p95", OptionalNumber(t.p95)},
        {"max", OptionalNumber(t.max)}}},
      {"material_yield_pct", OptionalNumber(r.material_yield_pct)},
      {"material_cost_pct", OptionalNumber(r.material_cost_pct)},
      {"order_accuracy_pct", OptionalNumber(r.order_accuracy_pct)},
      {"first_pass_yield_pct", OptionalNumber(r.first_pass_yield_pct)},
      {"aov", OptionalNumber(r.aov)},
      {"personalization_pct", OptionalNumber(r.personalization_pct)},
      {"repeat_customer_pct", OptionalNumber(r.repeat_customer_pct)},
      {"on_time_pct", OptionalNumber(r.on_time_pct)},
      {"orders_with_promise", r.with_promise},
      {"orders_excluded_currency", r.orders_excluded_currency},
  };
  j["material_loss_pct"] = OptionalNumber(r.material_loss_pct);
  j["retention_pct"] = OptionalNumber(r.retention_pct);
  j["retention"] = {{"customers_at_start", r.retention.at_start},
                    {"returning", r.retention.returning}};
  j["labor_pieces_per_hour"] = OptionalNumber(r.labor_pieces_per_hour);
  json operators = json::object();
  for (const auto& [name, l] : r.labor.by_operator)
    operators[name] = {{"pieces", l.pieces},
                       {"staff_hours", l.staff_hours},
                       {"pieces_per_hour", OptionalNumber(l.pieces_per_hour)}};
  j["labor"] = {{"pieces", r.labor.pieces},
                {"staff_hours", r.labor.staff_hours},
                {"by_operator", std::move(operators)}};
  j["design_conversion_pct"] = OptionalNumber(r.design_conversion_pct);
  j["designs_submitted"] = r.designs_submitted;
  j["csi"] = OptionalNumber(r.csi);
  j["csi_responses"] = r.csi_responses;
  j["engagement_pct"] = OptionalNumber(r.engagement_pct);
  j["production_hours"] = OptionalNumber(r.production_hours);
  j["production_orders"] = r.production_orders;
  json materials = json::object();
  for (const auto& [type, m] : r.materials) {
    materials[type] = {{"used_g", m.sums.used_g},
                       {"scrap_g", m.sums.scrap_g},
                       {"recovered_g", m.sums.recovered_g},
                       {"yield_pct", OptionalNumber(m.yield_pct)},
                       {"loss_pct", OptionalNumber(m.loss_pct)},
                       {"cost", m.sums.cost}};
  }
  j["materials"] = std::move(materials);
  if (!r.money_by_currency.empty()) {
    json by = json::object();
    for (const auto& [code, money] : r.money_by_currency) by[code] = MoneyJson(money);
    j["money_by_currency"] = std::move(by);
  }
  j["targets"] = TargetsJson(r.targets);
  return j;
}

Result<KpiReport> KpiReportOf(OrderHistory& history, const Rules& rules, const Window& window,
                              bool with_activity) {
  // Shifts still open end now.
  const TimePoint now = std::chrono::floor<Millis>(std::chrono::system_clock::now());
  if (!window.since) {
    // All time (up to until): the store's per-day rollups when it keeps them for these rules.
    auto rolled = history.KpisFromRollups(rules, window.until, now);
    if (!rolled) return rolled.error();
    if (RollupKpiInputs* in = rolled.value() ? &*rolled.value() : nullptr) {
      return ReportFromSums(in->sums, rules, window, in->material,
                            with_activity ? in->activity : ActivityTotals{});
    }
  }
  KpiAccumulator kpis(rules, window);
  auto visited =
      history.VisitOrdersForKpi(window, [&](const OrderSummary& order) { kpis.Add(order); });
  if (!visited) return visited.error();
  auto material = history.MaterialInWindow(window);
  if (!material) return material.error();
  if (!with_activity) return kpis.Finish(material.value());
  auto activity = history.ActivityInWindow(window, now);
  if (!activity) return activity.error();
  return kpis.Finish(material.value(), activity.value());
}

Result<json> KpiReportJson(OrderHistory& history, const Rules& rules, const Window& window) {
  auto report = KpiReportOf(history, rules, window);
  if (!report) return report.error();
  return KpiJson(report.value());
}

std::string KpiTable(const KpiReport& r) {
  std::ostringstream out;
  const TurnaroundStats& t = r.turnaround;
  out << "window               " << TimeOrDash(r.window.since) << " .. "
      << TimeOrDash(r.window.until) << "\n"
      << "orders confirmed     " << r.confirmed << "\n"
      << "orders shipped       " << r.shipped << "\n"
      << "orders open          " << r.open << "\n"
      << "turnaround (hours)   n=" << t.count << "  mean " << Fixed(t.mean) << "  p50 "
      << Fixed(t.p50) << "  p90 " << Fixed(t.p90) << "  p95 " << Fixed(t.p95) << "  max "
      << Fixed(t.max) << "\n"
      << "material yield       " << Fixed(r.material_yield_pct, " %") << "\n"
      << "material loss        " << Fixed(r.material_loss_pct, " % (scrap not recovered)") << "\n"
      << "material cost        " << Fixed(r.material_cost_pct, " % of revenue") << "\n"
      << "order accuracy       " << Fixed(r.order_accuracy_pct, " %") << "\n"
      << "first-pass yield     " << Fixed(r.first_pass_yield_pct, " %") << "\n"
      << "average order value  " << Fixed(r.aov) << "\n"
      << "personalized         " << Fixed(r.personalization_pct, " %") << "\n"
      << "repeat customers     " << Fixed(r.repeat_customer_pct, " %") << "\n"
      << "on time              " << Fixed(r.on_time_pct, " %") << " of " << r.with_promise
      << " shipped with a promise\n"
      << "retention            " << Fixed(r.retention_pct, " %") << " of "
      << r.retention.at_start << " customers at the start\n"
      << "design conversion    " << Fixed(r.design_conversion_pct, " %") << " of "
      << r.designs_submitted << " designs submitted\n"
      << "satisfaction (csi)   " << Fixed(r.csi) << " from " << r.csi_responses << " responses\n"
      << "engagement           " << Fixed(r.engagement_pct, " %") << " of shipped orders\n"
      << "production hours     " << Fixed(r.production_hours, " h per piece") << " over "
      << r.production_orders << " orders packed\n"
      << "labor                " << Fixed(r.labor_pieces_per_hour, " pieces per staff-hour")
      << " (" << Fixed(r.labor.pieces) << " pieces, " << Fixed(r.labor.staff_hours)
      << " staff-hours)\n";
  for (const auto& [name, l] : r.labor.by_operator)
    out << "  " << name << "  " << Fixed(l.pieces_per_hour, " pieces/h") << " (" << Fixed(l.pieces)
        << " pieces, " << Fixed(l.staff_hours) << " h)\n";
  if (!r.money_by_currency.empty()) {
    out << "several currencies: average order value and material cost per currency\n";
    for (const auto& [code, m] : r.money_by_currency)
      out << "  " << code << "  orders " << m.orders << "  average order value " << Fixed(m.aov)
          << "  material cost " << Fixed(m.material_cost_pct, " % of revenue") << "\n";
  }
  if (r.orders_excluded_currency > 0) {
    out << "excluded (currency)  " << r.orders_excluded_currency << " orders "
        << (r.currency.empty() ? std::string("without a currency")
                               : "not in " + r.currency + " ([kpi] currency)")
        << "\n";
  }
  std::string heading = "targets (turnaround: p50)";
  heading.resize(34, ' ');
  out << heading << " band                value  status\n";
  for (const auto& [kpi, t] : r.targets.kpis) TargetLine(out, kpi, t);
  for (const auto& [type, m] : r.targets.materials) TargetLine(out, type + " " + m.kpi, m.result);
  return out.str();
}

json StatusJson(const OrderSummary& o, const std::vector<StageEvent>& timeline, TimePoint now,
                const std::vector<std::string>& batches) {
  const std::set<std::string> voided = VoidedKeys(timeline);
  json events = json::array();
  for (const StageEvent& e : timeline) {
    json j{{"stage", e.stage},
           {"stage_time", FormatRfc3339(e.stage_time)},
           {"received_at", FormatRfc3339(e.received_at)},
           {"time_source", TimeSourceName(e.time_source)},
           {"station", e.station},
           {"result", ToString(e.result)}};
    if (!e.defect.empty()) j["defect"] = e.defect;
    if (!e.reason.empty()) j["reason"] = e.reason;
    if (IsFlagged(e.time_source)) {
      j["ts_flag"] = TsFlag(e.time_source);
      j["device_ts"] = OptionalTime(e.device_ts);
    }
    if (e.material)
      j["material"] = {{"type", e.material->type},
                       {"used_g", e.material->used_g},
                       {"scrap_g", e.material->scrap_g},
                       {"recovered_g", e.material->recovered_g}};
    if (!e.batch_id.empty()) j["batch_id"] = e.batch_id;
    if (!e.voids.empty()) j["voids"] = e.voids;
    if (IsVoided(e, voided)) j["voided"] = true;
    events.push_back(std::move(j));
  }
  auto [label, hours] = Duration(o, now);
  return json{{"order_id", o.order_id},
              {"current_stage", o.current_stage},
              {"confirmed", o.confirmed_at.has_value()},
              {"confirmed_at", OptionalTime(o.confirmed_at)},
              {"shipped_at", OptionalTime(o.shipped_at)},
              {label, hours},
              {"value", OptionalNumber(o.value)},
              {"promised_at", OptionalTime(o.promised_at)},
              {"cancelled_at", OptionalTime(o.cancelled_at)},
              {"on_hold", o.on_hold},
              {"batches", batches},
              {"timeline", std::move(events)}};
}

std::string StatusTable(const OrderSummary& o, const std::vector<StageEvent>& timeline,
                        TimePoint now, const std::vector<std::string>& batches) {
  std::ostringstream out;
  auto [label, hours] = Duration(o, now);
  out << "order " << o.order_id << (o.confirmed_at ? "" : " (unconfirmed)") << "\n"
      << "current stage: " << o.current_stage << "\n"
      << (o.shipped_at ? "turnaround: " : "age: ") << Fixed(hours, " h") << "\n";
  if (o.promised_at) out << "promised: " << FormatRfc3339(*o.promised_at) << "\n";
  if (o.cancelled_at) out << "cancelled: " << FormatRfc3339(*o.cancelled_at) << "\n";
  if (o.on_hold) out << "on hold\n";
  if (o.void_events > 0) out << "void events: " << o.void_events << "\n";
  if (!batches.empty()) {
    out << "batches:";
    for (const std::string& b : batches) out << " " << b;
    out << "\n";
  }
  out << "\n";
  char line[512];
  std::snprintf(line, sizeof line, "%-14s %-24s %-24s %-16s %s\n", "STAGE", "STAGE TIME",
                "RECEIVED", "STATION", "RESULT");
  out << line;
  const std::set<std::string> voided = VoidedKeys(timeline);
  for (const StageEvent& e : timeline) {
    std::string result = ToString(e.result);
    if (!e.voids.empty()) result += "voids " + e.voids;
    if (IsVoided(e, voided)) result += result.empty() ? "[voided]" : " [voided]";
    if (!e.defect.empty()) result += " (" + e.defect + ")";
    if (!e.reason.empty()) result += " reason: " + e.reason;
    if (IsFlagged(e.time_source)) {
      if (!result.empty()) result += " ";
      result += std::string("[flagged: device ts ") +
                (e.device_ts ? FormatRfc3339(*e.device_ts) : "?") + " " + FlagText(e.time_source) +
                "]";
    }
    // The last column unbounded: defect, reason and flag can be long.
    std::snprintf(line, sizeof line, "%-14s %-24s %-24s %-16s ", e.stage.c_str(),
                  FormatRfc3339(e.stage_time).c_str(), FormatRfc3339(e.received_at).c_str(),
                  e.station.empty() ? "-" : e.station.c_str());
    out << line << (result.empty() ? "-" : result) << "\n";
  }
  return out.str();
}

json BatchJson(const BatchView& b) {
  json members = json::array();
  for (const BatchMemberView& m : b.members)
    members.push_back({{"order_id", m.order_id},
                       {"weight_g", OptionalNumber(m.weight_g)},
                       {"current_stage", m.current_stage}});
  json events = json::array();
  for (const BatchEventView& e : b.events) {
    json j{{"stage", e.stage},
           {"stage_time", FormatRfc3339(e.stage_time)},
           {"station", e.station},
           {"result", ToString(e.result)},
           {"orders", e.orders}};
    if (e.material)
      j["material"] = {{"type", e.material->type},
                       {"used_g", e.material->used_g},
                       {"scrap_g", e.material->scrap_g},
                       {"recovered_g", e.material->recovered_g}};
    events.push_back(std::move(j));
  }
  return json{
      {"batch_id", b.batch_id}, {"orders", std::move(members)}, {"events", std::move(events)}};
}

std::string BatchTable(const BatchView& b) {
  std::ostringstream out;
  out << "batch " << b.batch_id << ": " << b.members.size() << " orders\n\n";
  char line[512];
  std::snprintf(line, sizeof line, "%-20s %10s  %s\n", "ORDER", "WEIGHT G", "CURRENT STAGE");
  out << line;
  for (const BatchMemberView& m : b.members) {
    std::snprintf(line, sizeof line, "%-20s %10s  %s\n", m.order_id.c_str(),
                  m.weight_g ? Fixed(m.weight_g, "").c_str() : "-",
                  m.current_stage.empty() ? "-" : m.current_stage.c_str());
    out << line;
  }
  out << "\n";
  std::snprintf(line, sizeof line, "%-14s %-24s %-16s %-6s %s\n", "STAGE", "STAGE TIME", "STATION",
                "RESULT", "MATERIAL (used / scrap / recovered g)");
  out << line;
  for (const BatchEventView& e : b.events) {
    std::string material = "-";
    if (e.material) {
      char m[160];
      std::snprintf(m, sizeof m, "%s %.2f / %.2f / %.2f", e.material->type.c_str(),
                    e.material->used_g, e.material->scrap_g, e.material->recovered_g);
      material = m;
    }
    std::snprintf(line, sizeof line, "%-14s %-24s %-16s %-6s ", e.stage.c_str(),
                  FormatRfc3339(e.stage_time).c_str(), e.station.empty() ? "-" : e.station.c_str(),
                  ToString(e.result)[0] ? ToString(e.result) : "-");
    out << line << material << "\n";
  }
  return out.str();
}

json OrdersJson(const std::vector<OrderSummary>& orders, TimePoint now) {
  json list = json::array();
  for (const OrderSummary& o : orders) {
    auto [label, hours] = Duration(o, now);
    list.push_back({{"order_id", o.order_id},
                    {"current_stage", o.current_stage},
                    {"last_activity", FormatRfc3339(o.current_stage_at)},
                    {"confirmed_at", OptionalTime(o.confirmed_at)},
                    {"shipped_at", OptionalTime(o.shipped_at)},
                    {label, hours}});
  }
  return list;
}

std::string OrdersTable(const std::vector<OrderSummary>& orders, TimePoint now) {
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof line, "%-24s %-12s %-24s %s\n", "ORDER", "STAGE", "LAST ACTIVITY",
                "AGE/TURNAROUND");
  out << line;
  for (const OrderSummary& o : orders) {
    auto [label, hours] = Duration(o, now);
    std::string duration = Fixed(hours, " h") + (o.shipped_at ? " turnaround" : " open");
    if (!o.confirmed_at) duration += " (unconfirmed)";
    std::snprintf(line, sizeof line, "%-24s %-12s %-24s %s\n", o.order_id.c_str(),
                  o.current_stage.c_str(), FormatRfc3339(o.current_stage_at).c_str(),
                  duration.c_str());
    out << line;
  }
  out << orders.size() << " orders\n";
  return out.str();
}

json RejectsJson(const std::vector<Reject>& rejects, std::uint64_t total) {
  json list = json::array();
  for (const Reject& r : rejects) {
    list.push_back({{"received_at", FormatRfc3339(r.received_at)},
                    {"topic", r.topic},
                    {"reason", r.reason},
                    {"payload_size", r.payload_size},
                    // Raw bytes may be invalid UTF-8: replace rather than fail.
                    {"payload", r.raw_payload}});
  }
  return json{{"total", total}, {"rejects", std::move(list)}};
}

std::string RejectsTable(const std::vector<Reject>& rejects, std::uint64_t total) {
  std::ostringstream out;
  for (const Reject& r : rejects) {
    out << FormatRfc3339(r.received_at) << "  " << r.topic << "  " << r.reason << "  ("
        << r.payload_size << " bytes)\n";
  }
  out << rejects.size() << " shown, " << total << " rejected in all\n";
  return out.str();
}

}  // namespace floortrack::cli
