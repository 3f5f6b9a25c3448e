// Errors that end a request because an input is wrong. Each names where the bad value came from
// (file, field as a JSON pointer or YAML key path, the value) so the CLI can print one actionable line.
// Expected outcomes (an infeasible deployment, a skipped validation row) are values, never exceptions.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tokenmath {

// Errors in a request's own options (not in a file) name the origin kRequest and the option in backticks, e.g.
// InputError(kRequest, "`min_tok_s_user`", "-1", "must be ... (`tp` ...)"): each frontend words them its way
// (the CLI: "<command line>" and --min-tok-s-user; HTTP: the JSON field), so nothing below apps/ names a flag.
inline constexpr const char* kRequest = "<request>";

class InputError : public std::runtime_error {
 public:
  // file: path or logical source ("<command line>"); field: JSON pointer / key path ("" if n/a);
  // value: the offending value as text ("" if absent); problem: what is wrong and what would be accepted.
  InputError(std::string file, std::string field, std::string value, std::string problem);

  const std::string& file() const { return file_; }
  const std::string& field() const { return field_; }
  const std::string& value() const { return value_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string file_, field_, value_, problem_;
};

// A request error worded for one frontend: origin kRequest becomes `origin`, and every `option_name` in backticks
// (lower-case letters, digits, underscores) in the field and the problem becomes option_word(name) - "--name" on
// the command line, the bare name for JSON and Python. Other backticked text (`tokenmath gpus`) is kept.
std::string reword_request_error(const InputError& e, std::string_view origin,
                                 std::string (*option_word)(std::string_view name));

// Formats "file: field: value 'x': problem" on one line (parts that are empty are left out).
std::string format_input_error(std::string_view file, std::string_view field, std::string_view value,
                               std::string_view problem);

// Levenshtein distance, case-insensitive.
std::size_t edit_distance(std::string_view a, std::string_view b);

// Up to `max` candidates closest to `name` (case-insensitive edit distance), best first, within a tolerance
// proportional to the name's length. Used for "did you mean" hints.
std::vector<std::string> closest_names(std::string_view name, const std::vector<std::string>& candidates,
                                       std::size_t max = 3);

// "; did you mean 'a' or 'b'?" or "" when nothing is close.
std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates);

std::string to_lower(std::string_view s);

}  // namespace tokenmath
