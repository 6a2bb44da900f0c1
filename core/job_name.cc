#include "core/job_name.h"

#include <algorithm>

namespace floortrack {

JobNameParser::JobNameParser(const std::string& orders_from_job,
                             const std::string& batch_from_job) {
  // The config refused patterns that do not compile; an odd one left here
  // simply matches nothing.
  try {
    if (!orders_from_job.empty()) orders_.emplace(orders_from_job);
    if (!batch_from_job.empty()) batch_.emplace(batch_from_job);
  } catch (const std::regex_error&) {
  }
}

JobRefs JobNameParser::Parse(std::string_view job) const {
  JobRefs refs;
  const std::string text(job);
  if (orders_) {
    for (auto it = std::sregex_iterator(text.begin(), text.end(), *orders_);
         it != std::sregex_iterator(); ++it) {
      std::string id = it->str();
      if (!id.empty() && std::find(refs.orders.begin(), refs.orders.end(), id) == refs.orders.end())
        refs.orders.push_back(std::move(id));
    }
  }
  std::smatch m;
  if (batch_ && std::regex_search(text, m, *batch_)) refs.batch = m.str();
  return refs;
}

}  // namespace floortrack
