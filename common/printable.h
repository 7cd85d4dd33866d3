// Text that came from a device, a node or a peer, made safe to store, show
// and send: valid UTF-8 with no control characters, cut to a length. A disk
// model with a stray 0xff byte, a label holding "\nBcc:", or a terminal
// escape in a serial number all arrive here as something a person can read
// and that can never become a header, a log line of its own or markup.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vigie {

// True when `text` is valid UTF-8 (no overlong forms, no surrogates) and
// holds no C0 or C1 control character and no DEL.
bool IsPrintableUtf8(std::string_view text);

// `text` with each invalid UTF-8 sequence and each control character (C0,
// DEL, C1) replaced by U+FFFD, then cut at a character boundary to at most
// `max_bytes` bytes. Linear in the input; `max_bytes` below 3 still returns
// whole characters only.
std::string PrintableUtf8(std::string_view text, size_t max_bytes = std::string::npos);

// True when `text` is valid UTF-8; control characters allowed.
bool IsValidUtf8(std::string_view text);

// `text` with each invalid UTF-8 sequence replaced by U+FFFD, control
// characters kept: for a format that escapes them itself (JSON).
std::string ValidUtf8(std::string_view text);

}  // namespace vigie
