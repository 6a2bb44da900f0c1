#include "adapters/sqlite/schema.h"

#include <cstdio>
#include <string>
#include <string_view>

namespace floortrack::sqlite {
namespace {

// Step 1: the schema as floortrack 0.1.0 shipped it.
constexpr const char* kSchema1Sql = R"sql(
CREATE TABLE events(
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
CREATE INDEX events_by_order ON events(order_id, stage_ms);
CREATE INDEX events_material ON events(stage_ms, used_g, scrap_g) WHERE used_g IS NOT NULL;
CREATE TABLE orders(
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
CREATE INDEX orders_by_confirmed ON orders(confirmed_ms);
CREATE INDEX orders_by_shipped ON orders(shipped_ms);
CREATE INDEX orders_by_activity ON orders(current_stage_ms);
CREATE TABLE rejects(
  id INTEGER PRIMARY KEY,
  received_ms INTEGER NOT NULL,
  topic TEXT NOT NULL,
  reason TEXT NOT NULL,
  raw BLOB NOT NULL,
  payload_size INTEGER NOT NULL);
CREATE TABLE counters(
  name TEXT NOT NULL PRIMARY KEY,
  value INTEGER NOT NULL) WITHOUT ROWID;
PRAGMA application_id = 1181504594;
)sql";
static_assert(kStoreApplicationId == 1181504594, "keep kSchema1Sql's application_id in step");

// Step 2: named records (the rules in effect, the summaries' version, the
// subscribed filters), and the material index every 0.1.0 build did not
// yet have (0.1.0 created it at each start instead of in a step).
constexpr const char* kSchema2Sql = R"sql(
CREATE TABLE settings(
  name TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_material ON events(stage_ms, used_g, scrap_g) WHERE used_g IS NOT NULL;
DROP INDEX IF EXISTS events_material_by_time;
)sql";

// Step 3: the tail of content-only events (no event_id, no ts) that a new
// connection's first messages are matched against (core/event_identity.h).
constexpr const char* kSchema3Sql = R"sql(
CREATE TABLE delivery_tail(
  id INTEGER PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  matched INTEGER NOT NULL DEFAULT 0);
CREATE INDEX delivery_tail_by_fingerprint ON delivery_tail(fingerprint);
)sql";

// Step 4: batches (build plates, casting trees), recovered metal, and the
// saved state of devices that speak their own format.
constexpr const char* kSchema4Sql = R"sql(
ALTER TABLE events ADD COLUMN batch_id TEXT;
ALTER TABLE events ADD COLUMN recovered_g REAL;
CREATE INDEX events_by_batch ON events(batch_id) WHERE batch_id IS NOT NULL;
DROP INDEX IF EXISTS events_material;
CREATE INDEX events_material ON events(stage_ms, material_type, used_g, scrap_g, recovered_g,
                                       material_cost) WHERE used_g IS NOT NULL;
CREATE TABLE batch_members(
  batch_id TEXT NOT NULL,
  order_id TEXT NOT NULL,
  weight_g REAL,
  PRIMARY KEY(batch_id, order_id)) WITHOUT ROWID;
CREATE INDEX batch_members_by_order ON batch_members(order_id);
CREATE TABLE batch_events(
  event_key TEXT NOT NULL PRIMARY KEY,
  batch_id TEXT NOT NULL,
  content TEXT NOT NULL,
  stage TEXT NOT NULL,
  stage_ms INTEGER NOT NULL,
  station TEXT,
  result TEXT,
  material_type TEXT,
  used_g REAL,
  scrap_g REAL,
  recovered_g REAL,
  orders INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX batch_events_by_batch ON batch_events(batch_id, stage_ms);
CREATE TABLE device_state(
  device TEXT NOT NULL PRIMARY KEY,
  state TEXT NOT NULL,
  updated_ms INTEGER NOT NULL) WITHOUT ROWID;
)sql";

// Step 5: due dates and corrections (core/corrections.h): the event a void
// voids, and the summary columns for the promise, cancellation, hold, voids
// and production stage. The summaries are rebuilt after it (summary logic
// version 2), which fills the new columns from the events.
constexpr const char* kSchema5Sql = R"sql(
ALTER TABLE events ADD COLUMN voids TEXT;
CREATE INDEX events_voids ON events(order_id, voids) WHERE voids IS NOT NULL;
ALTER TABLE orders ADD COLUMN promised_ms INTEGER;
ALTER TABLE orders ADD COLUMN cancelled_ms INTEGER;
ALTER TABLE orders ADD COLUMN on_hold INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN void_events INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN production_stage TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN production_stage_ms INTEGER;
)sql";

// Step 6: extra kinds (core/extra_kinds.h) and the shop KPIs they feed: an
// event's items and feedback score; the summary's items, first packed time,
// design submission time and engagement. The summaries are rebuilt after it
// (summary logic version 3). Shift events carry no order (order_id ''):
// their partial index serves staff-hours; feedback scores and operator
// events theirs (csi, labor_pieces_per_hour; the latter covering, so the
// pieces of a window are read from the index alone); a design submitted apart from
// the confirmation is found by its own partial index.
constexpr const char* kSchema6Sql = R"sql(
ALTER TABLE events ADD COLUMN items INTEGER;
ALTER TABLE events ADD COLUMN score REAL;
CREATE INDEX events_shifts ON events(stage_ms) WHERE order_id = '';
CREATE INDEX events_scores ON events(stage_ms, score) WHERE score IS NOT NULL;
CREATE INDEX events_by_operator ON events(stage_ms, operator, stage, result, order_id)
  WHERE operator IS NOT NULL;
ALTER TABLE orders ADD COLUMN items INTEGER;
ALTER TABLE orders ADD COLUMN packed_ms INTEGER;
ALTER TABLE orders ADD COLUMN submitted_ms INTEGER;
ALTER TABLE orders ADD COLUMN engaged INTEGER NOT NULL DEFAULT 0;
CREATE INDEX orders_by_submitted ON orders(submitted_ms) WHERE submitted_ms IS NOT confirmed_ms;
)sql";

// Step 7: KPI rollups (core/kpi_rollup.h, issue 13). Per UTC day: the
// order-level sums per currency, the turnaround values (int64 little-endian
// milliseconds, added and taken back, in chunks of at most
// kTurnaroundChunk values so a shipment rewrites one small row, not the
// day's whole list), first and second orders of
// customers, material, feedback and pieces per operator and stage; and
// each customer's first two confirmations. Built by the writer after the
// migration (settings kpi_rollup_version), kept in every append. The
// indexes on packed, cancelled and customer find the orders of the day in
// progress; the writer leaves those columns out of its plain UPDATE, so
// they are written only when they change.
constexpr const char* kSchema7Sql = R"sql(
CREATE TABLE kpi_days(
  day INTEGER NOT NULL,
  currency TEXT NOT NULL,
  confirmed INTEGER NOT NULL DEFAULT 0,
  personalized INTEGER NOT NULL DEFAULT 0,
  open INTEGER NOT NULL DEFAULT 0,
  shipped INTEGER NOT NULL DEFAULT 0,
  with_promise INTEGER NOT NULL DEFAULT 0,
  on_time INTEGER NOT NULL DEFAULT 0,
  accurate INTEGER NOT NULL DEFAULT 0,
  first_pass INTEGER NOT NULL DEFAULT 0,
  engaged INTEGER NOT NULL DEFAULT 0,
  designs_submitted INTEGER NOT NULL DEFAULT 0,
  designs_converted INTEGER NOT NULL DEFAULT 0,
  production_orders INTEGER NOT NULL DEFAULT 0,
  production_ms INTEGER NOT NULL DEFAULT 0,
  production_items INTEGER NOT NULL DEFAULT 0,
  money_orders INTEGER NOT NULL DEFAULT 0,
  value_micros INTEGER NOT NULL DEFAULT 0,
  value_count INTEGER NOT NULL DEFAULT 0,
  shipped_cost_micros INTEGER NOT NULL DEFAULT 0,
  shipped_revenue_micros INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(day, currency)
) WITHOUT ROWID;
CREATE TABLE kpi_turnaround(
  day INTEGER NOT NULL,
  removed INTEGER NOT NULL,
  chunk INTEGER NOT NULL,
  vals BLOB NOT NULL,
  UNIQUE(day, removed, chunk)
);
CREATE TABLE customers(
  customer_id TEXT PRIMARY KEY,
  first_ms INTEGER NOT NULL,
  second_ms INTEGER
) WITHOUT ROWID;
CREATE INDEX customers_by_first ON customers(first_ms);
CREATE INDEX customers_by_second ON customers(second_ms) WHERE second_ms IS NOT NULL;
CREATE TABLE customer_days(
  day INTEGER PRIMARY KEY,
  firsts INTEGER NOT NULL DEFAULT 0,
  seconds INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE material_days(
  day INTEGER NOT NULL,
  material_type TEXT NOT NULL,
  events INTEGER NOT NULL DEFAULT 0,
  used_micros INTEGER NOT NULL DEFAULT 0,
  scrap_micros INTEGER NOT NULL DEFAULT 0,
  recovered_micros INTEGER NOT NULL DEFAULT 0,
  cost_micros INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(day, material_type)
) WITHOUT ROWID;
CREATE TABLE feedback_days(
  day INTEGER PRIMARY KEY,
  score_micros INTEGER NOT NULL DEFAULT 0,
  responses INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE piece_days(
  day INTEGER NOT NULL,
  operator TEXT NOT NULL,
  stage TEXT NOT NULL,
  failed INTEGER NOT NULL,
  items INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(day, operator, stage, failed)
) WITHOUT ROWID;
CREATE INDEX orders_by_packed ON orders(packed_ms) WHERE packed_ms IS NOT NULL;
CREATE INDEX orders_by_cancelled ON orders(cancelled_ms) WHERE cancelled_ms IS NOT NULL;
CREATE INDEX orders_by_customer ON orders(customer_id, confirmed_ms)
  WHERE customer_id IS NOT NULL AND confirmed_ms IS NOT NULL;
)sql";

// Flow and the late report read timelines index-only (events_timeline
// replaces events_by_order, a prefix of it), and find the returned orders
// back in production without walking every order (the open ones come from
// orders_by_shipped). orders_reworked holds returned orders only, so the
// usual event does not write it; its literals are repeated in
// flow_queries.cc's query.
constexpr const char* kSchema8Sql = R"sql(
CREATE INDEX events_timeline ON events(order_id, stage_ms, stage, received_ms, station);
DROP INDEX events_by_order;
CREATE INDEX orders_reworked ON orders(production_stage)
  WHERE return_reasons <> '' AND cancelled_ms IS NULL;
)sql";

struct Step {
  int version;       // the version this step produces
  const char* what;  // for progress and errors
  const char* sql;
};

constexpr Step kSteps[] = {
    {1, "events, orders, rejects and counters", kSchema1Sql},
    {2, "settings table and material index", kSchema2Sql},
    {3, "redelivery tail", kSchema3Sql},
    {4, "batches, recovered metal, device state", kSchema4Sql},
    {5, "due dates and corrections", kSchema5Sql},
    {6, "extra kinds: items, feedback scores, shifts", kSchema6Sql},
    {7, "KPI rollups", kSchema7Sql},
    {8, "timeline and reworked-order indexes", kSchema8Sql},
};
static_assert(sizeof(kSteps) / sizeof(kSteps[0]) == kStoreSchemaVersion,
              "one migration step per schema version");

Status RunStep(Database& db, const Step& step) {
  const std::string what = "migrating to schema " + std::to_string(step.version);
  if (auto s = db.Exec("BEGIN IMMEDIATE", what.c_str()); !s) return s;
  const std::string set_version = "PRAGMA user_version = " + std::to_string(step.version);
  Status s = db.Exec(step.sql, what.c_str());
  if (s) s = db.Exec(set_version.c_str(), what.c_str());
  if (s) s = db.Exec("COMMIT", what.c_str());
  if (!s) db.RollbackIfActive();
  return s;
}

}  // namespace

Result<int> CheckFile(Database& db) {
  auto app = db.QueryInt("PRAGMA application_id", "reading the database header");
  if (!app) return app.error();
  auto version = db.QueryInt("PRAGMA user_version", "reading the database header");
  if (!version) return version.error();
  auto objects = db.QueryInt("SELECT COUNT(*) FROM sqlite_master", "reading the database header");
  if (!objects) return objects.error();
  const std::string& path = db.path();
  if (version.value() > kStoreSchemaVersion) {
    return MakeError(ErrorKind::kCorrupt,
                     path + ": floortrack schema version " + std::to_string(version.value()) +
                         " is newer than this build supports (" +
                         std::to_string(kStoreSchemaVersion) + ")");
  }
  if (app.value() == 0 && objects.value() == 0 && version.value() == 0) return 0;
  if (app.value() != kStoreApplicationId) {
    char id[16];
    std::snprintf(id, sizeof id, "0x%08llX",
                  static_cast<unsigned long long>(app.value() & 0xFFFFFFFF));
    return MakeError(ErrorKind::kCorrupt, path + ": not a floortrack database (application_id " +
                                              id + ", " + std::to_string(objects.value()) +
                                              " schema objects); refusing to use it");
  }
  return static_cast<int>(version.value());
}

Status ConfigureForWriting(Database& db, bool synchronous_full) {
  {
    StmtPtr stmt;
    if (auto s = db.Prepare("PRAGMA journal_mode = WAL", stmt); !s) return s;
    int rc = sqlite3_step(stmt.get());
    if (rc != SQLITE_ROW) return db.SqlError(rc, "enabling WAL mode");
    const auto* mode = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
    if (!mode || std::string_view(mode) != "wal") {
      return MakeError(ErrorKind::kIo, db.path() + ": cannot enable WAL journal mode (got " +
                                           std::string(mode ? mode : "nothing") + ")");
    }
  }
  // Keep -wal and -shm when the daemon closes the database (checkpointed,
  // not deleted): a reader without write permission on the directory (the
  // CLI run by an unprivileged user) can open a WAL database only if both
  // files already exist. Set only now that the file is known to be ours, so
  // a refused foreign file is left without them.
  int persist_wal = 1;
  sqlite3_file_control(db.handle(), "main", SQLITE_FCNTL_PERSIST_WAL, &persist_wal);
  if (auto s = db.Exec(synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
                       "setting synchronous");
      !s) {
    return s;
  }
  // SQLite's default checkpoint interval (1000 WAL pages, ~4 MiB) stays: a
  // larger one measured ~10% faster ingest but needs that much free disk to
  // get out of a disk-full condition, since only a checkpoint resets the WAL
  // (tests/reliability/test_disk_full.py). journal_size_limit truncates the
  // kept -wal file back to 4 MiB after a reset.
  return db.Exec("PRAGMA journal_size_limit = 4194304", "limiting the WAL");
}

Status Migrate(Database& db, int from, const StoreProgressHandler& progress) {
  if (from == 0 && progress) progress({"creating the database " + db.path(), 0, 0});
  for (const Step& step : kSteps) {
    if (step.version <= from) continue;
    if (progress && from > 0) {
      progress({"migrating " + db.path() + " from schema " + std::to_string(step.version - 1) +
                    " to " + std::to_string(step.version) + ": " + step.what,
                static_cast<std::uint64_t>(step.version - from - 1),
                static_cast<std::uint64_t>(kStoreSchemaVersion - from)});
    }
    if (auto s = RunStep(db, step); !s) return s;
  }
  return Ok{};
}

}  // namespace floortrack::sqlite
