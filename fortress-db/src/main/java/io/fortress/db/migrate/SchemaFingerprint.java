package io.fortress.db.migrate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shape of a migrated schema, one SHA-256 per object: each table, view or foreign table (its
 * columns with types, defaults and nullability, its constraints, indexes, triggers and row-level
 * security policies) and each function or procedure (its definition). The migrator's own tables,
 * partitions (often created at run time) and objects of extensions are left out. Recorded with the
 * last migration of a run and with force, and compared by validate() and status(), it shows changes
 * made outside migrations ({@link Finding.Kind#SCHEMA_DRIFT}).
 */
final class SchemaFingerprint {
    private static final Logger LOG = LoggerFactory.getLogger(SchemaFingerprint.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    // The definitions are printed under fixed settings (see PRINTING), so that the text depends on the
    // schema only: every name schema-qualified, constants in one time zone and style.
    private static final String OBJECTS = """
            SELECT * FROM (
            SELECT CASE c.relkind WHEN 'v' THEN 'view ' WHEN 'm' THEN 'materialized view ' WHEN 'f' THEN 'foreign table '
                   ELSE 'table ' END || c.relname, encode(sha256(convert_to(concat_ws(' | ', c.relkind::text, c.relrowsecurity::text, c.relforcerowsecurity::text,
                (SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
                        || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                        || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
                        || ' ' || a.attidentity::text || a.attgenerated::text || ' ' || coalesce(co.collname, ''), ', ' ORDER BY a.attnum)
                   FROM pg_attribute a
                   LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                   LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 0
                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
                (SELECT string_agg(quote_ident(k.conname) || ' ' || pg_get_constraintdef(k.oid), ', ' ORDER BY k.conname)
                   FROM pg_constraint k WHERE k.conrelid = c.oid),
                (SELECT string_agg(pg_get_indexdef(i.indexrelid), ', ' ORDER BY pg_get_indexdef(i.indexrelid))
                   FROM pg_index i WHERE i.indrelid = c.oid),
                (SELECT string_agg(pg_get_triggerdef(t.oid), ', ' ORDER BY t.tgname)
                   FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal),
                (SELECT string_agg(quote_ident(p.polname) || ' ' || p.polcmd::text || ' ' || p.polpermissive::text || ' '
                        || p.polroles::regrole[]::text || ' '
                        || coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), ''),
                        ', ' ORDER BY p.polname)
                   FROM pg_policy p WHERE p.polrelid = c.oid),
                CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END), 'UTF8')), 'hex')
              FROM pg_class c
             WHERE c.relnamespace = ?::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
               AND c.relname NOT IN (?, ?)
               AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
            UNION ALL
            SELECT CASE p.prokind WHEN 'p' THEN 'procedure ' ELSE 'function ' END || p.proname
                   || '(' || pg_get_function_identity_arguments(p.oid) || ')',
                   encode(sha256(convert_to(pg_get_functiondef(p.oid), 'UTF8')), 'hex')
              FROM pg_proc p
             WHERE p.pronamespace = ?::regnamespace AND p.prokind IN ('f', 'p')
               AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')
            ) objects (name, hash) WHERE hash IS NOT NULL
            """;

    /**
     * Settings that change how definitions print, fixed for the rest of the reading transaction: both
     * the recording run and a later report print alike, whatever their sessions (or a migration's own
     * SET LOCAL) chose.
     */
    private static final String PRINTING = "SELECT set_config('search_path', 'pg_catalog', true), set_config('TimeZone', 'UTC', true), "
            + "set_config('DateStyle', 'ISO, MDY', true), set_config('IntervalStyle', 'postgres', true), "
            + "set_config('extra_float_digits', '1', true), set_config('bytea_output', 'hex', true), "
            + "set_config('quote_all_identifiers', 'off', true)";

    private SchemaFingerprint() {
    }

    /**
     * Object name to the SHA-256 of its definition, sorted by name; empty when the schema does not
     * exist. Runs inside the caller's transaction and changes its printing settings until it ends.
     */
    static SortedMap<String, String> read(Connection c, TableNames names) throws SQLException {
        SortedMap<String, String> objects = new TreeMap<>();
        if (!VersionTable.schemaExists(c, names.schema())) {
            return objects;
        }
        try (PreparedStatement settings = c.prepareStatement(PRINTING)) {
            settings.execute();
        }
        try (PreparedStatement ps = c.prepareStatement(OBJECTS)) {
            ps.setString(1, names.quotedSchema());
            ps.setString(2, names.table());
            ps.setString(3, names.history());
            ps.setString(4, names.quotedSchema());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    objects.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return objects;
    }

    /**
     * The fingerprint as JSON for the history row, read inside the caller's transaction; null, with a
     * warning, when it cannot be read, so that a fingerprint never fails the migration it belongs to.
     */
    static String recordable(Connection c, TableNames names) {
        Savepoint before = null;
        try {
            before = c.setSavepoint();
            String json = JSON.writeValueAsString(read(c, names));
            c.releaseSavepoint(before);
            return json;
        } catch (SQLException | JsonProcessingException | RuntimeException e) {
            LOG.warn("{}: the schema's fingerprint was not recorded ({}); validate() cannot check it for drift until the next run",
                    names.display(), e.getMessage());
            if (before != null) {
                try {
                    c.rollback(before);
                } catch (SQLException rollback) {
                    e.addSuppressed(rollback);
                }
            }
            return null;
        }
    }

    static SortedMap<String, String> parse(String json) {
        try {
            return JSON.readValue(json, new TypeReference<TreeMap<String, String>>() { });
        } catch (JsonProcessingException e) {
            throw new MigrationException("the recorded schema fingerprint is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** What differs between the recorded and the current fingerprint, one description per object, sorted. */
    static List<String> differences(Map<String, String> recorded, Map<String, String> current) {
        SortedMap<String, String> all = new TreeMap<>();
        recorded.forEach((name, hash) -> {
            if (!current.containsKey(name)) {
                all.put(name, name + " was dropped");
            } else if (!Objects.equals(current.get(name), hash)) {
                all.put(name, name + " changed");
            }
        });
        current.keySet().stream().filter(name -> !recorded.containsKey(name)).forEach(name -> all.put(name, name + " was added"));
        return new ArrayList<>(all.values());
    }

    /** The fingerprint recorded by the newest history row that moved or set the version, if it has one. */
    record Recorded(long version, SortedMap<String, String> objects) {
        static Optional<Recorded> of(Long version, String json) {
            return json == null || version == null ? Optional.empty() : Optional.of(new Recorded(version, parse(json)));
        }
    }
}
