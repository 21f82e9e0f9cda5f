#pragma once
// Contracts between the CPU side (models/lapic), the OS model (models/os) and the IOAPIC
// (models/ioapic). The OS model reaches a CPU's local APIC only the way software on that CPU could:
// MSRs (x2APIC, IA32_APIC_BASE), the xAPIC MMIO page, and the interrupt flag (SDM Vol.3A ch.11).
#include <systemc>

#include <cstdint>
#include <span>
#include <vector>

#include "fabric/ledger.h"

namespace irqf {

/// How the CPU core entered the OS (SDM Vol.3A §6.12; Linux arch/x86/kernel/irq.c).
enum class entry_kind : uint8_t { vector, nmi, spurious, init, sipi, smi, extint };

/// Implemented by the OS model; called by the CPU core's interrupt entry (models/lapic).
class os_entry_if {
 public:
  virtual ~os_entry_if() = default;
  /// The core dispatched `vector` on `cpu` (already moved IRR→ISR for entry_kind::vector; nothing
  /// moved for spurious/NMI). `events` are the ledger ids the vector's IRR bit carried: the OS
  /// model settles them (handled, merged, lost with no_irq_handler/misrouted...). The OS performs
  /// its register accesses (EOI included) through the cpu_port_if of that CPU during this call and
  /// returns the simulated software time the entry took (handler bodies, accesses), after which the
  /// core executes IRET and re-evaluates pending interrupts.
  virtual sc_core::sc_time vector_entry(unsigned cpu, entry_kind kind, uint8_t vector,
                                        std::span<const event_id> events) = 0;
};

/// What software running on one CPU can do to its own local APIC (implemented by models/lapic).
/// Accesses are timed: each adds its cost to `delay` (loosely-timed annotation).
class cpu_port_if {
 public:
  virtual ~cpu_port_if() = default;
  virtual unsigned cpu_index() const = 0;
  /// RDMSR/WRMSR: IA32_APIC_BASE (0x1B) and x2APIC registers 0x800-0x8FF. An access the CPU would
  /// fault on returns false (#GP), e.g. x2APIC MSRs while x2APIC is off.
  virtual bool rdmsr(uint32_t msr, uint64_t& value, sc_core::sc_time& delay) = 0;
  virtual bool wrmsr(uint32_t msr, uint64_t value, sc_core::sc_time& delay) = 0;
  /// xAPIC MMIO at offset 0x000-0xFF0 of the APIC page (32-bit accesses).
  virtual uint32_t apic_mmio_read(uint32_t offset, sc_core::sc_time& delay) = 0;
  virtual void apic_mmio_write(uint32_t offset, uint32_t value, sc_core::sc_time& delay) = 0;
  /// STI/CLI. Opening the window lets the core dispatch a pending interrupt.
  virtual void set_interrupt_flag(bool enabled) = 0;
  virtual bool interrupt_flag() const = 0;
  /// True when the core is running (not in wait-for-SIPI / offline).
  virtual bool running() const = 0;
  /// For a CPU going offline (Linux fixup_irqs): clears `vector`'s IRR bit and hands over the ledger
  /// ids it carried, so the retrigger on the new target carries them (the dead CPU's APIC is reset
  /// by the INIT of its next online, SDM §11.4.7.3, and would never deliver them).
  virtual std::vector<event_id> take_irr_events(uint8_t vector) { (void)vector; return {}; }
};

/// Implemented by every IOAPIC; the APIC bus calls it for an EOI broadcast (SDM §11.8.5).
class eoi_listener_if {
 public:
  virtual ~eoi_listener_if() = default;
  virtual void eoi_broadcast(uint8_t vector) = 0;
};

}  // namespace irqf
