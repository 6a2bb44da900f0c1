#include "adapters/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>

namespace floortrack {
namespace {

constexpr int kDefaultBusyTimeoutMs = 5000;
constexpr std::int64_t kMinMs = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMaxMs = std::numeric_limits<std::int64_t>::max();

// ---------------------------------------------------------------------------
// Schema and SQL. Every value goes through a bound parameter.

constexpr const char* kSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS events(
  seq INTEGER PRIMARY KEY,
  event_key TEXT NOT NULL UNIQUE,
  order_id TEXT NOT NULL,
  stage TEXT NOT NULL,
  stage_ms INTEGER NOT NULL,
  received_ms INTEGER NOT NULL,
  device_ms INTEGER,
  time_source INTEGER NOT NULL,
  topic TEXT NOT NULL,
  station TEXT,
  operator TEXT,
  result TEXT,
  defect TEXT,
  reason TEXT,
  material_type TEXT,
  used_g REAL,
  scrap_g REAL,
  material_cost REAL NOT NULL DEFAULT 0,
  value REAL,
  currency TEXT,
  customer_id TEXT,
  product TEXT,
  personalized INTEGER,
  promised_ms INTEGER,
  raw BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_order ON events(order_id, stage_ms);
CREATE INDEX IF NOT EXISTS events_material ON events(stage_ms, used_g, scrap_g) WHERE used_g IS NOT NULL;
CREATE TABLE IF NOT EXISTS orders(
  order_id TEXT NOT NULL PRIMARY KEY,
  confirmed_ms INTEGER,
  shipped_ms INTEGER,
  current_stage TEXT NOT NULL,
  current_stage_ms INTEGER NOT NULL,
  last_received_ms INTEGER NOT NULL,
  event_count INTEGER NOT NULL,
  value REAL,
  currency TEXT,
  customer_id TEXT,
  product TEXT,
  personalized INTEGER,
  used_g REAL NOT NULL,
  scrap_g REAL NOT NULL,
  material_cost REAL NOT NULL,
  failed_before_ship INTEGER NOT NULL,
  return_reasons TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS orders_by_confirmed ON orders(confirmed_ms);
CREATE INDEX IF NOT EXISTS orders_by_shipped ON orders(shipped_ms);
CREATE INDEX IF NOT EXISTS orders_by_activity ON orders(current_stage_ms);
CREATE TABLE IF NOT EXISTS rejects(
  id INTEGER PRIMARY KEY,
  received_ms INTEGER NOT NULL,
  topic TEXT NOT NULL,
  reason TEXT NOT NULL,
  raw BLOB NOT NULL,
  payload_size INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS counters(
  name TEXT NOT NULL PRIMARY KEY,
  value INTEGER NOT NULL) WITHOUT ROWID;
PRAGMA application_id = 1181504594;
PRAGMA user_version = 1;
)sql";
static_assert(kStoreApplicationId == 1181504594 && kStoreSchemaVersion == 1,
              "keep kSchemaSql's pragmas in step");

// Index changes since schema version 1 was first shipped, applied at every
// writable open (cheap when already applied; builds the index once on a
// database written by an earlier floortrackd). Indexes only: no data change,
// so older binaries still read the file.
constexpr const char* kUpgradeIndexesSql = R"sql(
CREATE INDEX IF NOT EXISTS events_material ON events(stage_ms, used_g, scrap_g) WHERE used_g IS NOT NULL;
DROP INDEX IF EXISTS events_material_by_time;
)sql";

// clang-format off
// Column order shared by the event SELECTs and ReadEvent(); raw is last.
#define FT_EVENT_COLUMNS                                                                    \
  "event_key, order_id, stage, stage_ms, received_ms, device_ms, time_source, topic, "      \
  "station, operator, result, defect, reason, material_type, used_g, scrap_g, "             \
  "material_cost, value, currency, customer_id, product, personalized, promised_ms"
constexpr int kEventRawColumn = 23;

#define FT_ORDER_COLUMNS                                                                    \
  "order_id, confirmed_ms, shipped_ms, current_stage, current_stage_ms, last_received_ms, " \
  "event_count, value, currency, customer_id, product, personalized, used_g, scrap_g, "     \
  "material_cost, failed_before_ship, return_reasons"

// Only an event_key conflict is ignored (a duplicate); any other constraint
// failure is an error, never a silently dropped event.
constexpr const char* kInsertEventSql =
    "INSERT INTO events(" FT_EVENT_COLUMNS ", raw) VALUES "
    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, "
    "?21, ?22, ?23, ?24) ON CONFLICT(event_key) DO NOTHING";
constexpr const char* kOrderEventsSql =
    "SELECT " FT_EVENT_COLUMNS ", raw FROM events WHERE order_id = ?1 ORDER BY stage_ms, seq";
constexpr const char* kOrderEventsNoRawSql =
    "SELECT " FT_EVENT_COLUMNS " FROM events WHERE order_id = ?1 ORDER BY stage_ms, seq";
constexpr const char* kUpsertOrderSql =
    "INSERT INTO orders(" FT_ORDER_COLUMNS ") VALUES "
    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) "
    "ON CONFLICT(order_id) DO UPDATE SET (" FT_ORDER_COLUMNS ") = (excluded.order_id, "
    "excluded.confirmed_ms, excluded.shipped_ms, excluded.current_stage, "
    "excluded.current_stage_ms, excluded.last_received_ms, excluded.event_count, excluded.value, "
    "excluded.currency, excluded.customer_id, excluded.product, excluded.personalized, "
    "excluded.used_g, excluded.scrap_g, excluded.material_cost, excluded.failed_before_ship, "
    "excluded.return_reasons)";
// The fast path's update when the new event moves neither confirmed_ms nor
// shipped_ms: those two columns are left out of SET, so SQLite leaves
// orders_by_confirmed and orders_by_shipped alone (two fewer B-tree pages
// written, and fsynced, per event). Takes BindSummary's parameters; ?2 and ?3
// only check that the row still has the confirmed/shipped times the summary
// was read with.
constexpr const char* kUpdateOrderSql =
    "UPDATE orders SET current_stage = ?4, current_stage_ms = ?5, last_received_ms = ?6, "
    "event_count = ?7, value = ?8, currency = ?9, customer_id = ?10, product = ?11, "
    "personalized = ?12, used_g = ?13, scrap_g = ?14, material_cost = ?15, "
    "failed_before_ship = ?16, return_reasons = ?17 "
    "WHERE order_id = ?1 AND confirmed_ms IS ?2 AND shipped_ms IS ?3";
constexpr const char* kFindOrderSql = "SELECT " FT_ORDER_COLUMNS " FROM orders WHERE order_id = ?1";
// ?1 = since (inclusive), ?2 = until (exclusive). Four disjoint arms, each
// one index range, so no row is read twice and nothing is deduplicated:
// confirmed in the window; shipped in it but confirmed outside it; open at
// until and confirmed before since (unshipped; shipped at or after until).
// Only the order id and the columns the KPIs read, in FT_ORDER_COLUMNS' positions (NULL reads
// back as "" or 0): a third of the decoding for a million rows.
#define FT_KPI_COLUMNS                                                                      \
  "order_id, confirmed_ms, shipped_ms, NULL, NULL, NULL, NULL, value, NULL, customer_id, NULL, " \
  "personalized, NULL, NULL, material_cost, failed_before_ship, return_reasons"
constexpr const char* kOrdersForKpiSql =
    "SELECT " FT_KPI_COLUMNS " FROM orders WHERE confirmed_ms >= ?1 AND confirmed_ms < ?2 "
    "UNION ALL SELECT " FT_KPI_COLUMNS " FROM orders WHERE shipped_ms >= ?1 AND shipped_ms < ?2 "
    "AND (confirmed_ms IS NULL OR confirmed_ms < ?1 OR confirmed_ms >= ?2) "
    "UNION ALL SELECT " FT_KPI_COLUMNS " FROM orders WHERE shipped_ms IS NULL AND confirmed_ms < ?1 "
    "UNION ALL SELECT " FT_KPI_COLUMNS " FROM orders WHERE shipped_ms >= ?2 AND confirmed_ms < ?1";
// With no `since` nearly every order is relevant: one sequential scan beats
// index ranges with a table lookup per row. The KpiAccumulator ignores the rest.
constexpr const char* kAllOrdersSql = "SELECT " FT_KPI_COLUMNS " FROM orders";
// Index-only on events_material (covering).
constexpr const char* kMaterialSql =
    "SELECT COALESCE(SUM(used_g), 0), COALESCE(SUM(scrap_g), 0) FROM events "
    "WHERE used_g IS NOT NULL AND stage_ms >= ?1 AND stage_ms < ?2";
// All time: the order summaries already hold each order's material sums.
constexpr const char* kAllMaterialSql =
    "SELECT COALESCE(SUM(used_g), 0), COALESCE(SUM(scrap_g), 0) FROM orders";
// ?1 = since, ?2 = limit (-1 = none).
constexpr const char* kListOrdersSql =
    "SELECT " FT_ORDER_COLUMNS " FROM orders WHERE current_stage_ms >= ?1 "
    "ORDER BY current_stage_ms DESC, order_id LIMIT ?2";
// The open ones: orders_by_shipped finds them (shipped_ms IS NULL) without
// walking every order.
constexpr const char* kListOpenOrdersSql =
    "SELECT " FT_ORDER_COLUMNS " FROM orders WHERE shipped_ms IS NULL AND current_stage_ms >= ?1 "
    "ORDER BY current_stage_ms DESC, order_id LIMIT ?2";
constexpr const char* kInsertRejectSql =
    "INSERT INTO rejects(received_ms, topic, reason, raw, payload_size) VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr const char* kBumpRejectsSql =
    "INSERT INTO counters(name, value) VALUES ('rejects_total', 1) "
    "ON CONFLICT(name) DO UPDATE SET value = value + 1";
// ?1 = how many newest rows to keep. Reject ids are contiguous (each new id is
// MAX(id) + 1 and only the oldest rows are ever deleted), so this keeps exactly
// the newest ?1 rows without scanning them.
constexpr const char* kTrimRejectsSql =
    "DELETE FROM rejects WHERE id <= (SELECT MAX(id) FROM rejects) - ?1";
constexpr const char* kRecentRejectsSql =
    "SELECT received_ms, topic, reason, raw, payload_size FROM rejects ORDER BY id DESC LIMIT ?1";
constexpr const char* kRejectTotalSql = "SELECT value FROM counters WHERE name = 'rejects_total'";
constexpr const char* kEventCountSql = "SELECT COUNT(*) FROM events";

#undef FT_EVENT_COLUMNS
#undef FT_ORDER_COLUMNS
#undef FT_KPI_COLUMNS
// clang-format on

// ---------------------------------------------------------------------------
// Statement helpers.

struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

ErrorKind KindOf(int rc) {
  switch (rc & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorKind::kBusy;
    case SQLITE_FULL:
      return ErrorKind::kFull;
    case SQLITE_READONLY:
      return ErrorKind::kReadOnly;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ErrorKind::kCorrupt;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      return ErrorKind::kIo;
    default:
      return ErrorKind::kInternal;
  }
}

Error MakeSqlError(sqlite3* db, int rc, const std::string& path, const char* what) {
  const char* detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return MakeError(
      KindOf(rc), path + ": " + what + ": " + detail + " (sqlite code " + std::to_string(rc) + ")");
}

// One use of a cached statement: binds, steps, reads columns, and resets the
// statement (ending its implicit read transaction) when it goes out of scope.
class Use {
 public:
  explicit Use(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Use() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;

  Use& Int(int i, std::int64_t v) { return Check(sqlite3_bind_int64(stmt_, i, v)); }
  Use& Real(int i, double v) { return Check(sqlite3_bind_double(stmt_, i, v)); }
  Use& Text(int i, std::string_view v) {
    return Check(sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  Use& Blob(int i, std::string_view v) {  // data() is never null, so "" stays a zero-length blob
    return Check(sqlite3_bind_blob64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT));
  }
  Use& TextOrNull(int i, const std::string& v) { return v.empty() ? *this : Text(i, v); }
  Use& TimeOrNull(int i, const std::optional<TimePoint>& t) {
    return t ? Int(i, ToEpochMs(*t)) : *this;
  }
  Use& RealOrNull(int i, const std::optional<double>& v) { return v ? Real(i, *v) : *this; }
  Use& BoolOrNull(int i, const std::optional<bool>& v) { return v ? Int(i, *v ? 1 : 0) : *this; }

  // SQLITE_ROW, SQLITE_DONE, or the error (including a failed bind).
  int Step() { return bind_rc_ != SQLITE_OK ? bind_rc_ : sqlite3_step(stmt_); }

  bool IsNull(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  std::int64_t Int(int c) const { return sqlite3_column_int64(stmt_, c); }
  double Real(int c) const { return sqlite3_column_double(stmt_, c); }
  TimePoint Time(int c) const { return FromEpochMs(Int(c)); }
  std::string Text(int c) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, c));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c))) : "";
  }
  std::string Blob(int c) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, c));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c))) : "";
  }
  std::optional<TimePoint> OptTime(int c) const {
    return IsNull(c) ? std::nullopt : std::optional<TimePoint>(Time(c));
  }
  std::optional<double> OptReal(int c) const {
    return IsNull(c) ? std::nullopt : std::optional<double>(Real(c));
  }
  std::optional<bool> OptBool(int c) const {
    return IsNull(c) ? std::nullopt : std::optional<bool>(Int(c) != 0);
  }

 private:
  Use& Check(int rc) {
    if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
    return *this;
  }
  sqlite3_stmt* stmt_;
  int bind_rc_ = SQLITE_OK;
};

std::int64_t SinceMs(const std::optional<TimePoint>& t) { return t ? ToEpochMs(*t) : kMinMs; }
std::int64_t UntilMs(const std::optional<TimePoint>& t) { return t ? ToEpochMs(*t) : kMaxMs; }
std::int64_t LimitOrAll(std::size_t limit) {
  return limit == 0 || limit > static_cast<std::size_t>(kMaxMs) ? -1
                                                                : static_cast<std::int64_t>(limit);
}

// ---------------------------------------------------------------------------
// Row <-> value mapping.

void BindEvent(Use& q, const StageEvent& e) {
  q.Text(1, e.event_key).Text(2, e.order_id).Text(3, e.stage).Int(4, ToEpochMs(e.stage_time));
  q.Int(5, ToEpochMs(e.received_at)).TimeOrNull(6, e.device_ts);
  q.Int(7, static_cast<int>(e.time_source)).Text(8, e.topic).TextOrNull(9, e.station);
  q.TextOrNull(10, e.operator_name).TextOrNull(11, ToString(e.result)).TextOrNull(12, e.defect);
  q.TextOrNull(13, e.reason);
  if (e.material) {
    q.TextOrNull(14, e.material->type).Real(15, e.material->used_g).Real(16, e.material->scrap_g);
  }
  q.Real(17, e.material_cost).RealOrNull(18, e.value).TextOrNull(19, e.currency);
  q.TextOrNull(20, e.customer_id).TextOrNull(21, e.product).BoolOrNull(22, e.personalized);
  q.TimeOrNull(23, e.promised_at).Blob(24, e.raw_payload);
}

TimeSource TimeSourceFrom(std::int64_t v) {
  switch (v) {
    case 1:
      return TimeSource::kReceivedNoTs;
    case 2:
      return TimeSource::kReceivedFuture;
    default:
      return TimeSource::kDevice;
  }
}

StageEvent ReadEvent(const Use& q, bool with_raw) {
  StageEvent e;
  e.event_key = q.Text(0);
  e.order_id = q.Text(1);
  e.stage = q.Text(2);
  e.stage_time = q.Time(3);
  e.received_at = q.Time(4);
  e.device_ts = q.OptTime(5);
  e.time_source = TimeSourceFrom(q.Int(6));
  e.topic = q.Text(7);
  e.station = q.Text(8);
  e.operator_name = q.Text(9);
  e.result = StageResultFromString(q.Text(10));
  e.defect = q.Text(11);
  e.reason = q.Text(12);
  if (!q.IsNull(14)) e.material = Material{q.Text(13), q.Real(14), q.Real(15)};
  e.material_cost = q.Real(16);
  e.value = q.OptReal(17);
  e.currency = q.Text(18);
  e.customer_id = q.Text(19);
  e.product = q.Text(20);
  e.personalized = q.OptBool(21);
  e.promised_at = q.OptTime(22);
  if (with_raw) e.raw_payload = q.Blob(kEventRawColumn);
  return e;
}

std::string EncodeReasons(const std::vector<std::string>& reasons) {
  std::string out;
  for (const std::string& r : reasons) out += std::to_string(r.size()) + ":" + r;
  return out;
}

std::optional<std::vector<std::string>> DecodeReasons(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    std::size_t colon = s.find(':');
    if (colon == 0 || colon == std::string_view::npos || colon > 9) return std::nullopt;
    std::size_t n = 0;
    for (char c : s.substr(0, colon)) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    s.remove_prefix(colon + 1);
    if (n > s.size()) return std::nullopt;
    out.emplace_back(s.substr(0, n));
    s.remove_prefix(n);
  }
  return out;
}

void BindSummary(Use& q, const OrderSummary& o) {
  q.Text(1, o.order_id).TimeOrNull(2, o.confirmed_at).TimeOrNull(3, o.shipped_at);
  q.Text(4, o.current_stage).Int(5, ToEpochMs(o.current_stage_at));
  q.Int(6, ToEpochMs(o.last_received_at)).Int(7, o.event_count).RealOrNull(8, o.value);
  q.TextOrNull(9, o.currency).TextOrNull(10, o.customer_id).TextOrNull(11, o.product);
  q.BoolOrNull(12, o.personalized).Real(13, o.material_used_g).Real(14, o.material_scrap_g);
  q.Real(15, o.material_cost).Int(16, o.failed_before_ship ? 1 : 0);
  q.Text(17, EncodeReasons(o.return_reasons));
}

std::optional<OrderSummary> ReadSummary(const Use& q) {
  OrderSummary o;
  o.order_id = q.Text(0);
  o.confirmed_at = q.OptTime(1);
  o.shipped_at = q.OptTime(2);
  o.current_stage = q.Text(3);
  o.current_stage_at = q.Time(4);
  o.last_received_at = q.Time(5);
  o.event_count = static_cast<int>(q.Int(6));
  o.value = q.OptReal(7);
  o.currency = q.Text(8);
  o.customer_id = q.Text(9);
  o.product = q.Text(10);
  o.personalized = q.OptBool(11);
  o.material_used_g = q.Real(12);
  o.material_scrap_g = q.Real(13);
  o.material_cost = q.Real(14);
  o.failed_before_ship = q.Int(15) != 0;
  auto reasons = DecodeReasons(q.Text(16));
  if (!reasons) return std::nullopt;
  o.return_reasons = std::move(*reasons);
  return o;
}

// Hands every row of a bound order-summary query to `visit`.
Status VisitSummaries(Use& q, sqlite3* db, const std::string& path, const char* what,
                      const std::function<void(const OrderSummary&)>& visit) {
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    auto summary = ReadSummary(q);
    if (!summary) return MakeError(ErrorKind::kCorrupt, path + ": bad return_reasons in " + what);
    visit(*summary);
  }
  if (rc != SQLITE_DONE) return MakeSqlError(db, rc, path, what);
  return Ok{};
}

// Reads every row of a bound order-summary query.
Result<std::vector<OrderSummary>> CollectSummaries(Use& q, sqlite3* db, const std::string& path,
                                                   const char* what) {
  std::vector<OrderSummary> out;
  auto visited =
      VisitSummaries(q, db, path, what, [&](const OrderSummary& o) { out.push_back(o); });
  if (!visited) return visited.error();
  return out;
}

Reject ReadReject(const Use& q) {
  Reject r;
  r.received_at = q.Time(0);
  r.topic = q.Text(1);
  r.reason = q.Text(2);
  r.raw_payload = q.Blob(3);
  r.payload_size = static_cast<std::size_t>(q.Int(4));
  return r;
}

// Runs `f`, turning an escaping exception (e.g. bad_alloc) into kInternal.
template <class F>
auto NoThrow(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return MakeError(ErrorKind::kInternal, std::string("unexpected exception: ") + e.what());
  } catch (...) {
    return MakeError(ErrorKind::kInternal, "unexpected exception");
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// Opening.

struct SqliteStore::Statements {
  StmtPtr begin, commit, rollback;
  StmtPtr insert_event, order_events, order_events_no_raw, upsert_order, update_order, find_order;
  StmtPtr orders_for_kpi, all_orders, material, all_material, list_orders, list_open_orders;
  StmtPtr insert_reject, bump_rejects, trim_rejects, recent_rejects, reject_total, event_count;
};

void SqliteStore::DbCloser::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

namespace {

struct Header {
  std::int64_t application_id = 0;
  std::int64_t user_version = 0;
  std::int64_t objects = 0;  // rows of sqlite_master
};

Result<std::int64_t> QueryInt(sqlite3* db, const std::string& path, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return MakeSqlError(db, rc, path, "reading the database header");
  rc = sqlite3_step(stmt.get());
  if (rc != SQLITE_ROW) return MakeSqlError(db, rc, path, "reading the database header");
  return sqlite3_column_int64(stmt.get(), 0);
}

// Reads only; never writes. SQLITE_NOTADB surfaces here as kCorrupt.
Result<Header> ReadHeader(sqlite3* db, const std::string& path) {
  auto app = QueryInt(db, path, "PRAGMA application_id");
  if (!app) return app.error();
  auto version = QueryInt(db, path, "PRAGMA user_version");
  if (!version) return version.error();
  auto objects = QueryInt(db, path, "SELECT COUNT(*) FROM sqlite_master");
  if (!objects) return objects.error();
  return Header{app.value(), version.value(), objects.value()};
}

// Ok(true) when the schema must be created; kCorrupt when the file is not ours.
Result<bool> CheckHeader(const Header& h, const std::string& path, bool writable) {
  if (h.user_version > kStoreSchemaVersion) {
    return MakeError(ErrorKind::kCorrupt, path + ": floortrack schema version " +
                                              std::to_string(h.user_version) +
                                              " is newer than this build supports (" +
                                              std::to_string(kStoreSchemaVersion) + ")");
  }
  const bool empty = h.application_id == 0 && h.objects == 0 && h.user_version == 0;
  if (empty && writable) return true;
  if (h.application_id != kStoreApplicationId) {
    char id[16];
    std::snprintf(id, sizeof id, "0x%08llX",
                  static_cast<unsigned long long>(h.application_id & 0xFFFFFFFF));
    return MakeError(ErrorKind::kCorrupt, path + ": not a floortrack database (application_id " +
                                              id + ", " + std::to_string(h.objects) +
                                              " schema objects); refusing to use it");
  }
  return h.user_version < kStoreSchemaVersion;  // ours but unfinished: complete it
}

Status Exec(sqlite3* db, const std::string& path, const char* sql, const char* what) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return MakeSqlError(db, rc, path, what);
  return Ok{};
}

Status EnableWal(sqlite3* db, const std::string& path) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc == SQLITE_OK) rc = sqlite3_step(stmt.get());
  if (rc != SQLITE_ROW) return MakeSqlError(db, rc, path, "enabling WAL mode");
  const auto* mode = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
  if (!mode || std::string_view(mode) != "wal") {
    return MakeError(ErrorKind::kIo, path + ": cannot enable WAL journal mode (got " +
                                         std::string(mode ? mode : "nothing") + ")");
  }
  return Ok{};
}

Status CreateSchema(sqlite3* db, const std::string& path) {
  if (auto s = Exec(db, path, "BEGIN IMMEDIATE", "creating the schema"); !s) return s;
  Status s = Exec(db, path, kSchemaSql, "creating the schema");
  if (s) s = Exec(db, path, "COMMIT", "creating the schema");
  if (!s && !sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  return s;
}

// Opens the connection without ever creating a file that exists.
Result<sqlite3*> OpenConnection(const std::string& path, bool writable,
                                const std::string& vfs = {}) {
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  if (!exists && !writable) {
    return MakeError(ErrorKind::kNotFound, path + ": no such database file");
  }
  // NOMUTEX: one connection per store, used from one thread at a time.
  int flags = (writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) | SQLITE_OPEN_NOMUTEX;
  if (writable && !exists) flags |= SQLITE_OPEN_CREATE;
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, vfs.empty() ? nullptr : vfs.c_str());
  if (rc != SQLITE_OK) {
    Error err = MakeSqlError(db, rc, path, "opening the database");
    sqlite3_close_v2(db);
    return err;
  }
  sqlite3_extended_result_codes(db, 1);
  if (writable && sqlite3_db_readonly(db, "main") == 1) {
    sqlite3_close_v2(db);
    return MakeError(ErrorKind::kReadOnly, path + ": database file is not writable");
  }
  return db;
}

// A read-only connection to a WAL database needs its -shm (and -wal) files:
// it creates them when absent, which a user who may not write to the
// directory cannot. floortrackd keeps both files (SQLITE_FCNTL_PERSIST_WAL),
// so this happens only for a database that floortrackd has not opened since
// it was copied or restored, or that another program closed last.
Error ExplainReadOnlyFailure(const std::string& path, const Error& error) {
  std::error_code ec;
  const bool shm = std::filesystem::exists(path + "-shm", ec);
  if (shm || (error.kind != ErrorKind::kReadOnly && error.kind != ErrorKind::kIo)) return error;
  return MakeError(error.kind,
                   error.message + "; " + path + "-shm and " + path +
                       "-wal are missing and this user may not create them: start floortrackd "
                       "once on this database (it keeps them), or run as a user who may write to "
                       "the database's directory");
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::OpenForWriting(const StoreOptions& options,
                                                                 const Rules& rules) {
  return NoThrow([&]() -> Result<std::unique_ptr<SqliteStore>> {
    const std::string& path = options.path;
    auto opened = OpenConnection(path, /*writable=*/true, options.vfs);
    if (!opened) return opened.error();
    DbPtr db(opened.value());
    sqlite3_busy_timeout(db.get(), options.busy_timeout_ms);
    auto header = ReadHeader(db.get(), path);
    if (!header) return header.error();
    auto needs_schema = CheckHeader(header.value(), path, /*writable=*/true);
    if (!needs_schema) return needs_schema.error();
    // Only now, with the file known to be ours or empty, may anything be written.
    if (auto s = EnableWal(db.get(), path); !s) return s.error();
    // Keep -wal and -shm when the daemon closes the database (they are
    // checkpointed, not deleted): a reader without write permission on the
    // directory (the CLI run by an unprivileged user) can open a WAL database
    // only if both files already exist. Set only now that the file is ours,
    // so a refused foreign file is left without them.
    int persist_wal = 1;
    sqlite3_file_control(db.get(), "main", SQLITE_FCNTL_PERSIST_WAL, &persist_wal);
    const char* sync = options.sync == StoreOptions::Sync::kFull ? "PRAGMA synchronous = FULL"
                                                                 : "PRAGMA synchronous = NORMAL";
    if (auto s = Exec(db.get(), path, sync, "setting synchronous"); !s) return s.error();
    // SQLite's default checkpoint interval (1000 WAL pages, ~4 MiB) stays:
    // a larger one measured ~10% faster ingest but needs that much free disk
    // to get out of a disk-full condition, since only a checkpoint resets the
    // WAL (tests/reliability/test_disk_full.py). journal_size_limit truncates
    // the kept (SQLITE_FCNTL_PERSIST_WAL) -wal file back to 4 MiB after a reset.
    if (auto s = Exec(db.get(), path, "PRAGMA journal_size_limit = 4194304", "limiting the WAL");
        !s) {
      return s.error();
    }
    if (needs_schema.value()) {
      if (auto s = CreateSchema(db.get(), path); !s) return s.error();
    }
    if (auto s = Exec(db.get(), path, kUpgradeIndexesSql, "upgrading indexes"); !s)
      return s.error();
    return Finish(std::move(db), path, rules, options.max_rejects);
  });
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::OpenReadOnly(const std::string& path) {
  return NoThrow([&]() -> Result<std::unique_ptr<SqliteStore>> {
    auto opened = OpenConnection(path, /*writable=*/false);
    if (!opened) return opened.error();
    DbPtr db(opened.value());
    sqlite3_busy_timeout(db.get(), kDefaultBusyTimeoutMs);
    auto header = ReadHeader(db.get(), path);
    if (!header) return ExplainReadOnlyFailure(path, header.error());
    if (auto checked = CheckHeader(header.value(), path, /*writable=*/false); !checked) {
      return checked.error();
    }
    return Finish(std::move(db), path, Rules{}, 0);
  });
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Finish(DbPtr db, const std::string& path,
                                                         const Rules& rules,
                                                         std::size_t max_rejects) {
  std::unique_ptr<SqliteStore> store(new SqliteStore(std::move(db), path, rules, max_rejects));
  Statements& s = *store->stmts_;
  const std::pair<StmtPtr*, const char*> all[] = {
      {&s.begin, "BEGIN IMMEDIATE"},
      {&s.commit, "COMMIT"},
      {&s.rollback, "ROLLBACK"},
      {&s.insert_event, kInsertEventSql},
      {&s.order_events, kOrderEventsSql},
      {&s.order_events_no_raw, kOrderEventsNoRawSql},
      {&s.upsert_order, kUpsertOrderSql},
      {&s.update_order, kUpdateOrderSql},
      {&s.find_order, kFindOrderSql},
      {&s.orders_for_kpi, kOrdersForKpiSql},
      {&s.all_orders, kAllOrdersSql},
      {&s.material, kMaterialSql},
      {&s.all_material, kAllMaterialSql},
      {&s.list_orders, kListOrdersSql},
      {&s.list_open_orders, kListOpenOrdersSql},
      {&s.insert_reject, kInsertRejectSql},
      {&s.bump_rejects, kBumpRejectsSql},
      {&s.trim_rejects, kTrimRejectsSql},
      {&s.recent_rejects, kRecentRejectsSql},
      {&s.reject_total, kRejectTotalSql},
      {&s.event_count, kEventCountSql},
  };
  for (const auto& [slot, sql] : all) {
    sqlite3_stmt* raw = nullptr;
    int rc =
        sqlite3_prepare_v3(store->db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    slot->reset(raw);
    if (rc != SQLITE_OK) return store->SqlError(rc, "preparing statements");
  }
  return store;
}

SqliteStore::SqliteStore(DbPtr db, std::string path, Rules rules, std::size_t max_rejects)
    : db_(std::move(db)),
      path_(std::move(path)),
      rules_(std::move(rules)),
      max_rejects_(max_rejects),
      stmts_(std::make_unique<Statements>()) {}

SqliteStore::~SqliteStore() = default;

Error SqliteStore::SqlError(int rc, const char* what) const {
  return MakeSqlError(db_.get(), rc, path_, what);
}

// ---------------------------------------------------------------------------
// Writing.

void SqliteStore::SetRules(const Rules& rules) { rules_ = rules; }

Status SqliteStore::Run(sqlite3_stmt* stmt, const char* what) {
  Use q(stmt);
  int rc = q.Step();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return SqlError(rc, what);
  return Ok{};
}

void SqliteStore::RollbackIfActive() {
  if (sqlite3_get_autocommit(db_.get())) return;  // no transaction open (or already rolled back)
  Use q(stmts_->rollback.get());
  if (q.Step() != SQLITE_DONE) {
    // Last resort: a transaction must never stay open after an error.
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

// Leaves the store ready for a retry. On a full disk the WAL may be what
// fills it, and the WAL is only reset by a checkpoint, which the next commit
// would never reach: so try one now (best effort; it fails too while there is
// no room for the pages it writes back, and the caller retries later).
void SqliteStore::AfterFailedWrite(const Error& error) {
  RollbackIfActive();
  if (error.kind == ErrorKind::kFull)
    sqlite3_exec(db_.get(), "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
}

Result<AppendStatus> SqliteStore::Append(const StageEvent& event) {
  Result<AppendStatus> result = NoThrow([&] { return AppendInTransaction(event); });
  if (!result) AfterFailedWrite(result.error());
  return result;
}

Result<AppendStatus> SqliteStore::AppendInTransaction(const StageEvent& event) {
  if (auto s = Run(stmts_->begin.get(), "beginning the append"); !s) return s.error();
  auto inserted = InsertEvent(event);
  if (!inserted) return inserted.error();
  if (inserted.value()) {
    if (auto s = RefreshSummary(event); !s) return s.error();
  }
  if (auto s = Run(stmts_->commit.get(), "committing the append"); !s) return s.error();
  return inserted.value() ? AppendStatus::kInserted : AppendStatus::kDuplicate;
}

// true when inserted, false when event_key was already stored.
Result<bool> SqliteStore::InsertEvent(const StageEvent& event) {
  Use q(stmts_->insert_event.get());
  BindEvent(q, event);
  int rc = q.Step();
  if (rc != SQLITE_DONE) return SqlError(rc, "inserting the event");
  return sqlite3_changes(db_.get()) > 0;
}

// The summary row follows every inserted event. Usually the event is the
// latest of its order (devices report stages as they happen): the stored row
// is then updated from the event alone (AppendToSummary). Otherwise (a new
// order, a late or same-time event, an unreadable row) the summary is
// recomputed from all of the order's events. Both give the same row.
Status SqliteStore::RefreshSummary(const StageEvent& event) {
  std::optional<OrderSummary> summary;
  {
    Use q(stmts_->find_order.get());
    q.Text(1, event.order_id);
    int rc = q.Step();
    if (rc == SQLITE_ROW) {
      summary = ReadSummary(q);
    } else if (rc != SQLITE_DONE) {
      return SqlError(rc, "reading the order summary");
    }
  }
  if (summary) {
    const auto confirmed = summary->confirmed_at;
    const auto shipped = summary->shipped_at;
    if (AppendToSummary(*summary, event)) {
      const bool keys_same = summary->confirmed_at == confirmed && summary->shipped_at == shipped;
      Use q(keys_same ? stmts_->update_order.get() : stmts_->upsert_order.get());
      BindSummary(q, *summary);
      int rc = q.Step();
      if (rc != SQLITE_DONE) return SqlError(rc, "updating the order summary");
      if (sqlite3_changes(db_.get()) == 1) return Ok{};
      // No row matched (cannot happen inside our transaction): recompute below.
    }
  }
  return RecomputeSummary(event.order_id);
}

Status SqliteStore::RecomputeSummary(const std::string& order_id) {
  auto events = LoadEvents(stmts_->order_events_no_raw.get(), order_id, /*with_raw=*/false);
  if (!events) return events.error();
  if (events.value().empty()) {
    return MakeError(ErrorKind::kInternal, path_ + ": inserted event of order " + order_id +
                                               " not found in its own transaction");
  }
  OrderSummary summary = SummarizeOrder(std::move(events.value()), rules_);
  Use q(stmts_->upsert_order.get());
  BindSummary(q, summary);
  int rc = q.Step();
  if (rc != SQLITE_DONE) return SqlError(rc, "updating the order summary");
  return Ok{};
}

Status SqliteStore::AppendReject(const Reject& reject) {
  Status result = NoThrow([&] { return AppendRejectInTransaction(reject); });
  if (!result) AfterFailedWrite(result.error());
  return result;
}

Status SqliteStore::AppendRejectInTransaction(const Reject& reject) {
  if (auto s = Run(stmts_->begin.get(), "beginning the reject"); !s) return s;
  {
    Use q(stmts_->insert_reject.get());
    q.Int(1, ToEpochMs(reject.received_at)).Text(2, reject.topic).Text(3, reject.reason);
    q.Blob(4, reject.raw_payload).Int(5, static_cast<std::int64_t>(reject.payload_size));
    int rc = q.Step();
    if (rc != SQLITE_DONE) return SqlError(rc, "inserting the reject");
  }
  if (auto s = Run(stmts_->bump_rejects.get(), "counting the reject"); !s) return s;
  {
    Use q(stmts_->trim_rejects.get());
    q.Int(1, static_cast<std::int64_t>(std::min<std::size_t>(max_rejects_, kMaxMs)));
    int rc = q.Step();
    if (rc != SQLITE_DONE) return SqlError(rc, "rotating rejects");
  }
  return Run(stmts_->commit.get(), "committing the reject");
}

// ---------------------------------------------------------------------------
// Reading. Each query is one statement: its own consistent snapshot.

Result<std::vector<StageEvent>> SqliteStore::LoadEvents(sqlite3_stmt* stmt,
                                                        const std::string& order_id,
                                                        bool with_raw) {
  Use q(stmt);
  q.Text(1, order_id);
  std::vector<StageEvent> events;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) events.push_back(ReadEvent(q, with_raw));
  if (rc != SQLITE_DONE) return SqlError(rc, "reading the order's events");
  return events;
}

Result<std::vector<StageEvent>> SqliteStore::OrderEvents(const std::string& order_id) {
  return NoThrow([&]() -> Result<std::vector<StageEvent>> {
    auto events = LoadEvents(stmts_->order_events.get(), order_id, /*with_raw=*/true);
    if (!events) return events.error();
    if (events.value().empty()) {
      return MakeError(ErrorKind::kNotFound, "no events for order " + order_id);
    }
    SortTimeline(events.value(), rules_);
    return events;
  });
}

Result<OrderSummary> SqliteStore::FindOrder(const std::string& order_id) {
  return NoThrow([&]() -> Result<OrderSummary> {
    Use q(stmts_->find_order.get());
    q.Text(1, order_id);
    int rc = q.Step();
    if (rc == SQLITE_DONE) return MakeError(ErrorKind::kNotFound, "no order " + order_id);
    if (rc != SQLITE_ROW) return SqlError(rc, "reading the order");
    auto summary = ReadSummary(q);
    if (!summary) {
      return MakeError(ErrorKind::kCorrupt, path_ + ": bad return_reasons of order " + order_id);
    }
    return std::move(*summary);
  });
}

Status SqliteStore::VisitOrdersForKpi(const Window& window,
                                      const std::function<void(const OrderSummary&)>& visit) {
  return NoThrow([&]() -> Status {
    Use q(window.since ? stmts_->orders_for_kpi.get() : stmts_->all_orders.get());
    if (window.since) q.Int(1, SinceMs(window.since)).Int(2, UntilMs(window.until));
    return VisitSummaries(q, db_.get(), path_, "reading orders for KPIs", visit);
  });
}

Result<MaterialTotals> SqliteStore::MaterialInWindow(const Window& window) {
  return NoThrow([&]() -> Result<MaterialTotals> {
    const bool all_time = !window.since && !window.until;
    Use q(all_time ? stmts_->all_material.get() : stmts_->material.get());
    if (!all_time) q.Int(1, SinceMs(window.since)).Int(2, UntilMs(window.until));
    int rc = q.Step();
    if (rc != SQLITE_ROW) return SqlError(rc, "summing material");
    return MaterialTotals{q.Real(0), q.Real(1)};
  });
}

Result<std::vector<OrderSummary>> SqliteStore::ListOrders(const OrderFilter& filter) {
  return NoThrow([&]() -> Result<std::vector<OrderSummary>> {
    Use q(filter.open_only ? stmts_->list_open_orders.get() : stmts_->list_orders.get());
    q.Int(1, SinceMs(filter.since)).Int(2, LimitOrAll(filter.limit));
    return CollectSummaries(q, db_.get(), path_, "listing orders");
  });
}

Result<std::vector<Reject>> SqliteStore::RecentRejects(std::size_t limit) {
  return NoThrow([&]() -> Result<std::vector<Reject>> {
    Use q(stmts_->recent_rejects.get());
    q.Int(1, LimitOrAll(limit));
    std::vector<Reject> out;
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) out.push_back(ReadReject(q));
    if (rc != SQLITE_DONE) return SqlError(rc, "reading rejects");
    return out;
  });
}

Result<std::uint64_t> SqliteStore::CountQuery(sqlite3_stmt* stmt, const char* what) {
  Use q(stmt);
  int rc = q.Step();
  if (rc == SQLITE_DONE) return std::uint64_t{0};
  if (rc != SQLITE_ROW) return SqlError(rc, what);
  return static_cast<std::uint64_t>(q.Int(0));
}

Result<std::uint64_t> SqliteStore::RejectTotal() {
  return NoThrow(
      [&] { return CountQuery(stmts_->reject_total.get(), "reading the reject total"); });
}

Result<std::uint64_t> SqliteStore::EventCount() {
  return NoThrow([&] { return CountQuery(stmts_->event_count.get(), "counting events"); });
}

}  // namespace floortrack
