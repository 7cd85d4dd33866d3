// A strict reader of the Prometheus text exposition format 0.0.4, for the
// targets that render /metrics from hostile reports: whatever a report
// holds, the page must stay parseable, or one node's strings could hide or
// forge another's samples.
#pragma once

#include <string>
#include <string_view>

namespace vigie::fuzz {

// "" when every line of `page` is a "# HELP name text" or "# TYPE name type"
// line (each family declared once, HELP then TYPE) or a sample of the family
// declared last: name{label="value",...} value, with valid metric and label
// names, values escaped (\\, \", \n only), and a value Prometheus parses;
// with `printable`, every line is also printable UTF-8 (common/printable.h),
// as Prometheus requires of label values. Otherwise the first fault and its
// line.
std::string ExpositionFault(std::string_view page, bool printable);

}  // namespace vigie::fuzz
