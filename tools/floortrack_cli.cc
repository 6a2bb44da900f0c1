// floortrack: the technicians' CLI. Reads the database read-only and never
// blocks the daemon; works while the daemon is down. See docs/cli.md.
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "adapters/alert_record.h"
#include "adapters/config_file.h"
#include "adapters/iana_time_zone.h"
#include "adapters/sqlite_store.h"
#include "core/clock.h"
#include "tools/breakdown_output.h"
#include "tools/cli_output.h"
#include "tools/export.h"
#include "tools/flow_output.h"

namespace floortrack::cli {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;  // unknown order, missing database, storage error
constexpr int kExitUsage = 2;    // bad arguments

struct Options {
  std::string config_path = "/etc/floortrack/floortrack.toml";
  std::string db_path;
  bool json = false;
  std::string since, until, order_id;
  bool open_only = false;
  std::size_t limit = 0;
  std::string by;           // flow --by, kpi --by
  std::string export_what;  // export orders|events|flow
  std::string csv_path;     // export --csv
};

int Fail(const std::string& message, int code = kExitFailure) {
  std::fprintf(stderr, "floortrack: %s\n", message.c_str());
  return code;
}

void Print(const nlohmann::json& j) {
  std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

// The database path from --db, else from the config file. Only the file
// itself is read (ParseConfig), never the password or TLS files it names: a
// technician in group floortrack may read the config but not the secrets.
Result<std::string> DatabasePath(const Options& o) {
  if (!o.db_path.empty()) return o.db_path;
  std::ifstream in(o.config_path, std::ios::binary);
  if (!in)
    return MakeError(ErrorKind::kNotFound,
                     o.config_path + ": " + std::strerror(errno) + " (or pass --db PATH)");
  std::ostringstream text;
  text << in.rdbuf();
  auto config = ParseConfig(text.str(), o.config_path);
  if (!config)
    return MakeError(config.error().kind, config.error().message + " (or pass --db PATH)");
  return config.value().storage.path;
}

// What a time argument is read against: now, and the shop's time zone
// (whose local days YYYY-MM-DD and 7d mean).
struct TimeContext {
  TimePoint now;
  const ShopTimeZone& zone;
};

Result<std::optional<TimePoint>> TimeArg(const std::string& text, const char* name,
                                         const TimeContext& at) {
  if (text.empty()) return std::optional<TimePoint>{};
  auto t = ParseTimeArgument(text, at.now, at.zone);
  if (!t)
    return MakeError(
        ErrorKind::kInvalid,
        std::string(name) + " '" + text + "' is not RFC 3339, YYYY-MM-DD or a span like 7d, 24h");
  return std::optional<TimePoint>{*t};
}

int RunKpi(OrderHistory& h, const Rules& rules, const Options& o, const TimeContext& at) {
  auto since = TimeArg(o.since, "--since", at);
  auto until = TimeArg(o.until, "--until", at);
  if (!since) return Fail(since.error().message, kExitUsage);
  if (!until) return Fail(until.error().message, kExitUsage);
  Window window{since.value(), until.value()};
  if (!o.by.empty()) {
    const auto key = BreakdownKeyFromName(o.by);
    if (!key)
      return Fail("--by '" + o.by + "' is not supported (" + BreakdownKeyNames() + ")", kExitUsage);
    if (o.json) {
      auto report = KpiBreakdownReportJson(h, rules, window, *key);
      if (!report) return Fail(report.error().message);
      Print(report.value());
      return kExitOk;
    }
    auto report = KpiBreakdownOf(h, rules, window, *key);
    if (!report) return Fail(report.error().message);
    std::cout << KpiBreakdownTable(report.value());
    return kExitOk;
  }
  if (o.json) {
    auto report = KpiReportJson(h, rules, window);
    if (!report) return Fail(report.error().message);
    Print(report.value());
    return kExitOk;
  }
  auto report = KpiReportOf(h, rules, window);
  if (!report) return Fail(report.error().message);
  std::cout << KpiTable(report.value());
  return kExitOk;
}

// The window of --since/--until, parsed as `kpi` parses them.
Result<Window> WindowArgs(const Options& o, const TimeContext& at) {
  auto since = TimeArg(o.since, "--since", at);
  if (!since) return since.error();
  auto until = TimeArg(o.until, "--until", at);
  if (!until) return until.error();
  return Window{since.value(), until.value()};
}

int RunFlow(OrderHistory& h, const Rules& rules, const Options& o, const TimeContext& at) {
  const TimePoint now = at.now;
  auto window = WindowArgs(o, at);
  if (!window) return Fail(window.error().message, kExitUsage);
  if (!o.by.empty() && o.by != "station")
    return Fail("--by '" + o.by + "' is not supported (station)", kExitUsage);
  auto report = FlowReportOf(h, rules, window.value(), now, o.by == "station");
  if (!report) return Fail(report.error().message);
  if (o.json)
    Print(FlowJson(report.value()));
  else
    std::cout << FlowTable(report.value());
  return kExitOk;
}

int RunExport(OrderHistory& h, const Rules& rules, const Options& o, const TimeContext& at) {
  const TimePoint now = at.now;
  auto window = WindowArgs(o, at);
  if (!window) return Fail(window.error().message, kExitUsage);
  auto kind = ExportKindFromName(o.export_what);
  if (!kind) return Fail("export '" + o.export_what + "': orders, events or flow", kExitUsage);
  Status done = o.csv_path.empty()
                    ? ExportCsv(h, rules, *kind, window.value(), now, std::cout)
                    : ExportCsvToFile(h, rules, *kind, window.value(), now, o.csv_path);
  if (!done) return Fail(done.error().message);
  return kExitOk;
}

int RunStatus(OrderHistory& h, const Options& o, TimePoint now) {
  auto order = h.FindOrder(o.order_id);
  if (!order && order.error().kind == ErrorKind::kNotFound)
    return Fail("unknown order '" + o.order_id + "'");
  if (!order) return Fail(order.error().message);
  auto timeline = h.OrderEvents(o.order_id);
  if (!timeline) return Fail(timeline.error().message);
  auto batches = h.BatchesOfOrder(o.order_id);
  if (!batches) return Fail(batches.error().message);
  if (o.json)
    Print(StatusJson(order.value(), timeline.value(), now, batches.value()));
  else
    std::cout << StatusTable(order.value(), timeline.value(), now, batches.value());
  return kExitOk;
}

int RunBatch(OrderHistory& h, const Options& o) {
  auto batch = h.FindBatch(o.order_id);
  if (!batch && batch.error().kind == ErrorKind::kNotFound)
    return Fail("unknown batch '" + o.order_id + "'");
  if (!batch) return Fail(batch.error().message);
  if (o.json)
    Print(BatchJson(batch.value()));
  else
    std::cout << BatchTable(batch.value());
  return kExitOk;
}

int RunOrders(OrderHistory& h, const Options& o, const TimeContext& at) {
  const TimePoint now = at.now;
  auto since = TimeArg(o.since, "--since", at);
  if (!since) return Fail(since.error().message, kExitUsage);
  auto orders = h.ListOrders(OrderFilter{o.open_only, since.value(), o.limit});
  if (!orders) return Fail(orders.error().message);
  if (o.json)
    Print(OrdersJson(orders.value(), now));
  else
    std::cout << OrdersTable(orders.value(), now);
  return kExitOk;
}

int RunRejects(OrderHistory& h, const Options& o) {
  auto rejects = h.RecentRejects(o.limit == 0 ? 50 : o.limit);
  if (!rejects) return Fail(rejects.error().message);
  auto total = h.RejectTotal();
  if (!total) return Fail(total.error().message);
  if (o.json)
    Print(RejectsJson(rejects.value(), total.value()));
  else
    std::cout << RejectsTable(rejects.value(), total.value());
  return kExitOk;
}

// The alert state the daemon recorded (adapters/alert_record.h).
Result<std::optional<AlertState>> RecordedAlertState(SqliteStore& store) {
  auto text = store.RecordedAlerts();
  if (!text) return text.error();
  if (!text.value()) return std::optional<AlertState>();
  auto state = DecodeAlertState(*text.value());
  if (!state) return state.error();
  return std::optional<AlertState>(std::move(state).value());
}

int RunAlerts(SqliteStore& store, const Options& o) {
  auto state = RecordedAlertState(store);
  if (!state) return Fail(state.error().message);
  const nlohmann::json j = AlertsJson(state.value());
  if (o.json) {
    Print(j);
    return kExitOk;
  }
  if (j["firing"].empty()) {
    std::cout << "no alerts firing";
    if (!j["updated_at"].is_null())
      std::cout << " (as of " << j["updated_at"].get<std::string>() << ")";
    std::cout << "\n";
    return kExitOk;
  }
  for (const auto& a : j["firing"])
    std::cout << a["since"].get<std::string>() << "  " << a["id"].get<std::string>() << "  "
              << a["message"].get<std::string>() << "\n";
  std::cout << j["firing"].size() << " firing\n";
  return kExitOk;
}

int RunLate(OrderHistory& h, const Rules& rules, const Options& o, TimePoint now) {
  auto report = LateReportOf(h, rules, now);
  if (!report) return Fail(report.error().message);
  if (o.json)
    Print(LateJson(report.value()));
  else
    std::cout << LateTable(report.value());
  return kExitOk;
}

void AddJson(CLI::App* cmd, Options& o) {
  cmd->add_flag("--json", o.json, "print JSON for scripts");
}

int Main(int argc, char** argv) {
  Options o;
  CLI::App app{"floortrack: ask about orders, KPIs and rejected messages"};
  app.add_option("--config", o.config_path, "configuration file (for the database path)")
      ->capture_default_str();
  app.add_option("--db", o.db_path, "database file (overrides --config)");
  app.require_subcommand(1);
  auto* kpi = app.add_subcommand("kpi", "print the shop's KPIs over a window [since, until)");
  kpi->add_option("--since", o.since,
                  "start: RFC 3339, YYYY-MM-DD (local midnight), or a span back from now (7d: "
                  "today and 6 days before; 24h)");
  kpi->add_option("--until", o.until, "end (exclusive), same forms");
  kpi->add_option("--by", o.by,
                  "split by: product, customer, material, station, operator or defect");
  AddJson(kpi, o);
  auto* status = app.add_subcommand("status", "print one order's timeline");
  status->add_option("ORDER", o.order_id, "order id")->required();
  AddJson(status, o);
  auto* batch = app.add_subcommand("batch", "print a batch's orders, stages and material");
  batch->add_option("BATCH", o.order_id, "batch id (a build plate, a casting tree)")->required();
  AddJson(batch, o);
  auto* orders = app.add_subcommand("orders", "list orders, most recently active first");
  orders->add_flag("--open", o.open_only, "only orders not yet shipped");
  orders->add_option("--since", o.since, "only orders active since T");
  orders->add_option("--limit", o.limit, "at most N orders");
  AddJson(orders, o);
  auto* rejects = app.add_subcommand("rejects", "print recently rejected messages with reasons");
  rejects->add_option("--limit", o.limit, "at most N (default 50)");
  AddJson(rejects, o);
  auto* alerts = app.add_subcommand("alerts", "list the alerts firing now, oldest first");
  AddJson(alerts, o);
  auto* flow = app.add_subcommand(
      "flow", "print stage dwell over [since, until), work in progress and the bottleneck");
  flow->add_option("--since", o.since,
                   "start: RFC 3339, YYYY-MM-DD (local midnight), or a span back from now (7d: "
                   "today and 6 days before; 24h)");
  flow->add_option("--until", o.until, "end (exclusive), same forms");
  flow->add_option("--by", o.by, "also split by: station");
  AddJson(flow, o);
  auto* exporter = app.add_subcommand("export", "write orders, events or flow dwells as CSV");
  exporter->add_option("WHAT", o.export_what, "orders, events or flow")
      ->required()
      ->check(CLI::IsMember({"orders", "events", "flow"}));
  exporter->add_option("--since", o.since, "start of the window, as for kpi");
  exporter->add_option("--until", o.until, "end (exclusive), same forms");
  exporter->add_option("--csv", o.csv_path, "write to FILE (replaced whole) instead of stdout");
  auto* late = app.add_subcommand("late", "print open orders past their promise and at risk");
  AddJson(late, o);
  app.set_version_flag("--version", std::string("floortrack ") + FLOORTRACK_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }

  auto path = DatabasePath(o);
  if (!path) return Fail(path.error().message);
  auto store = SqliteStore::OpenReadOnly(path.value());
  if (!store) return Fail(store.error().message);
  // The rules the daemon runs with, as it recorded them in the database
  // (stage order, accuracy reasons, money settings): --db alone gives the
  // same answers as --config. A database the daemon never started on has no
  // record and no events; the defaults serve it.
  auto recorded = store.value()->RecordedRules();
  if (!recorded) return Fail(recorded.error().message);
  const Rules rules = recorded.value().value_or(Rules{});
  OrderHistory& history = *store.value();
  TimePoint now = SystemClock().Now();
  // Days are the shop's local days, in the time zone the daemon records
  // with its rules ([shop] timezone); a name this system's tzdata does not
  // know falls back to UTC, with a warning.
  auto zone = IanaTimeZone::Load(rules.shop_timezone);
  if (!zone)
    std::fprintf(stderr, "floortrack: warning: %s; days are UTC days\n",
                 zone.error().message.c_str());
  const FixedOffsetZone utc;
  const TimeContext at{now, zone ? *zone.value() : static_cast<const ShopTimeZone&>(utc)};
  if (kpi->parsed()) return RunKpi(history, rules, o, at);
  if (status->parsed()) return RunStatus(history, o, now);
  if (batch->parsed()) return RunBatch(history, o);
  if (orders->parsed()) return RunOrders(history, o, at);
  if (flow->parsed()) return RunFlow(history, rules, o, at);
  if (alerts->parsed()) return RunAlerts(*store.value(), o);
  if (exporter->parsed()) return RunExport(history, rules, o, at);
  if (late->parsed()) return RunLate(history, rules, o, now);
  return RunRejects(history, o);
}

}  // namespace
}  // namespace floortrack::cli

int main(int argc, char** argv) {
  try {
    return floortrack::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "floortrack: %s\n", e.what());
    return 1;
  }
}
