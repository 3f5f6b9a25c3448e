// Small, dependency-free SVG charts for self-contained HTML reports: line charts (linear or log axes),
// horizontal bar charts and tornado charts. Output is deterministic text (fixed number formatting).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tokenmath::report::svg {

std::string escape(std::string_view text);  // XML-escapes &, <, >, "

// Tick positions for an axis from lo to hi: "nice" steps (1, 2, 5 x 10^k) on linear axes, decades on log axes.
std::vector<double> ticks(double lo, double hi, bool log_scale);
// Short axis label: 1.2k, 3.4M, 5G; `prefix` such as "$".
std::string short_number(double v, std::string_view prefix = "");

struct Series {
  std::string label;
  std::vector<std::pair<double, double>> points;  // (x, y), drawn in order
  bool dashed = false;
  bool faint = false;  // thin light-grey background curve, left out of the legend and the palette
};
struct Marker {
  double x = 0, y = 0;
  std::string label;
};
struct LineChart {
  std::string title, x_label, y_label;
  std::string x_prefix, y_prefix;  // e.g. "$"
  bool log_x = false, log_y = false;
  std::vector<Series> series;
  std::vector<Marker> markers;  // highlighted points with a label
  int width = 1000, height = 420;
};
std::string line_chart(const LineChart& c);

struct Bar {
  std::string label;
  double value = 0;
  bool highlight = false;
};
struct BarChart {
  std::string title, value_label, value_prefix;
  bool log_scale = false;
  std::vector<Bar> bars;                                        // drawn top to bottom
  std::vector<std::pair<std::string, double>> reference_lines;  // vertical lines (label, value)
  int width = 1000;
};
std::string bar_chart(const BarChart& c);

struct TornadoRow {
  std::string label;         // input name and its range
  double low = 0, high = 0;  // outcome at the input's low and high value
};
struct Tornado {
  std::string title, value_label, value_prefix;
  double base = 0;               // outcome at the scenario values
  std::vector<TornadoRow> rows;  // largest swing first
  int width = 1000;
};
std::string tornado_chart(const Tornado& t);

}  // namespace tokenmath::report::svg
