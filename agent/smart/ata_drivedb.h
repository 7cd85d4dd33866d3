// A small subset of smartmontools' drive database (drivedb.h): the entries
// whose "-v" presets change how smartctl names or prints an attribute of a
// drive in our fleet (tests/fixtures/smart/*). Each preset keeps its drivedb
// family name, model regex and the presets we implement; a drive that no
// preset matches is decoded with DefaultAtaAttributeDefs(), exactly like
// smartctl with a drive it does not know.
//
// Constant tables; thread-safe.
#pragma once

#include <string_view>
#include <vector>

#include "agent/smart/ata_raw_format.h"

namespace vigie::agent::smart {

struct AtaPresetDef {
  uint8_t id;
  AtaAttributeDef def;
};

struct AtaDrivePreset {
  // drivedb "model family", e.g. "Seagate Barracuda 7200.14 (AF)".
  std::string_view family;
  // drivedb model regex (POSIX extended, whole-string match).
  std::string_view model_regex;
  // drivedb firmware regex; empty matches any firmware.
  std::string_view firmware_regex;
  // The "-v" presets of that entry that we implement.
  std::vector<AtaPresetDef> defs;
};

// The first preset whose model (and firmware, when it has one) regex matches
// the whole IDENTIFY model / firmware string, as smartctl's lookup does; null
// when none does.
const AtaDrivePreset* FindAtaDrivePreset(std::string_view model, std::string_view firmware);

// Whether a drivedb pattern compiles as a POSIX extended regex (a pattern
// that does not never matches).
bool AtaDrivePatternCompiles(std::string_view pattern);

// DEFAULT table with the preset's definitions applied on top (preset may be
// null). smartctl's rule: a preset's name replaces the default name only when
// it gives one.
AtaAttributeDefs AtaAttributeDefsFor(const AtaDrivePreset* preset);

// All presets, for tests and `vigie-agent --once` diagnostics.
const std::vector<AtaDrivePreset>& AtaDrivePresets();

}  // namespace vigie::agent::smart
