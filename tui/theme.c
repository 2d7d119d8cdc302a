/* theme.c: placeholder until the theme parser lands. */
