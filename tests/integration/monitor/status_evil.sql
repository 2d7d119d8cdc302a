-- status_evil.sql: run by status_test.sh in a SQL_ASCII database of its own.
-- The monitor's current_setting('server_version') finds this function first
-- (public before pg_catalog in the role's search_path there) and gets a
-- title change, a screen clear, three bytes that are not UTF-8 and 1 MB.
-- The function also turns the session's client_encoding to SQL_ASCII, so
-- that the server sends those bytes as they are (as a hostile server would).
CREATE FUNCTION public.current_setting(text) RETURNS text LANGUAGE sql AS $$
  SELECT CASE WHEN $1 = 'server_version'
    THEN (SELECT E'15-evil \033]0;owned\007\033[2J \377\376\303 end' || repeat('x', 1048576) ||
                 ' end-of-big' || left(set_config('client_encoding', 'SQL_ASCII', false), 0))
    ELSE pg_catalog.current_setting($1) END
$$;
SELECT format('ALTER ROLE dbdeck IN DATABASE %I SET search_path = public, pg_catalog',
              current_database()) \gexec
