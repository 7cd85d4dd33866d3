// Linked into the static vigie-agent only (agent/CMakeLists.txt). Every
// object of Debian's libprotobuf-lite.a, and every file including protobuf's
// headers, includes <iostream>, whose static initialiser constructs
// std::cout, std::cin, std::cerr and std::clog, and with them the C++
// locale, whose set-up code is spread over libstdc++: with the agent's own
// fstreams gone too, ~230 kB less resident (BENCHMARKS.md, agent footprint)
// for streams the agent never uses. These definitions take the place of
// libstdc++'s, so the standard streams are never constructed. The agent logs
// through stdio (common/log.h) and reads files with read(2); a test
// (static_executable_test.sh) fails if the executable comes to contain a standard
// stream object, which would then be used unconstructed.
#include <ios>

namespace std {

ios_base::Init::Init() {}
ios_base::Init::~Init() {}

}  // namespace std
