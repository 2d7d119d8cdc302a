/*
 * console_roles.h: includes theme.h for the console. theme.h's role
 * enumerators DD_ROLE_PRIMARY, DD_ROLE_REPLICA and DD_ROLE_UNKNOWN have the
 * same names as the node roles of dbdeck/driver.h (enum dd_role), which every
 * snapshot reader includes; here the theme's three are renamed to
 * DD_STYLE_PRIMARY, DD_STYLE_REPLICA and DD_STYLE_UNKNOWN. Console files
 * include this header, never theme.h directly, and before anything else that
 * could include theme.h.
 */
#ifndef DD_CONSOLE_ROLES_H
#define DD_CONSOLE_ROLES_H

#ifdef DD_TUI_THEME_H
#error "include console_roles.h before theme.h"
#endif

#define DD_ROLE_PRIMARY DD_STYLE_PRIMARY
#define DD_ROLE_REPLICA DD_STYLE_REPLICA
#define DD_ROLE_UNKNOWN DD_STYLE_UNKNOWN
#include "theme.h"
#undef DD_ROLE_PRIMARY
#undef DD_ROLE_REPLICA
#undef DD_ROLE_UNKNOWN

#endif
