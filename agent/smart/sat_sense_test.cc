#include "agent/smart/sat_sense.h"

#include <array>

#include <gtest/gtest.h>

namespace vigie::agent::smart {
namespace {

// Sense data as drivers/ata/libata-scsi.c builds it for ATA PASS-THROUGH with
// CK_COND=1 (ata_gen_passthru_sense: RECOVERED ERROR, 00h/1Dh; then
// ata_scsi_set_passthru_sense_fields). Linux before 6.10 always answers in
// descriptor format; later kernels in fixed format unless D_SENSE is set.
// These are the answers of a drive in standby (COUNT 00h) to CHECK POWER MODE
// and of a failing drive (F4h/2Ch) to SMART RETURN STATUS.
TEST(SatSense, ReadsTheRegistersOfADescriptorFormatAnswer) {
  const std::array<uint8_t, 22> sense = {0x72, 0x01, 0x00, 0x1D, 0, 0, 0, 14,
                                         // ATA Status Return descriptor (SAT-3 table 186)
                                         0x09, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF4, 0x00, 0x2C,
                                         0xA0, 0x50};
  const SatSense parsed = ParseSatSense(sense);
  EXPECT_EQ(parsed.sense_key, 0x1);
  EXPECT_EQ(parsed.asc, 0x00);
  EXPECT_EQ(parsed.ascq, 0x1D);
  ASSERT_TRUE(parsed.has_registers);
  EXPECT_EQ(parsed.registers.count, 0x00);
  EXPECT_EQ(parsed.registers.lba_mid, 0xF4);
  EXPECT_EQ(parsed.registers.lba_high, 0x2C);
  EXPECT_EQ(parsed.registers.device, 0xA0);
  EXPECT_EQ(parsed.registers.status, 0x50);
}

TEST(SatSense, ReadsTheRegistersOfAFixedFormatAnswer) {
  // SAT-3 table 185: INFORMATION = ERROR, STATUS, DEVICE, COUNT;
  // COMMAND-SPECIFIC INFORMATION = LBA 7:0, 15:8, 23:16.
  const std::array<uint8_t, 18> sense = {0xF0, 0x00, 0x01, 0x00, 0x50, 0xA0, 0xFF, 0x0A, 0x00,
                                         0x00, 0x4F, 0xC2, 0x00, 0x1D, 0x00, 0x00, 0x00, 0x00};
  const SatSense parsed = ParseSatSense(sense);
  EXPECT_EQ(parsed.sense_key, 0x1);
  ASSERT_TRUE(parsed.has_registers);
  EXPECT_EQ(parsed.registers.status, 0x50);
  EXPECT_EQ(parsed.registers.device, 0xA0);
  EXPECT_EQ(parsed.registers.count, 0xFF);
  EXPECT_EQ(parsed.registers.lba_mid, 0x4F);
  EXPECT_EQ(parsed.registers.lba_high, 0xC2);
}

TEST(SatSense, ReadsTheErrorOfAnAbortedCommandInFixedFormat) {
  // ABORTED COMMAND, 00h/00h, VALID set; status ERR|DRDY (51h), error ABRT (04h).
  const std::array<uint8_t, 18> sense = {0xF0, 0x00, 0x0B, 0x04, 0x51, 0xA0, 0x00, 0x0A, 0x00,
                                         0x00, 0x4F, 0xC2, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  const SatSense parsed = ParseSatSense(sense);
  EXPECT_EQ(parsed.sense_key, 0xB);
  ASSERT_TRUE(parsed.has_registers);
  EXPECT_EQ(parsed.registers.status, 0x51);
  EXPECT_EQ(parsed.registers.error, 0x04);
}

TEST(SatSense, AnIllegalRequestFromABridgeHasNoRegisters) {
  // ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE (20h/00h), no VALID bit.
  const std::array<uint8_t, 18> sense = {0x70, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x0A, 0x00,
                                         0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00};
  const SatSense parsed = ParseSatSense(sense);
  EXPECT_EQ(parsed.sense_key, 0x5);
  EXPECT_EQ(parsed.asc, 0x20);
  EXPECT_FALSE(parsed.has_registers);
}

TEST(SatSense, ShortSenseDataIsEmpty) {
  const std::array<uint8_t, 4> sense = {0x72, 0x01, 0x00, 0x1D};
  const SatSense parsed = ParseSatSense(sense);
  EXPECT_EQ(parsed.sense_key, 0);
  EXPECT_FALSE(parsed.has_registers);
}

}  // namespace
}  // namespace vigie::agent::smart
