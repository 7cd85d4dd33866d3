// Talks to systemd as a Type=notify service: the sd_notify(3) protocol, one
// datagram of "KEY=VALUE" lines to the AF_UNIX socket named by
// $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace). Both
// daemons use it instead of libsystemd, whose shared library and its own
// dependencies (liblzma, libzstd, liblz4, libgcrypt, libcap) would cost the
// agent more resident memory than the rest of its code (BENCHMARKS.md).
//
// Each call opens a socket, sends, and closes it: a few microseconds, no
// state. Thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace vigie {

// Sends `state` ("READY=1", "WATCHDOG=1", "STOPPING=1", ...). False when not
// run by systemd ($NOTIFY_SOCKET unset) or when the datagram could not be
// sent; callers go on either way, as with sd_notify.
bool SystemdNotify(std::string_view state);

// The watchdog interval systemd expects pings within ($WATCHDOG_USEC), in
// microseconds; 0 when there is no watchdog, or when $WATCHDOG_PID names
// another process. As sd_watchdog_enabled(3).
uint64_t SystemdWatchdogUsec();

}  // namespace vigie
