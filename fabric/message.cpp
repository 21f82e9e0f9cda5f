#include "fabric/message.h"

#include <cassert>
#include <cstring>

namespace irqf {

upstream_write::upstream_write() : ext_(new requester_ext) {
  gp_.set_extension(ext_);
  gp_.set_streaming_width(4);
  gp_.set_byte_enable_ptr(nullptr);
}

upstream_write::~upstream_write() {
  gp_.clear_extension(ext_);
  delete ext_;
}

tlm::tlm_generic_payload& upstream_write::msi(const msi_msg& m, uint16_t rid,
                                              std::span<const event_id> events,
                                              std::optional<uint32_t> pasid) {
  uint32_t d = m.data;  // MSI data is a little-endian DWORD (PCIe §6.1.4)
  std::memcpy(buf_, &d, 4);
  gp_.set_command(tlm::TLM_WRITE_COMMAND);
  gp_.set_address(m.address);
  gp_.set_data_ptr(buf_);
  gp_.set_data_length(4);
  gp_.set_streaming_width(4);
  gp_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  ext_->requester_id = rid;
  ext_->has_pasid = pasid.has_value();
  ext_->pasid = pasid.value_or(0);
  ext_->events.assign(events.begin(), events.end());
  return gp_;
}

tlm::tlm_generic_payload& upstream_write::dma(uint64_t addr, const void* data, unsigned len,
                                              uint16_t rid, std::optional<uint32_t> pasid) {
  assert(len <= sizeof buf_);
  std::memcpy(buf_, data, len);
  gp_.set_command(tlm::TLM_WRITE_COMMAND);
  gp_.set_address(addr);
  gp_.set_data_ptr(buf_);
  gp_.set_data_length(len);
  gp_.set_streaming_width(len);
  gp_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  ext_->requester_id = rid;
  ext_->has_pasid = pasid.has_value();
  ext_->pasid = pasid.value_or(0);
  ext_->events.clear();
  return gp_;
}

uint32_t msi_data_of(const tlm::tlm_generic_payload& gp) {
  uint32_t d = 0;
  std::memcpy(&d, gp.get_data_ptr(), std::min<unsigned>(4, gp.get_data_length()));
  return d;
}

namespace {
tlm::tlm_response_status access(tlm::tlm_fw_transport_if<>& s, tlm::tlm_command cmd, uint64_t addr,
                                void* buf, unsigned len, sc_core::sc_time& delay) {
  tlm::tlm_generic_payload gp;
  gp.set_command(cmd);
  gp.set_address(addr);
  gp.set_data_ptr(static_cast<unsigned char*>(buf));
  gp.set_data_length(len);
  gp.set_streaming_width(len);
  gp.set_byte_enable_ptr(nullptr);
  gp.set_dmi_allowed(false);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  s.b_transport(gp, delay);
  return gp.get_response_status();
}
}  // namespace

tlm::tlm_response_status bus_read(tlm::tlm_fw_transport_if<>& s, uint64_t addr, void* dst,
                                  unsigned len, sc_core::sc_time& delay) {
  return access(s, tlm::TLM_READ_COMMAND, addr, dst, len, delay);
}

tlm::tlm_response_status bus_write(tlm::tlm_fw_transport_if<>& s, uint64_t addr, const void* src,
                                   unsigned len, sc_core::sc_time& delay) {
  return access(s, tlm::TLM_WRITE_COMMAND, addr, const_cast<void*>(src), len, delay);
}

}  // namespace irqf
