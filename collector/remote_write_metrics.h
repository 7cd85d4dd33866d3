// remote_write's part of GET /metrics: the collector's own counters of what
// it sent, what the receiver refused and what waits, as text exposition
// families (vigie_remote_write_*). A collector without [remote_write] has none.
#pragma once

#include <string>

#include "collector/remote_writer.h"

namespace vigie::collector {

std::string RenderRemoteWriteMetrics(const RemoteWriteStats& stats);

}  // namespace vigie::collector
