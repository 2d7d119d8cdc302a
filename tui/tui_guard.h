/*
 * tui_guard.h: force-included (-include) into every tui file outside term/.
 *
 * Only the terminal room (tui/term/) talks to curses; views and widgets draw
 * into the in-memory screen (render/screen.h). Poisoning the curses entry
 * points makes a file elsewhere in tui/ that includes <curses.h> fail to
 * compile, and ncursesw is linked into term/'s library alone.
 * tests/unit/layering_test.sh proves it.
 */
#ifndef DD_TUI_GUARD_H
#define DD_TUI_GUARD_H
#pragma GCC poison initscr newterm endwin wrefresh wgetch wget_wch init_pair start_color
#endif
