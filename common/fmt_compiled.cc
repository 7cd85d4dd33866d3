// fmt's compiled part, built from Debian's libfmt-dev headers. Debian ships
// libfmt.so but no archive, and the agent links its libraries statically
// (BENCHMARKS.md, agent footprint): this archive gives it the functions
// that the shared library would, for the same headers, instead of making
// every file of the project compile fmt as headers only (about 4 s more per
// file). The explicit instantiations are those format.h declares extern or
// leaves to the library.
#include <fmt/format-inl.h>

FMT_BEGIN_NAMESPACE
namespace detail {
template auto dragonbox::to_decimal(float x) noexcept -> dragonbox::decimal_fp<float>;
template auto dragonbox::to_decimal(double x) noexcept -> dragonbox::decimal_fp<double>;
template locale_ref::locale_ref(const std::locale& loc);
template auto locale_ref::get<std::locale>() const -> std::locale;
template auto thousands_sep_impl(locale_ref) -> thousands_sep_result<char>;
template auto decimal_point_impl(locale_ref) -> char;
}  // namespace detail
FMT_END_NAMESPACE
