#include "tools/export.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "core/flow.h"
#include "tools/csv_writer.h"

namespace floortrack::cli {
namespace {

std::string Bool(const std::optional<bool>& b) { return b ? (*b ? "true" : "false") : ""; }

std::string JoinReasons(const std::vector<std::string>& reasons) {
  std::string out;
  for (std::size_t i = 0; i < reasons.size(); ++i) out += (i ? ";" : "") + reasons[i];
  return out;
}

std::vector<std::string> OrderRow(const OrderSummary& o) {
  return {o.order_id,
          CsvTime(o.confirmed_at),
          CsvTime(o.shipped_at),
          o.current_stage,
          CsvTime(o.current_stage_at),
          std::to_string(o.event_count),
          CsvNumber(o.value),
          o.currency,
          o.customer_id,
          o.product,
          Bool(o.personalized),
          CsvNumber(o.material_used_g),
          CsvNumber(o.material_scrap_g),
          CsvNumber(o.material_cost),
          o.failed_before_ship ? "true" : "false",
          JoinReasons(o.return_reasons)};
}

std::vector<std::string> EventRow(const StageEvent& e) {
  const bool m = e.material.has_value();
  return {e.event_key,
          e.order_id,
          e.stage,
          FormatRfc3339(e.stage_time),
          FormatRfc3339(e.received_at),
          CsvTime(e.device_ts),
          TsFlag(e.time_source),
          e.station,
          e.operator_name,
          ToString(e.result),
          e.defect,
          e.reason,
          m ? e.material->type : "",
          m ? CsvNumber(e.material->used_g) : "",
          m ? CsvNumber(e.material->scrap_g) : "",
          m ? CsvNumber(e.material->recovered_g) : "",
          CsvNumber(e.material_cost),
          CsvNumber(e.value),
          e.currency,
          e.customer_id,
          e.product,
          Bool(e.personalized),
          CsvTime(e.promised_at),
          e.batch_id,
          e.topic,
          e.items ? std::to_string(*e.items) : "",
          CsvNumber(e.score)};
}

Error WriteFailed(const std::string& where) {
  return MakeError(ErrorKind::kIo, "writing " + where + ": " + std::strerror(errno));
}

}  // namespace

std::optional<ExportKind> ExportKindFromName(std::string_view name) {
  if (name == "orders") return ExportKind::kOrders;
  if (name == "events") return ExportKind::kEvents;
  if (name == "flow") return ExportKind::kFlow;
  return std::nullopt;
}

const std::vector<std::string>& ExportHeader(ExportKind kind) {
  static const std::vector<std::string> orders = {
      "order_id",      "confirmed_at",    "shipped_at",       "current_stage", "current_stage_at",
      "event_count",   "value",           "currency",         "customer_id",   "product",
      "personalized",  "material_used_g", "material_scrap_g", "material_cost", "failed_before_ship",
      "return_reasons"};
  static const std::vector<std::string> events = {
      "event_key",   "order_id",      "stage",         "stage_time", "received_at",
      "device_ts",   "ts_flag",       "station",       "operator",   "result",
      "defect",      "reason",        "material_type", "used_g",     "scrap_g",
      "recovered_g", "material_cost", "value",         "currency",   "customer_id",
      "product",     "personalized",  "promised_at",   "batch_id",   "topic",
      "items",       "score"};
  static const std::vector<std::string> flow = {"order_id",   "stage",   "station",
                                                "entered_at", "left_at", "hours"};
  switch (kind) {
    case ExportKind::kOrders:
      return orders;
    case ExportKind::kEvents:
      return events;
    case ExportKind::kFlow:
      break;
  }
  return flow;
}

Status ExportCsv(OrderHistory& history, const Rules& rules, ExportKind kind, const Window& window,
                 TimePoint now, std::ostream& out) {
  CsvWriter csv(out);
  csv.Row(ExportHeader(kind));
  Status visited = Ok{};
  switch (kind) {
    case ExportKind::kOrders:
      visited = history.VisitOrders(window, [&](const OrderSummary& o) { csv.Row(OrderRow(o)); });
      break;
    case ExportKind::kEvents:
      visited = history.VisitEvents(window, [&](const StageEvent& e) { csv.Row(EventRow(e)); });
      break;
    case ExportKind::kFlow: {
      const TimePoint as_of = FlowAsOf(window, now);
      visited = history.VisitTimelinesForFlow(window, [&](const std::vector<StageEvent>& t) {
        for (const Dwell& d : FlowOfOrder(t, rules, as_of).dwells) {
          if (!window.Contains(d.left_at)) continue;
          csv.Row({t.front().order_id, d.stage, d.station, FormatRfc3339(d.entered_at),
                   FormatRfc3339(d.left_at), CsvNumber(d.hours)});
        }
      });
      break;
    }
  }
  if (!visited) return visited.error();
  out.flush();
  if (!csv.ok()) return WriteFailed("the export");
  return Ok{};
}

Status ExportCsvToFile(OrderHistory& history, const Rules& rules, ExportKind kind,
                       const Window& window, TimePoint now, const std::string& path) {
  std::string tmp = path + ".tmp-XXXXXX";
  const int fd = mkstemp(tmp.data());
  if (fd < 0) return WriteFailed(tmp);
  // mkstemp makes the file 0600; give it what a plain create would get.
  const mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, 0666 & ~mask);
  close(fd);
  auto written = [&]() -> Status {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return WriteFailed(tmp);
    if (auto s = ExportCsv(history, rules, kind, window, now, out); !s) return s;
    out.close();
    if (!out) return WriteFailed(tmp);
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      return MakeError(ErrorKind::kIo,
                       "renaming " + tmp + " to " + path + ": " + std::strerror(errno));
    return Ok{};
  }();
  if (!written) std::remove(tmp.c_str());
  return written;
}

}  // namespace floortrack::cli
