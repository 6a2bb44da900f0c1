// OrderReader: the store's read path, every OrderHistory query.
//
// Each query is one statement, so it sees one consistent snapshot of
// committed data and never blocks the writer (WAL). Timelines are sorted by
// the stage order of the Rules it is given (the rules record the daemon
// keeps in the database). Prepares only the read statements, so a read-only
// Database suffices. Borrows the Database (it must outlive the reader); used
// from one thread at a time.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/sqlite/database.h"
#include "adapters/sqlite/rows.h"
#include "adapters/sqlite/statement.h"
#include "core/order_history.h"

namespace floortrack::sqlite {

class OrderReader final : public OrderHistory {
 public:
  static Result<std::unique_ptr<OrderReader>> Create(Database& db, Rules rules);
  void SetRules(const Rules& rules) { rules_ = rules; }
  // Whether queries may read the KPI rollups where they are kept (default);
  // false computes everything from the orders and events (tests compare).
  void UseRollups(bool use) { use_rollups_ = use; }

  Result<std::vector<StageEvent>> OrderEvents(const std::string& order_id) override;
  Result<OrderSummary> FindOrder(const std::string& order_id) override;
  Status VisitOrdersForKpi(const Window& window,
                           const std::function<void(const OrderSummary&)>& visit) override;
  Result<MaterialTotals> MaterialInWindow(const Window& window) override;
  Result<std::vector<OrderSummary>> ListOrders(const OrderFilter& filter) override;
  Result<std::vector<Reject>> RecentRejects(std::size_t limit) override;
  Result<std::uint64_t> RejectTotal() override;
  Result<std::uint64_t> EventCount() override;
  Result<BatchView> FindBatch(const std::string& batch_id) override;
  Result<std::vector<std::string>> BatchesOfOrder(const std::string& order_id) override;
  // In flow_queries.cc; their statements are prepared on first use.
  Status VisitTimelinesForFlow(
      const Window& window,
      const std::function<void(const std::vector<StageEvent>&)>& visit) override;
  Status VisitEvents(const Window& window,
                     const std::function<void(const StageEvent&)>& visit) override;
  Status VisitOrders(const Window& window,
                     const std::function<void(const OrderSummary&)>& visit) override;
  Status VisitVoids(
      const std::function<void(const std::string&, const std::string&)>& visit) override;
  Status VisitShippedTimelines(const Window& shipped,
                               const std::function<void(std::vector<StageEvent>)>& visit) override;
  // In activity_queries.cc.
  Result<ActivityTotals> ActivityInWindow(const Window& window, TimePoint now) override;
  // In rollup_reader.cc.
  Result<std::optional<RollupKpiInputs>> KpisFromRollups(const Rules& rules,
                                                         const std::optional<TimePoint>& until,
                                                         TimePoint now) override;

 private:
  OrderReader(Database& db, Rules rules) : db_(db), rules_(std::move(rules)) {}
  Status Visit(Statement& q, const char* what,
               const std::function<void(const OrderSummary&)>& visit);
  Result<std::uint64_t> Count(sqlite3_stmt* stmt, const char* what);
  // Adds the material of [since, until) to `by_type`.
  Status ReadMaterial(std::int64_t since, std::int64_t until,
                      std::map<std::string, MaterialMicros>& by_type);
  // Feedback and pieces of [since, until) from the events: activity_queries.cc.
  Status ReadFeedbackAndPieces(std::int64_t since, std::int64_t until, ActivityTotals& out);
  // Whether reads may use the rollups (built, kept, and not switched off).
  Result<bool> RollupsReadable();
  // Material (into `material`) and feedback and pieces (into `activity`) of
  // [since, until): whole UTC days from the rollups, the partial days at
  // either end from the events. Either may be null. rollup_reader.cc.
  Status ReadEventFigures(std::int64_t since, std::int64_t until,
                          std::map<std::string, MaterialMicros>* material,
                          ActivityTotals* activity);
  // Retention's inputs for a window starting at since: counts from the
  // customer rollup, or each customer's row.
  Status ReadRetention(std::int64_t since, std::int64_t until, ActivityTotals& out);
  Status ReadCustomers(std::int64_t since, std::int64_t until, ActivityTotals& out);
  // The shift marks of [since, until).
  Status ReadShifts(std::int64_t since, std::int64_t until, ActivityTotals& out);
  // Adds the order-level rollups of the days before `day` to `in`: rollup_reader.cc.
  Status AddRollupDays(std::int64_t day, RollupKpiInputs& in,
                       std::vector<std::int64_t>& removed);
  // Streams the timelines `q` selects (flow_queries.cc's indexed timeline
  // rows, one order after another), sorted; an order with a void is read
  // again whole, so IsVoided can see the keys. Reused vector: `visit` may
  // move from it.
  Status VisitIndexedTimelines(Statement& q, const char* what,
                               const std::function<void(std::vector<StageEvent>&)>& visit);
  // Prepares `sql` into `slot` unless it already holds a statement.
  Status Prepared(StmtPtr& slot, const char* sql);

  Database& db_;
  Rules rules_;
  bool use_rollups_ = true;
  StmtPtr order_events_, find_order_, orders_for_kpi_, all_orders_, material_,
      list_orders_, list_open_orders_, recent_rejects_, reject_total_, event_count_, batch_members_,
      batch_events_, batches_of_order_, any_void_, material_unvoided_;
  StmtPtr flow_timelines_, shipped_timelines_, orders_with_voids_, order_timeline_,
      export_events_, export_orders_, export_all_orders_, voids_;  // flow_queries.cc
  StmtPtr customers_, feedback_, shifts_, pieces_, pieces_unvoided_;  // activity_queries.cc
  StmtPtr rollup_version_, kpi_days_, turnaround_days_, customer_days_, material_days_,
      feedback_days_, piece_days_, edge_orders_, edge_customers_;  // rollup_reader.cc
  StmtPtr customers_kept_, customers_at_start_, customers_returning_;  // activity_queries.cc
  StmtPtr rollups_kept_;
};

}  // namespace floortrack::sqlite
