--
-- PostgreSQL database cluster dump
--

\restrict 3lrcxAbCdEfGh

SET default_transaction_read_only = off;

SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;

--
-- Roles
--

CREATE ROLE app;
ALTER ROLE app WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS;
CREATE ROLE "odd ""name""; DROP";
COMMENT ON ROLE app IS 'the application''s role; /* not a comment */';
GRANT app TO postgres;

\unrestrict 3lrcxAbCdEfGh

--
-- PostgreSQL database cluster dump complete
--

