#include "tokenmath/report/svg.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace tokenmath::report::svg {
namespace {

const char* const kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
constexpr int kPaletteSize = 10;

std::string header(int w, int h) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n",
      w, h);
}

// Maps a data value onto [a, b] pixels.
struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  double a = 0, b = 1;
  double operator()(double v) const {
    const double t = log ? (std::log10(std::max(v, 1e-300)) - std::log10(lo)) / (std::log10(hi) - std::log10(lo))
                         : (v - lo) / (hi - lo);
    return a + (b - a) * t;
  }
};

std::pair<double, double> padded_range(double lo, double hi, bool log, bool from_zero) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {log ? 1 : 0, log ? 10 : 1};
  if (log) {
    lo = std::pow(10.0, std::floor(std::log10(std::max(lo, 1e-300))));
    hi = std::pow(10.0, std::ceil(std::log10(std::max(hi, lo * 10))));
    if (hi <= lo) hi = lo * 10;
    return {lo, hi};
  }
  if (from_zero) lo = std::min(lo, 0.0);
  if (hi <= lo) hi = lo + 1;
  const auto t = ticks(lo, hi, false);
  const double step = t.size() > 1 ? t[1] - t[0] : (hi - lo);
  return {std::floor(lo / step) * step, std::ceil(hi / step) * step};
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::vector<double> ticks(double lo, double hi, bool log_scale) {
  std::vector<double> out;
  if (!(hi > lo)) return {lo};
  if (log_scale) {
    for (double v = std::pow(10.0, std::ceil(std::log10(lo) - 1e-9)); v <= hi * (1 + 1e-9); v *= 10) out.push_back(v);
    return out;
  }
  const double raw = (hi - lo) / 6;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
    out.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
  return out;
}

std::string short_number(double v, std::string_view prefix) {
  const double a = std::fabs(v);
  const char* sign = v < 0 ? "-" : "";
  auto fmt1 = [](double x) {
    std::string s = fmt::format("{:.2f}", x);
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  };
  if (a >= 1e12) return fmt::format("{}{}{}T", sign, prefix, fmt1(a / 1e12));
  if (a >= 1e9) return fmt::format("{}{}{}B", sign, prefix, fmt1(a / 1e9));
  if (a >= 1e6) return fmt::format("{}{}{}M", sign, prefix, fmt1(a / 1e6));
  if (a >= 1e3) return fmt::format("{}{}{}k", sign, prefix, fmt1(a / 1e3));
  if (a >= 0.01 || a == 0) return fmt::format("{}{}{}", sign, prefix, fmt1(a));
  std::string s = fmt::format("{:.6f}", a);  // keep two significant digits of small values
  const auto first = s.find_first_not_of("0.");
  s = s.substr(0, std::min(s.size(), first + 2));
  while (s.back() == '0') s.pop_back();
  return fmt::format("{}{}{}", sign, prefix, s);
}

std::string line_chart(const LineChart& c) {
  const int left = 80, right = 320, top = 40, bottom = 55;
  double xlo = std::numeric_limits<double>::infinity(), xhi = -xlo, ylo = xlo, yhi = -xlo;
  auto take = [&](double x, double y) {
    if (!std::isfinite(x) || !std::isfinite(y) || (c.log_x && x <= 0) || (c.log_y && y <= 0)) return;
    xlo = std::min(xlo, x), xhi = std::max(xhi, x), ylo = std::min(ylo, y), yhi = std::max(yhi, y);
  };
  for (const auto& s : c.series)
    for (const auto& [x, y] : s.points) take(x, y);
  for (const auto& m : c.markers) take(m.x, m.y);
  const auto [x0, x1] = padded_range(xlo, xhi, c.log_x, !c.log_x);
  const auto [y0, y1] = padded_range(ylo, yhi, c.log_y, !c.log_y);
  const Axis X{x0, x1, c.log_x, static_cast<double>(left), static_cast<double>(c.width - right)};
  const Axis Y{y0, y1, c.log_y, static_cast<double>(c.height - bottom), static_cast<double>(top)};

  std::string out = header(c.width, c.height);
  out +=
      fmt::format("<text x=\"{}\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{}</text>\n", left, escape(c.title));
  for (double t : ticks(x0, x1, c.log_x)) {
    const double px = X(t);
    out += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#e5e5e5\"/>"
        "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
        px, top, c.height - bottom, c.height - bottom + 16, escape(short_number(t, c.x_prefix)));
  }
  for (double t : ticks(y0, y1, c.log_y)) {
    const double py = Y(t);
    out += fmt::format(
        "<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#e5e5e5\"/>"
        "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
        left, py, c.width - right, left - 6, py + 4, escape(short_number(t, c.y_prefix)));
  }
  out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#444\"/>\n", left, top,
                     c.width - right - left, c.height - bottom - top);
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", (left + c.width - right) / 2,
                     c.height - 14, escape(c.x_label));
  out += fmt::format("<text transform=\"translate(18,{}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
                     (top + c.height - bottom) / 2, escape(c.y_label));
  std::size_t legend = 0;
  for (std::size_t i = 0; i < c.series.size(); ++i) {
    const auto& s = c.series[i];
    std::string pts;
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(x) || !std::isfinite(y) || (c.log_x && x <= 0) || (c.log_y && y <= 0)) continue;
      pts += fmt::format("{:.1f},{:.1f} ", X(x), Y(y));
    }
    if (s.faint) {
      out += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"#c8c8c8\" stroke-width=\"1\"/>\n", pts);
      continue;
    }
    const char* color = kPalette[legend % kPaletteSize];
    out += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{}/>\n", pts, color,
                       s.dashed ? " stroke-dasharray=\"6,4\"" : "");
    const int ly = top + 14 + static_cast<int>(legend++) * 18;
    out += fmt::format(
        "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\" stroke-width=\"2\"{5}/>"
        "<text x=\"{4}\" y=\"{6}\">{7}</text>\n",
        c.width - right + 10, ly, c.width - right + 30, color, c.width - right + 35,
        s.dashed ? " stroke-dasharray=\"6,4\"" : "", ly + 4, escape(s.label));
  }
  for (const auto& m : c.markers) {
    out += fmt::format(
        "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"5\" fill=\"#000\"/>"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" font-weight=\"bold\">{}</text>\n",
        X(m.x), Y(m.y), X(m.x) + 8, Y(m.y) - 8, escape(m.label));
  }
  return out + "</svg>\n";
}

std::string bar_chart(const BarChart& c) {
  const int left = 300, right = 90, top = 40, row = 22, bottom = 50;
  const int height = top + row * static_cast<int>(c.bars.size()) + bottom;
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (const auto& b : c.bars)
    if (b.value > 0) lo = std::min(lo, b.value), hi = std::max(hi, b.value);
  for (const auto& [l, v] : c.reference_lines)
    if (v > 0) lo = std::min(lo, v), hi = std::max(hi, v);
  const auto [v0, v1] = padded_range(c.log_scale ? lo : 0, hi, c.log_scale, true);
  const Axis X{v0, v1, c.log_scale, static_cast<double>(left), static_cast<double>(c.width - right)};
  std::string out = header(c.width, height);
  out += fmt::format("<text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{}</text>\n", escape(c.title));
  for (double t : ticks(v0, v1, c.log_scale)) {
    out += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#e5e5e5\"/>"
        "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
        X(t), top, height - bottom, height - bottom + 16, escape(short_number(t, c.value_prefix)));
  }
  for (std::size_t i = 0; i < c.bars.size(); ++i) {
    const auto& b = c.bars[i];
    const int y = top + static_cast<int>(i) * row;
    const double x0 = X(v0), x1 = b.value > 0 ? X(b.value) : x0;
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", left - 6, y + 15, escape(b.label));
    out += fmt::format("<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\"/>", x0, y + 3,
                       std::max(0.0, x1 - x0), row - 6, b.highlight ? "#d62728" : "#1f77b4");
    out += fmt::format("<text x=\"{:.1f}\" y=\"{}\">{}</text>\n", x1 + 4, y + 15,
                       escape(short_number(b.value, c.value_prefix)));
  }
  for (std::size_t i = 0; i < c.reference_lines.size(); ++i) {
    const auto& [label, v] = c.reference_lines[i];
    out += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#000\" "
        "stroke-dasharray=\"5,3\"/><text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"end\">{4}</text>\n",
        X(v), top - 4, height - bottom, top - 8 - 12 * static_cast<int>(i) + 12 * 0,
        escape(label + " " + short_number(v, c.value_prefix)));
  }
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", (left + c.width - right) / 2,
                     height - 12, escape(c.value_label));
  return out + "</svg>\n";
}

std::string tornado_chart(const Tornado& t) {
  const int left = 320, right = 110, top = 40, row = 30, bottom = 50;
  const int height = top + row * static_cast<int>(t.rows.size()) + bottom;
  double lo = t.base, hi = t.base;
  for (const auto& r : t.rows) {
    for (double v : {r.low, r.high})
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  const auto [v0, v1] = padded_range(lo, hi, false, false);
  const Axis X{v0, v1, false, static_cast<double>(left), static_cast<double>(t.width - right)};
  std::string out = header(t.width, height);
  out += fmt::format("<text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{}</text>\n", escape(t.title));
  for (double v : ticks(v0, v1, false))
    out += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#e5e5e5\"/>"
        "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
        X(v), top, height - bottom, height - bottom + 16, escape(short_number(v, t.value_prefix)));
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const auto& r = t.rows[i];
    const int y = top + static_cast<int>(i) * row;
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", left - 6, y + 19, escape(r.label));
    const double base = X(t.base);
    for (const auto& [v, color, name] : {std::tuple{r.low, "#2ca02c", "low"}, std::tuple{r.high, "#d62728", "high"}}) {
      if (!std::isfinite(v)) continue;
      const double px = X(v);
      out += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\" opacity=\"0.8\">"
          "<title>{} input: {}</title></rect>",
          std::min(px, base), y + 5, std::fabs(px - base), row - 10, color, name,
          escape(short_number(v, t.value_prefix)));
    }
    out += "\n";
  }
  out += fmt::format(
      "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#000\"/>"
      "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">base {4}</text>\n",
      X(t.base), top - 4, height - bottom, top - 8, escape(short_number(t.base, t.value_prefix)));
  out += fmt::format(
      "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{} (green: input at its low value, red: at its "
      "high value)</text>\n",
      (left + t.width - right) / 2, height - 12, escape(t.value_label));
  return out + "</svg>\n";
}

}  // namespace tokenmath::report::svg
