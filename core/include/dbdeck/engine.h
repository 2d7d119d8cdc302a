/*
 * engine.h: the database engines dbdeck speaks to. Shared by config (the
 * `engine` key), the drivers and every module that branches on the engine.
 */
#ifndef DBDECK_ENGINE_H
#define DBDECK_ENGINE_H

enum dd_engine {
	DD_ENGINE_POSTGRESQL,
	DD_ENGINE_MARIADB,
	DD_ENGINE_MYSQL,
};

/* "postgresql", "mariadb", "mysql". Static storage. */
static inline const char *
dd_engine_name(enum dd_engine e)
{
	switch (e) {
	case DD_ENGINE_POSTGRESQL: return "postgresql";
	case DD_ENGINE_MARIADB: return "mariadb";
	case DD_ENGINE_MYSQL: return "mysql";
	}
	return "unknown";
}

#endif
