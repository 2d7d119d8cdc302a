/*
 * core_guard.h: force-included (-include) into every file of libdbdeck.
 *
 * core/ never draws: the screen belongs to tui/. Poisoning the curses entry
 * points makes any core file that includes <curses.h> (which declares them)
 * fail to compile with "attempt to use poisoned", so the layering rule is
 * enforced by the compiler rather than by review. tests/unit/layering_test.sh
 * proves it.
 */
#ifndef DD_CORE_GUARD_H
#define DD_CORE_GUARD_H
#pragma GCC poison initscr newterm endwin wrefresh wgetch init_pair start_color
#endif
