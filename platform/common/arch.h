/*
 * arch.h: the per-architecture context switch (arch/<arch>/switch.S), the
 * only code of platform/common written for one processor.
 *
 * A thread not running is its stack pointer: everything else the ABI
 * requires a called function to preserve (callee-saved registers, the
 * floating-point control state) sits on its stack, pushed by
 * rumpuser__arch_switch or made up by rumpuser__arch_stack_init.
 */
#ifndef RUMPUSER_ARCH_H
#define RUMPUSER_ARCH_H

#include "backend.h"

/*
 * Saves the callee-saved state of the running thread on its own stack,
 * stores its stack pointer in *save_sp, and resumes the thread whose stack
 * pointer is new_sp, as if its own call to rumpuser__arch_switch (or, for a
 * new thread, its entry function's call) had just happened.  Returns when
 * another thread switches back to *save_sp.
 */
void rumpuser__arch_switch(void **save_sp, void *new_sp) RUMPUSER__HIDDEN;

/*
 * Prepares a new stack whose highest address is stack_top: returns the
 * stack pointer that, handed to rumpuser__arch_switch, calls entry(arg) on
 * that stack with an ABI-conforming frame (aligned, no caller, the
 * creator's floating-point control state).  entry must never return.
 */
void *rumpuser__arch_stack_init(void *stack_top, void (*entry)(void *),
    void *arg) RUMPUSER__HIDDEN;

#endif /* RUMPUSER_ARCH_H */
