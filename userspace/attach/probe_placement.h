// Where in a function its uprobe goes.
//
// Why not always at its first byte: the kernel runs the instruction under the
// breakpoint in one of two ways. A direct jump, call or conditional jump it
// emulates; most others it single-steps out of line, which takes a second, debug,
// exception. Under this VM's hypervisor that is 5.6-7.3 us a hit against 0.6-0.8 us
// emulated (docs/agent.md, "The agent's own cost"). Every fast allocator function
// of Debian's PHP 8.2 (_emalloc, _efree, _emalloc_56, ...) opens with the same
// three instructions, a RIP-relative load of the heap, a load of its custom-heap
// flag and a test, and then the branch to the custom heap: a conditional jump the
// kernel emulates. A probe on that jump sees the same call as one on the first
// byte, provided that nothing the probe reads has changed on the way there.
#pragma once

#include <cstdint>
#include <span>

#include "target/disassembler.h"
#include "target/elf_file.h"

namespace pmt {

// What the probe's programs read from the registers at the probe: the first
// `args_read` argument registers of the System V ABI (rdi, rsi, rdx, rcx, r8, r9).
// The stack pointer (the return probe's return address, the entry/return pairing)
// and the callee-saved registers (the PHP VM's execute_data in r14 and r15, the
// frame pointer) are always kept.
struct ProbeReads {
    unsigned args_read = 6;
};

// Whether the kernel emulates `insn` under a uprobe rather than single-stepping
// it (arch/x86/kernel/uprobes.c, branch_setup_xol_ops: rel8/rel32 jmp, call and
// jcc without an operand-size prefix). A push of a register is emulated by recent
// kernels only; it is not counted here, and no probe moves past one anyway (it
// moves the stack pointer).
bool kernel_emulates_branch(const Insn& insn);

// The address for the probe of the function at `vaddr` of `size` bytes: its first
// instruction the kernel emulates, when every instruction before it is one the
// scan can step over (a plain move, load, arithmetic or test that writes no
// memory and none of the registers in `reads`, no transfer of control) and no
// direct branch of the function lands on it or before it; else `vaddr` itself.
// A function of unknown size (0) keeps its first byte: the branch check needs it.
uint64_t probe_point(const Disassembler& dis, const ElfFile& elf, uint64_t vaddr, uint64_t size, ProbeReads reads);
// The same for a function's code `body`, which starts at `vaddr`.
uint64_t probe_point(const Disassembler& dis, std::span<const uint8_t> body, uint64_t vaddr, ProbeReads reads);

}  // namespace pmt
