// Rented GPUs: market $/GPU-hour by tier, per accelerator (data/rental_prices.yaml, from costs.md §2).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace tokenmath::cost {

// Tier names used in the data file, cheapest commitment last.
inline constexpr std::string_view kTierHyperscaler = "hyperscaler_on_demand";
inline constexpr std::string_view kTierNeocloud = "neocloud_on_demand";
inline constexpr std::string_view kTierReserved = "reserved";
// Interruptible capacity (hyperscaler spot / preemptible): cheap, reclaimable at short notice.
inline constexpr std::string_view kTierSpot = "spot";

struct RentalPrice {
  std::string gpu_id;                 // GpuSpec id
  std::string tier;                   // one of the kTier* names
  double usd_per_gpu_hour = 0;        // point value used by the planner (midpoint of the range unless noted)
  double low_usd_per_gpu_hour = 0;    // published range (equal to the point value when a single figure)
  double high_usd_per_gpu_hour = 0;
  std::string source;
  std::string date;
  bool derived = false;               // computed from other figures (formula in notes)
  std::string notes;
};

// Reads data/rental_prices.yaml. GPU ids are checked against `gpu_ids` when it is not empty.
std::vector<RentalPrice> load_rental_prices(const std::filesystem::path& path,
                                            const std::vector<std::string>& gpu_ids = {});

// Prices for one GPU id, in file order (empty when none is published).
std::vector<RentalPrice> rental_prices_for(const std::vector<RentalPrice>& all, std::string_view gpu_id);
// One tier for one GPU; nullptr when absent.
const RentalPrice* find_rental_price(const std::vector<RentalPrice>& all, std::string_view gpu_id,
                                     std::string_view tier);

}  // namespace tokenmath::cost
