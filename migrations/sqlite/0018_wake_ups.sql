-- PostgreSQL's 0018 adds wake-ups (LISTEN/NOTIFY) for the other servers of a deployment. A SQLite
-- database is served by one process, with no other server to wake: nothing to add here. The
-- migration exists so that both databases carry the same numbers.
SELECT 1;
