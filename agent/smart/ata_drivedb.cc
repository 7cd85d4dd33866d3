#include "agent/smart/ata_drivedb.h"

#include <regex.h>

#include <mutex>
#include <string>

#include <fmt/format.h>

namespace vigie::agent::smart {
namespace {

using F = AtaRawFormat;

// Entries of smartmontools 7.3's drivedb.h as Debian 12 ships it
// (/usr/share/smartmontools/drivedb.h, "$Id: drivedb.h 5319 2022-02-19"),
// in that file's order, limited to the families of our fleet. Model regexes
// keep only the alternatives for those series; entries of one family that
// differ only in firmware regex and share the same presets are merged.
// "-F" firmware-bug options (e.g. Momentus 5400.6 "-F xerrorlba", which only
// changes how error-log LBAs print) are not implemented.
std::vector<AtaDrivePreset> BuildPresets() {
  return {
      {"Crucial/Micron Client SSDs",
       "CT(250|500|1000|2000)MX500SSD[14]|CT(120|240|480|960|[12]000)BX500SSD1",
       "",
       {{5, {F::kRaw48, "", "Reallocate_NAND_Blk_Cnt"}},
        {170, {F::kRaw48, "", "Reserved_Block_Count"}},
        {171, {F::kRaw48, "", "Program_Fail_Count"}},
        {172, {F::kRaw48, "", "Erase_Fail_Count"}},
        {173, {F::kRaw48, "", "Ave_Block-Erase_Count"}},
        {174, {F::kRaw48, "", "Unexpect_Power_Loss_Ct"}},
        {180, {F::kRaw48, "", "Unused_Reserve_NAND_Blk"}},
        {183, {F::kRaw48, "", "SATA_Interfac_Downshift"}},
        {184, {F::kRaw48, "", "Error_Correction_Count"}},
        {195, {F::kRaw48, "", "Cumulativ_Corrected_ECC"}},
        {197, {F::kRaw48, "", "Current_Pending_ECC_Cnt"}},
        {202, {F::kRaw48, "", "Percent_Lifetime_Remain"}},
        {206, {F::kRaw48, "", "Write_Error_Rate"}},
        {210, {F::kRaw48, "", "Success_RAIN_Recov_Cnt"}},
        {223, {F::kRaw48, "", "Unkn_CrucialMicron_Attr"}},
        {246, {F::kRaw48, "", "Total_LBAs_Written"}},
        {247, {F::kRaw48, "", "Host_Program_Page_Count"}},
        {248, {F::kRaw48, "", "FTL_Program_Page_Count"}},
        {249, {F::kRaw48, "", "Unkn_CrucialMicron_Attr"}},
        {251, {F::kRaw48, "", "Unkn_CrucialMicron_Attr"}},
        {252, {F::kRaw48, "", "Unkn_CrucialMicron_Attr"}},
        {253, {F::kRaw48, "", "Unkn_CrucialMicron_Attr"}},
        {254, {F::kRaw48, "", "Unkn_CrucialMicron_Attr"}}}},
      {"Micron 5100 Pro / 52x0 / 5300 SSDs",
       "(Micron_5100_)?(EE|MT)FDDA[KV](240|480|960|1T9|3T8|7T6)T(BY|CB|CC)|"
       "(Micron_5200_)?MTFDDAK(480|960|1T9|3T8|7T6)TD(C|D|N)|"
       "Micron_5210_MTFDDAK(480|960|1T9|3T8|7T6)QDE|"
       "Micron_5300(HC)?_MTFDDA[KV](240|480|960|1T9|3T8|7T6)TD[ST]",
       "",
       {{170, {F::kRaw48, "", "Reserved_Block_Pct"}},
        {171, {F::kRaw48, "", "Program_Fail_Count"}},
        {172, {F::kRaw48, "", "Erase_Fail_Count"}},
        {173, {F::kRaw48, "", "Avg_Block-Erase_Count"}},
        {174, {F::kRaw48, "", "Unexpect_Power_Loss_Ct"}},
        {183, {F::kRaw48, "", "SATA_Int_Downshift_Ct"}},
        {202, {F::kRaw48, "", "Percent_Lifetime_Remain"}},
        {206, {F::kRaw48, "", "Write_Error_Rate"}},
        {210, {F::kRaw48, "", "RAIN_Success_Recovered"}},
        {211, {F::kRaw48, "", "Integ_Scan_Complete_Cnt"}},
        {212, {F::kRaw48, "", "Integ_Scan_Folding_Cnt"}},
        {213, {F::kRaw48, "", "Integ_Scan_Progress"}},
        {246, {F::kRaw48, "", "Total_LBAs_Written"}},
        {247, {F::kRaw48, "", "Host_Program_Page_Count"}},
        {248, {F::kRaw48, "", "Bckgnd_Program_Page_Cnt"}}}},
      {"SandForce Driven SSDs",
       "KINGSTON SKC(300S37A|380S3)(60|120|180|240|480)G|KINGSTON (SV300|SKC100|SE100)S3.*G",
       "",
       {{1, {F::kRaw24DivRaw32, "", "Raw_Read_Error_Rate"}},
        {5, {F::kRaw48, "", "Retired_Block_Count"}},
        {9, {F::kMsec24Hour32, "", "Power_On_Hours_and_Msec"}},
        {13, {F::kRaw24DivRaw32, "", "Soft_Read_Error_Rate"}},
        {100, {F::kRaw48, "", "Gigabytes_Erased"}},
        {162, {F::kRaw48, "", "Unknown_SandForce_Attr"}},
        {170, {F::kRaw48, "", "Reserve_Block_Count"}},
        {171, {F::kRaw48, "", "Program_Fail_Count"}},
        {172, {F::kRaw48, "", "Erase_Fail_Count"}},
        {173, {F::kRaw48, "", "Unknown_SandForce_Attr"}},
        {174, {F::kRaw48, "", "Unexpect_Power_Loss_Ct"}},
        {177, {F::kRaw48, "", "Wear_Range_Delta"}},
        {181, {F::kRaw48, "", "Program_Fail_Count"}},
        {182, {F::kRaw48, "", "Erase_Fail_Count"}},
        {184, {F::kRaw48, "", "IO_Error_Detect_Code_Ct"}},
        {189, {F::kTempMinMax, "", "Airflow_Temperature_Cel"}},
        {195, {F::kRaw24DivRaw32, "", "ECC_Uncorr_Error_Count"}},
        {198, {F::kRaw24DivRaw32, "210zr54", "Uncorrectable_Sector_Ct"}},
        {199, {F::kRaw48, "", "SATA_CRC_Error_Count"}},
        {201, {F::kRaw24DivRaw32, "", "Unc_Soft_Read_Err_Rate"}},
        {204, {F::kRaw24DivRaw32, "", "Soft_ECC_Correct_Rate"}},
        {218, {F::kRaw48, "", "Unknown_SandForce_Attr"}},
        {230, {F::kRaw48, "", "Life_Curve_Status"}},
        {231, {F::kRaw48, "", "SSD_Life_Left"}},
        {233, {F::kRaw48, "", "SandForce_Internal"}},
        {234, {F::kRaw48, "", "SandForce_Internal"}},
        {235, {F::kRaw48, "", "SuperCap_Health"}},
        {241, {F::kRaw48, "", "Lifetime_Writes_GiB"}},
        {242, {F::kRaw48, "", "Lifetime_Reads_GiB"}}}},
      {"Phison Driven SSDs",
       "KINGSTON SUV300S37A(120|240|480)G|KINGSTON SKC400S37(128G|256G|512G|1T)|"
       "KINGSTON  ?SA400(M8|S37)(120|240|480|960)G",
       "",
       {{2, {F::kRaw48, "", "Not_In_Use"}},
        {3, {F::kRaw48, "", "Not_In_Use"}},
        {5, {F::kRaw48, "", "Retired_Block_Count"}},
        {7, {F::kRaw48, "", "Not_In_Use"}},
        {8, {F::kRaw48, "", "Not_In_Use"}},
        {10, {F::kRaw48, "", "Not_In_Use"}},
        {167, {F::kRaw48, "", "Write_Protect_Mode"}},
        {168, {F::kRaw48, "", "SATA_Phy_Error_Count"}},
        {169, {F::kRaw48, "", "Bad_Block_Rate"}},
        {170, {F::kRaw24DivRaw24, "z54z10", "Bad_Blk_Ct_Erl/Lat"}},
        {172, {F::kRaw48, "", "Erase_Fail_Count"}},
        {173, {F::kRaw16OptAvg16, "", "MaxAvgErase_Ct"}},
        {175, {F::kRaw48, "", "Not_In_Use"}},
        {181, {F::kRaw48, "", "Program_Fail_Count"}},
        {182, {F::kRaw48, "", "Erase_Fail_Count"}},
        {183, {F::kRaw48, "", "Unknown_Phison_Attr"}},
        {192, {F::kRaw48, "", "Unsafe_Shutdown_Count"}},
        {193, {F::kRaw48, "", "Power_Fail_Uncompl_Cnt"}},
        {195, {F::kRaw48, "", "Power_Fail_Health"}},
        {197, {F::kRaw48, "", "Not_In_Use"}},
        {199, {F::kRaw48, "", "SATA_CRC_Error_Count"}},
        {207, {F::kRaw48, "", "Thermal_Throttling_Cnt"}},
        {218, {F::kRaw48, "", "CRC_Error_Count"}},
        {231, {F::kRaw48, "", "SSD_Life_Left"}},
        {232, {F::kRaw48, "", "Read_Fail_Count"}},
        {233, {F::kRaw48, "", "Flash_Writes_GiB"}},
        {240, {F::kRaw48, "", "Not_In_Use"}},
        {241, {F::kRaw48, "", "Lifetime_Writes_GiB"}},
        {242, {F::kRaw48, "", "Lifetime_Reads_GiB"}},
        {244, {F::kRaw48, "", "Average_Erase_Count"}},
        {245, {F::kRaw48, "", "Max_Erase_Count"}},
        {246, {F::kRaw48, "", "Total_Erase_Count"}}}},
      {"Intel 540 Series SSDs",
       "INTEL SSDSC[K2]KW(120H|180H|240H|360H|480H|010X)6",
       "",
       {{9, {F::kMsec24Hour32, "", "Power_On_Hours_and_Msec"}},
        {170, {F::kRaw48, "", "Available_Reservd_Space"}},
        {171, {F::kRaw48, "", "Program_Fail_Count"}},
        {172, {F::kRaw48, "", "Erase_Fail_Count"}},
        {174, {F::kRaw48, "", "Unexpect_Power_Loss_Ct"}},
        {183, {F::kRaw48, "", "SATA_Downshift_Count"}},
        {187, {F::kRaw48, "", "Uncorrectable_Error_Cnt"}},
        {225, {F::kRaw48, "", "Host_Writes_32MiB"}},
        {226, {F::kRaw48, "", "Workld_Media_Wear_Indic"}},
        {227, {F::kRaw48, "", "Workld_Host_Reads_Perc"}},
        {228, {F::kRaw48, "", "Workload_Minutes"}},
        {249, {F::kRaw48, "", "NAND_Writes_1GiB"}}}},
      {"Samsung based SSDs",
       "Samsung SSD 840 (PRO )?Series|"
       "Samsung SSD 8[4-7]0 EVO (mSATA |M\\.2 )?((120|250|500|750)G|[124]T)B|"
       "Samsung SSD 8[56]0 PRO ((128|256|512)G|[124]T)B|Samsung SSD 8[67]0 QVO [1248]TB",
       "",
       {{170, {F::kRaw48, "", "Unused_Rsvd_Blk_Ct_Chip"}},
        {171, {F::kRaw48, "", "Program_Fail_Count_Chip"}},
        {172, {F::kRaw48, "", "Erase_Fail_Count_Chip"}},
        {173, {F::kRaw48, "", "Wear_Leveling_Count"}},
        {174, {F::kRaw48, "", "Unexpect_Power_Loss_Ct"}},
        {187, {F::kRaw48, "", "Uncorrectable_Error_Cnt"}},
        {191, {F::kRaw48, "", "Unknown_Samsung_Attr"}},
        {195, {F::kRaw48, "", "ECC_Error_Rate"}},
        {199, {F::kRaw48, "", "CRC_Error_Count"}},
        {201, {F::kRaw48, "", "Supercap_Status"}},
        {202, {F::kRaw48, "", "Exception_Mode_Status"}},
        {234, {F::kRaw48, "", "Unknown_Samsung_Attr"}},
        {235, {F::kRaw48, "", "POR_Recovery_Count"}},
        {236, {F::kRaw48, "", "Unknown_Samsung_Attr"}},
        {237, {F::kRaw48, "", "Unknown_Samsung_Attr"}},
        {238, {F::kRaw48, "", "Unknown_Samsung_Attr"}},
        {243, {F::kRaw48, "", "SATA_Downshift_Ct"}},
        {244, {F::kRaw48, "", "Thermal_Throttle_St"}},
        {245, {F::kRaw48, "", "Timed_Workld_Media_Wear"}},
        {246, {F::kRaw48, "", "Timed_Workld_RdWr_Ratio"}},
        {247, {F::kRaw48, "", "Timed_Workld_Timer"}},
        {249, {F::kRaw48, "", "NAND_Writes_1GiB"}},
        {250, {F::kRaw48, "", "SATA_Iface_Downshift"}},
        {251, {F::kRaw48, "", "NAND_Writes"}}}},
      {"Hitachi Travelstar 7K500", "(Hitachi |HITACHI )?HT[ES]7250(12|16|25|32|50)A9A36[02-5]", "", {}},
      {"Hitachi Deskstar 7K1000.D", "Hitachi HDS7210(25|32|50|75|10)DLE630", "", {}},
      {"Seagate Momentus 5400.6", "ST9(80313|160(301|314)|(12|25)0315|250317|(320|500)325|500327|640320)ASG?", "",
       {}},
      {"Seagate Barracuda 7200.12",
       "ST3(160318|25031[128]|320418|50041[038]|750(518|52[358])|100052[348]|320413|160316)AS", "", {}},
      {"Seagate Barracuda 7200.14 (AF)",
       "ST(1000|1500|2000|2500|3000)DM00[0-3]-.*|APPLE HDD ST3000DM001|ST(250|320|500|750)DM00[0-3]-.*",
       "",
       {{188, {F::kRaw16, "", ""}}, {240, {F::kMsec24Hour32, "", ""}}}},
      {"Seagate Enterprise Capacity 3.5 HDD",
       "ST([1234568]|10)000NM0[01][0-68][456]-.*",
       "",
       {{200, {F::kRaw48, "", "Pressure_Limit"}}, {188, {F::kRaw16, "", ""}}, {240, {F::kMsec24Hour32, "", ""}}}},
      {"Seagate Enterprise Capacity 3.5 HDD",
       "ST[12]000NM0008-.*",
       "",
       {{9, {F::kMsec24Hour32, "", ""}}, {188, {F::kRaw16, "", ""}}, {240, {F::kMsec24Hour32, "", ""}}}},
  };
}

// `pattern` (POSIX extended) compiled to match whole strings, as smartctl
// matches drivedb entries. glibc's regex, not std::regex: the latter sets up
// the C++ locale, which the static agent otherwise never does (BENCHMARKS.md,
// agent footprint).
bool CompileWhole(std::string_view pattern, regex_t& compiled) {
  return regcomp(&compiled, fmt::format("^({})$", pattern).c_str(), REG_EXTENDED | REG_NOSUB) == 0;
}

// Each pattern is compiled and freed in turn: no compiled set stays in memory.
bool MatchesWhole(std::string_view pattern, const std::string& text) {
  regex_t compiled;
  if (!CompileWhole(pattern, compiled)) return false;
  const bool matched = regexec(&compiled, text.c_str(), 0, nullptr, 0) == 0;
  regfree(&compiled);
  return matched;
}

const AtaDrivePreset* MatchPreset(const std::string& model, const std::string& firmware) {
  for (const AtaDrivePreset& preset : AtaDrivePresets()) {
    if (!MatchesWhole(preset.model_regex, model)) continue;
    if (!preset.firmware_regex.empty() && !MatchesWhole(preset.firmware_regex, firmware)) continue;
    return &preset;
  }
  return nullptr;
}

}  // namespace

const std::vector<AtaDrivePreset>& AtaDrivePresets() {
  static const std::vector<AtaDrivePreset> kPresets = BuildPresets();
  return kPresets;
}

bool AtaDrivePatternCompiles(std::string_view pattern) {
  regex_t compiled;
  if (!CompileWhole(pattern, compiled)) return false;
  regfree(&compiled);
  return true;
}

const AtaDrivePreset* FindAtaDrivePreset(std::string_view model, std::string_view firmware) {
  // A disk is looked up every disk period with the same identity; matching
  // compiles the patterns (~0.3 ms), so the answers of the machine's few
  // drives are kept.
  struct Answer {
    std::string model;
    std::string firmware;
    const AtaDrivePreset* preset;
  };
  constexpr size_t kMaxAnswers = 16;
  static std::mutex mutex;
  static std::vector<Answer> answers;
  const std::lock_guard lock(mutex);
  for (const Answer& answer : answers) {
    if (answer.model == model && answer.firmware == firmware) return answer.preset;
  }
  if (answers.size() == kMaxAnswers) answers.clear();
  Answer& answer = answers.emplace_back(Answer{std::string(model), std::string(firmware), nullptr});
  answer.preset = MatchPreset(answer.model, answer.firmware);
  return answer.preset;
}

AtaAttributeDefs AtaAttributeDefsFor(const AtaDrivePreset* preset) {
  AtaAttributeDefs defs = DefaultAtaAttributeDefs();
  if (preset == nullptr) return defs;
  for (const AtaPresetDef& entry : preset->defs) {
    AtaAttributeDef& def = defs[entry.id];
    if (entry.def.format != AtaRawFormat::kDefault) {
      def.format = entry.def.format;
      def.byte_order = entry.def.byte_order;
    }
    // A preset name is the drive's own: the DEFAULT table's HDD/SSD rule no
    // longer applies to it.
    if (!entry.def.name.empty()) {
      def.name = entry.def.name;
      def.media = AtaMedia::kAny;
    }
  }
  return defs;
}

}  // namespace vigie::agent::smart
