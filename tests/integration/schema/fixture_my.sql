-- fixture_my.sql: one of each schema defect MariaDB can have (issue 15),
-- for schema_test.sh. Run in a scratch database; the queries that make the
-- scan counts are run by the test itself.
CREATE TABLE big (id bigint PRIMARY KEY, k int, v varchar(40), a int, b int) ENGINE=InnoDB;
INSERT INTO big SELECT seq, seq % 1000, CONCAT('v', seq), seq % 7, seq % 11 FROM seq_1_to_20000;
CREATE INDEX big_unused ON big (v);
CREATE INDEX big_a ON big (a);
CREATE INDEX big_a_b ON big (a, b);
CREATE TABLE ai80 (id int PRIMARY KEY AUTO_INCREMENT, x int) AUTO_INCREMENT = 1717986919;
CREATE TABLE ai95 (id int PRIMARY KEY AUTO_INCREMENT, x int) AUTO_INCREMENT = 2040109467;
CREATE TABLE events (id bigint, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (YEAR(at)) (
  PARTITION p2025 VALUES LESS THAN (2026), PARTITION p2026 VALUES LESS THAN (2027));
INSERT INTO events SELECT seq, DATE('2026-01-01') + INTERVAL (seq % 300) DAY FROM seq_1_to_3000;
CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty tinyint(1) NOT NULL);
INSERT INTO schema_migrations VALUES (3, 1);
CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version varchar(50),
  description varchar(200), type varchar(20), script varchar(1000), checksum int,
  installed_by varchar(100), installed_on timestamp NOT NULL DEFAULT current_timestamp,
  execution_time int, success tinyint(1) NOT NULL);
INSERT INTO flyway_schema_history VALUES
  (1, '1', 'init', 'SQL', 'V1__init.sql', 1, 'app', now(), 5, 1),
  (2, '2', 'add orders', 'SQL', 'V2__add_orders.sql', 2, 'app', now(), 5, 0);
ANALYZE TABLE big, events;
