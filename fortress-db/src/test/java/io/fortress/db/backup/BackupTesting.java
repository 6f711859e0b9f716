package io.fortress.db.backup;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.Node;
import io.fortress.db.internal.backup.ServerAccess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Test helpers: the three service schemas, and real pg_dump/psql runs to compare databases. */
final class BackupTesting {
    private BackupTesting() {
    }

    /** A backup folder the tests own, world-readable so nothing depends on who runs the server. */
    static Path folder(Path tmp, String name) throws IOException {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    static void createDatabase(LocalCluster cluster, String name) {
        cluster.primary().execute("CREATE DATABASE " + ServerAccess.quoteIdent(name));
    }

    static void dropDatabase(LocalCluster cluster, String name) {
        cluster.primary().execute("DROP DATABASE IF EXISTS " + ServerAccess.quoteIdent(name) + " WITH (FORCE)");
    }

    static boolean databaseExists(LocalCluster cluster, String name) {
        try (Connection c = cluster.primary().connect(); var ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs SQL in a database of the cluster's primary. */
    static void sql(LocalCluster cluster, String database, String... statements) {
        try (Connection c = cluster.primary().connect(database); Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static long count(LocalCluster cluster, String database, String table) {
        try (Connection c = cluster.primary().connect(database); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The three services' schemas with data: credits (accounts and transactions with uuid keys, a
     * check, an enum-like check, a trigger), shadow (JSONB results, a GIN index, a view) and cdefnet
     * (IOCs with TTL, a cleanup function, an audit log), plus a partitioned table and a sequence.
     */
    static void createServiceSchemas(LocalCluster cluster, String database, int rows) {
        sql(cluster, database,
                "CREATE SCHEMA credits",
                "CREATE TABLE credits.credits (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id text NOT NULL UNIQUE, "
                        + "balance bigint NOT NULL CHECK (balance >= 0), updated_at timestamptz NOT NULL DEFAULT now())",
                "CREATE TABLE credits.transactions (id bigserial PRIMARY KEY, credit_id uuid NOT NULL REFERENCES credits.credits(id), "
                        + "type text NOT NULL CHECK (type IN ('credit', 'debit', 'reserve', 'release')), amount bigint NOT NULL, "
                        + "created_at timestamptz NOT NULL DEFAULT now())",
                "CREATE INDEX transactions_credit_idx ON credits.transactions (credit_id, created_at)",
                "CREATE FUNCTION credits.touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.updated_at = now(); RETURN NEW; END$$",
                "CREATE TRIGGER credits_touch BEFORE UPDATE ON credits.credits FOR EACH ROW EXECUTE FUNCTION credits.touch()",
                "INSERT INTO credits.credits (user_id, balance) SELECT 'user-' || g, g * 10 FROM generate_series(1, " + rows + ") g",
                "INSERT INTO credits.transactions (credit_id, type, amount) SELECT id, (ARRAY['credit','debit','reserve','release'])[1 + g % 4], g "
                        + "FROM credits.credits, generate_series(1, 3) g",
                "CREATE SCHEMA shadow",
                "CREATE TABLE shadow.evaluations (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, request jsonb NOT NULL, "
                        + "result jsonb, diverged boolean NOT NULL DEFAULT false, evaluated_at timestamptz NOT NULL DEFAULT now())",
                "CREATE INDEX evaluations_request_gin ON shadow.evaluations USING gin (request)",
                "CREATE VIEW shadow.divergence_summary AS SELECT date_trunc('hour', evaluated_at) AS hour, count(*) FILTER (WHERE diverged) "
                        + "AS diverged, count(*) AS total FROM shadow.evaluations GROUP BY 1",
                "INSERT INTO shadow.evaluations (request, result, diverged) SELECT jsonb_build_object('n', g, 'tags', jsonb_build_array('a', g)), "
                        + "jsonb_build_object('ok', g % 7 <> 0), g % 7 = 0 FROM generate_series(1, " + rows + ") g",
                "CREATE SCHEMA cdefnet",
                "CREATE TABLE cdefnet.iocs (id bigserial PRIMARY KEY, tenant_hash text NOT NULL, kind text NOT NULL, value text NOT NULL, "
                        + "expires_at timestamptz NOT NULL, UNIQUE (tenant_hash, kind, value))",
                "CREATE TABLE cdefnet.audit_log (id bigserial, at timestamptz NOT NULL, details jsonb, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
                "CREATE TABLE cdefnet.audit_log_2024 PARTITION OF cdefnet.audit_log FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
                "CREATE TABLE cdefnet.audit_log_2025 PARTITION OF cdefnet.audit_log FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
                "CREATE FUNCTION cdefnet.cleanup_expired() RETURNS integer LANGUAGE sql AS "
                        + "$$WITH d AS (DELETE FROM cdefnet.iocs WHERE expires_at < now() RETURNING 1) SELECT count(*)::int FROM d$$",
                "INSERT INTO cdefnet.iocs (tenant_hash, kind, value, expires_at) SELECT md5((g % 5)::text), 'ip', '10.0.' || (g / 250) || '.' || (g % 250), "
                        + "now() + interval '1 day' FROM generate_series(1, " + rows + ") g",
                "INSERT INTO cdefnet.audit_log (at, details) SELECT timestamptz '2024-06-01' + g * interval '1 hour', jsonb_build_object('e', g) "
                        + "FROM generate_series(1, " + rows + ") g",
                "CREATE TABLE public.\"Odd Name\" (\"key col\" text PRIMARY KEY)",
                "INSERT INTO public.\"Odd Name\" VALUES ('x'), ('y')");
    }

    /** Every table's row count, by schema.table, as counted in the database. */
    static Map<String, Long> rowCounts(LocalCluster cluster, String database) {
        Map<String, Long> counts = new LinkedHashMap<>();
        try (Connection c = cluster.primary().connect(database)) {
            for (ServerAccess.TableRows t : ServerAccess.count(c, ServerAccess.tables(c))) {
                counts.put(t.schema() + "." + t.name(), t.rows());
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return counts;
    }

    /**
     * The real {@code pg_dump --schema-only} of a database, to compare definitions; the random key of
     * psql's {@code \restrict} guard (new in recent minor releases) differs on every run and is left out.
     */
    static String schemaOnly(LocalCluster cluster, String database) {
        String dump = run(cluster, List.of(tool(cluster, "pg_dump"), "--schema-only",
                "--no-password", "--dbname=" + ServerAccess.dbnameConninfo(database)));
        return dump.lines().filter(l -> !l.startsWith("\\restrict ") && !l.startsWith("\\unrestrict "))
                .collect(java.util.stream.Collectors.joining("\n"));
    }

    /** Runs a client tool against the cluster's primary as the superuser (password through the cluster's 0600 file); with no cluster, just runs it. */
    static String run(LocalCluster cluster, List<String> command) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
            if (cluster == null) {
                return finish(pb, command);
            }
            pb.environment().put("PGHOST", Node.HOST);
            pb.environment().put("PGPORT", Integer.toString(cluster.primary().port()));
            pb.environment().put("PGUSER", cluster.superuser());
            pb.environment().put("PGPASSFILE", cluster.pgpassFile().toString());
            return finish(pb, command);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String finish(ProcessBuilder pb, List<String> command) throws IOException, InterruptedException {
        Path output = Files.createTempFile("backup-testing", ".out");
        pb.redirectOutput(output.toFile()); // a file, not a pipe: a hung tool cannot hang the read
        Process p = pb.start();
        boolean finished = p.waitFor(120, TimeUnit.SECONDS);
        if (!finished) {
            p.destroyForcibly();
        }
        String out = Files.readString(output);
        Files.delete(output);
        if (!finished || p.exitValue() != 0) {
            throw new IllegalStateException(command + " failed: " + out);
        }
        return out;
    }

    /** Client tools of the machine: the server binaries' folder when it has pg_dump, else the PATH's. */
    static String tool(LocalCluster cluster, String name) {
        Path inBin = cluster.binaries().binDir().resolve(name);
        return Files.isExecutable(inBin) ? inBin.toString() : name;
    }
}
