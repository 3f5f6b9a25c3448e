// Facade: catalog listings and details, rendered in a chosen format.
#pragma once
#include <string>

#include "tokenmath/report/table.hpp"

namespace tokenmath::api {
// models (src/api/catalog.cpp)
std::string list_models(report::Format f);
std::string show_model(const std::string& id_or_path, report::Format f);
// accelerators and systems (src/api/hardware.cpp)
std::string list_gpus(report::Format f);
std::string show_gpu(const std::string& id, report::Format f);
std::string list_systems(report::Format f);
std::string show_system(const std::string& id, report::Format f);
}  // namespace tokenmath::api
