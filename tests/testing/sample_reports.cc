#include "tests/testing/sample_reports.h"

namespace vigie::testing {

v1::Report SampleHardwareReport() {
  v1::Report report;
  v1::Sensor* cpu = report.add_sensors();
  cpu->set_chip("coretemp-isa-0000");
  cpu->set_label("Package id 0");
  cpu->set_kind(v1::Sensor::TEMPERATURE);
  cpu->set_value(45);
  cpu->set_max(80);
  cpu->set_crit(100);
  v1::Sensor* fan = report.add_sensors();
  fan->set_chip("nct6775-isa-0290");
  fan->set_label("fan2");
  fan->set_kind(v1::Sensor::FAN);
  fan->set_value(0);
  fan->set_min(300);
  fan->set_alarm(true);
  *report.add_sensors() = *cpu;  // a duplicate label on the same chip

  v1::Disk* hdd = report.add_disks();
  hdd->set_device("sda");
  hdd->set_kind(v1::Disk::ATA_HDD);
  hdd->set_model("ST3500418AS");
  hdd->set_serial("9VM1");
  hdd->set_status(v1::Disk::READ);
  hdd->set_health(v1::Disk::PASSED);
  hdd->set_temperature_celsius(36);
  v1::AtaAttribute* realloc = hdd->add_ata_attributes();
  realloc->set_id(5);
  realloc->set_name("Reallocated_Sector_Ct");
  realloc->set_value(95);
  realloc->set_worst(95);
  realloc->set_threshold(36);
  realloc->set_raw_decoded(304);
  v1::AtaAttribute* hours = hdd->add_ata_attributes();
  hours->set_id(9);
  hours->set_name("Power_On_Hours");
  hours->set_raw_decoded(37054);

  v1::Disk* nvme = report.add_disks();
  nvme->set_device("nvme0n1");
  nvme->set_kind(v1::Disk::NVME);
  nvme->set_model("QEMU NVMe Ctrl");
  nvme->set_serial("deadbeef");
  nvme->set_status(v1::Disk::READ);
  nvme->mutable_nvme()->set_critical_warning(4);
  nvme->mutable_nvme()->set_available_spare_percent(0);
  nvme->mutable_nvme()->set_percentage_used(75);
  nvme->mutable_nvme()->set_data_units_read(2);
  nvme->mutable_nvme()->set_power_on_hours(10);

  v1::Disk* asleep = report.add_disks();
  asleep->set_device("sdb");
  asleep->set_model("WDC WD140EDFZ");
  asleep->set_status(v1::Disk::SKIPPED_ASLEEP);
  asleep->set_last_read_unix_ms(1'700'000'000'000);

  report.mutable_power()->add_rapl()->set_name("package-0");
  report.mutable_power()->mutable_rapl(0)->set_watts(6.5);
  report.mutable_power()->set_ac_online(true);
  return report;
}

}  // namespace vigie::testing
