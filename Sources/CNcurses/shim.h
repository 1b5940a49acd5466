// Thin C shim over ncursesw for Swift: ncurses exposes much of its API as macros (COLOR_PAIR,
// getmaxyx, A_* attributes, KEY_* codes, mouse masks) that Swift cannot import. Each one gets a
// static-inline function or an enum constant here. Only the NcursesTerminal target imports this.
#ifndef KGTOP_CNCURSES_SHIM_H
#define KGTOP_CNCURSES_SHIM_H

// The wide-character API (cchar_t, setcchar, mvadd_wch, get_wch) is only declared with these.
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif

#include <locale.h>
#include <stdio.h>
#include <stddef.h>
#include <wchar.h>
#include <curses.h>

// MARK: - Attributes (A_* are macros built from NCURSES_BITS)

static inline unsigned int kg_attr_normal(void) { return (unsigned int)A_NORMAL; }
static inline unsigned int kg_attr_bold(void) { return (unsigned int)A_BOLD; }
static inline unsigned int kg_attr_dim(void) { return (unsigned int)A_DIM; }
static inline unsigned int kg_attr_underline(void) { return (unsigned int)A_UNDERLINE; }
static inline unsigned int kg_attr_reverse(void) { return (unsigned int)A_REVERSE; }
static inline unsigned int kg_attr_blink(void) { return (unsigned int)A_BLINK; }
static inline unsigned int kg_attr_standout(void) { return (unsigned int)A_STANDOUT; }
static inline unsigned int kg_attr_italic(void) {
#ifdef A_ITALIC
    return (unsigned int)A_ITALIC;
#else
    return 0;
#endif
}

// MARK: - Colours

static inline int kg_colors(void) { return COLORS; }
static inline int kg_color_pairs(void) { return COLOR_PAIRS; }

// MARK: - Screen size (getmaxyx is a macro)

static inline int kg_lines(void) { int y, x; getmaxyx(stdscr, y, x); (void)x; return y; }
static inline int kg_cols(void) { int y, x; getmaxyx(stdscr, y, x); (void)y; return x; }

// MARK: - Drawing

/// Draws one grapheme (up to 7 wide chars, NUL-terminated) at (y, x) with attributes and a colour pair.
static inline int kg_put_cell(int y, int x, const wchar_t *text, unsigned int attrs, short pair) {
    cchar_t cell;
    if (setcchar(&cell, text, (attr_t)attrs, pair, NULL) != OK) return ERR;
    return mvadd_wch(y, x, &cell);
}

static inline int kg_refresh(void) {
    if (wnoutrefresh(stdscr) == ERR) return ERR;
    return doupdate();
}

/// Starts curses on the process's terminal without exiting on failure (initscr would):
/// returns 0 on success, -1 when the terminal cannot be set up.
static inline int kg_start(void) {
    SCREEN *screen = newterm(NULL, stdout, stdin);
    if (screen == NULL) return -1;
    set_term(screen);
    return 0;
}

static inline void kg_keypad(int on) { keypad(stdscr, on ? TRUE : FALSE); }
static inline void kg_nodelay(int on) { nodelay(stdscr, on ? TRUE : FALSE); }

/// Restores the terminal if curses is active; safe to call at any time, more than once.
static inline void kg_safe_endwin(void) {
    if (stdscr != NULL && !isendwin()) endwin();
    // endwin's reset sequences (leaving the alternate screen) sit in stdio's buffer; a process
    // dying of a signal never flushes it, so flush here.
    fflush(NULL);
}

// MARK: - Input

/// Reads one key without blocking (after nodelay): returns ERR when none is pending, OK for a
/// character in *code, KEY_CODE_YES for a function key in *code.
static inline int kg_read(int *code) {
    wint_t value = 0;
    int rc = get_wch(&value);
    *code = (int)value;
    return rc;
}

/// The pending mouse event: position and button state; ERR if there is none.
static inline int kg_mouse(int *y, int *x, unsigned long *buttons) {
    MEVENT event;
    if (getmouse(&event) != OK) return ERR;
    *y = event.y;
    *x = event.x;
    *buttons = (unsigned long)event.bstate;
    return OK;
}

static inline unsigned long kg_mouse_mask_all(void) {
    return (unsigned long)(ALL_MOUSE_EVENTS);
}

static inline int kg_set_escdelay(int ms) { return set_escdelay(ms); }

enum {
    KG_OK = OK,
    KG_ERR = ERR,
    KG_KEY_CODE_YES = KEY_CODE_YES,
    KG_KEY_UP = KEY_UP,
    KG_KEY_DOWN = KEY_DOWN,
    KG_KEY_LEFT = KEY_LEFT,
    KG_KEY_RIGHT = KEY_RIGHT,
    KG_KEY_HOME = KEY_HOME,
    KG_KEY_END = KEY_END,
    KG_KEY_PPAGE = KEY_PPAGE,
    KG_KEY_NPAGE = KEY_NPAGE,
    KG_KEY_ENTER = KEY_ENTER,
    KG_KEY_BACKSPACE = KEY_BACKSPACE,
    KG_KEY_DC = KEY_DC,
    KG_KEY_BTAB = KEY_BTAB,
    KG_KEY_RESIZE = KEY_RESIZE,
    KG_KEY_MOUSE = KEY_MOUSE,
    KG_KEY_F1 = KEY_F(1),
};

static inline unsigned long kg_button1_pressed(void) { return (unsigned long)BUTTON1_PRESSED; }
static inline unsigned long kg_button1_released(void) { return (unsigned long)BUTTON1_RELEASED; }
static inline unsigned long kg_button1_clicked(void) { return (unsigned long)BUTTON1_CLICKED; }
static inline unsigned long kg_button1_double_clicked(void) { return (unsigned long)BUTTON1_DOUBLE_CLICKED; }
static inline unsigned long kg_wheel_up(void) { return (unsigned long)BUTTON4_PRESSED; }
static inline unsigned long kg_wheel_down(void) {
#if defined(NCURSES_MOUSE_VERSION) && NCURSES_MOUSE_VERSION > 1
    return (unsigned long)BUTTON5_PRESSED;
#else
    return 0;
#endif
}

#endif
