package io.fortress.cli;

import io.fortress.db.api.DaemonThreads;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fortress.db.Database;
import io.fortress.db.migrate.MigrationManager;
import io.fortress.db.migrate.MigrationVersion;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * Whether serve is ready: the primary takes writes (the health checker's cached state) and every
 * service's schema is at the newest version the jar carries, clean. A thread of its own refreshes the
 * schema versions every second, so a probe never waits on a database and a hung primary cannot tie up
 * the HTTP threads; the primary's state is read per probe, so readiness and /health/database agree.
 */
final class Readiness implements AutoCloseable {
    private final Database db;
    private final Map<Service, MigrationManager> managers;
    private final Map<Service, Long> latest;
    private final ScheduledExecutorService refresher;
    private volatile State current;

    Readiness(Database db, Map<Service, MigrationManager> managers, Map<Service, Long> latest) {
        this.db = db;
        this.managers = managers;
        this.latest = latest;
        this.current = read();
        this.refresher = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("fortress-readiness"));
        refresher.scheduleWithFixedDelay(this::refresh, 1, 1, TimeUnit.SECONDS);
    }

    /**
     * Each service's schema as gauges, from the versions last read: {@code fortress_migration_version},
     * {@code fortress_migration_latest_version} (the newest the jar carries) and {@code fortress_migration_dirty}
     * (label {@code service}); NaN while unknown (the primary was down at the last reading).
     */
    void bindTo(io.micrometer.core.instrument.MeterRegistry registry) {
        for (Service service : managers.keySet()) {
            io.micrometer.core.instrument.Gauge.builder("fortress.migration.version", this,
                            r -> r.known(service) ? r.current.schemas().get(service).version() : Double.NaN)
                    .tag("service", service.id()).description("The schema's migration version").register(registry);
            io.micrometer.core.instrument.Gauge.builder("fortress.migration.latest.version", this, r -> latest.get(service))
                    .tag("service", service.id()).description("The newest migration version this build carries").register(registry);
            io.micrometer.core.instrument.Gauge.builder("fortress.migration.dirty", this,
                            r -> r.known(service) ? (r.current.schemas().get(service).dirty() ? 1 : 0) : Double.NaN)
                    .tag("service", service.id()).description("1 while the schema is dirty (a migration failed half-way)").register(registry);
        }
    }

    private boolean known(Service service) {
        Schema s = current.schemas().get(service);
        return s != null && s.error() == null;
    }

    /** One service's schema version against the newest the jar carries. */
    record Schema(long version, long latest, boolean dirty, String error) {
        boolean current() {
            return error == null && !dirty && version == latest;
        }
    }

    /** The readiness and what it is made of. */
    record State(boolean primaryHealthy, Map<Service, Schema> schemas) {
        boolean ready() {
            return primaryHealthy && schemas.values().stream().allMatch(Schema::current);
        }

        String toJson() {
            ObjectNode root = HealthJson.JSON.createObjectNode();
            root.put("ready", ready());
            root.put("primary_healthy", primaryHealthy);
            ObjectNode migrations = root.putObject("migrations");
            schemas.forEach((service, s) -> {
                ObjectNode m = migrations.putObject(service.id());
                m.put("version", s.version());
                m.put("latest", s.latest());
                m.put("dirty", s.dirty());
                m.put("current", s.current());
                if (s.error() != null) {
                    m.put("error", s.error());
                }
            });
            return root.toString();
        }
    }

    /**
     * The primary's state as the health checker sees it now, with the schema versions last read (at
     * most about a second old, and marked unknown when read while the primary was down); never queries.
     */
    State current() {
        return new State(db.healthChecker().isHealthy(), current.schemas());
    }

    private void refresh() {
        try {
            current = read();
        } catch (RuntimeException e) {
            LoggerFactory.getLogger(Readiness.class).warn("readiness check failed: {}", e.toString());
        }
    }

    private State read() {
        boolean healthy = db.healthChecker().isHealthy();
        Map<Service, Schema> schemas = new LinkedHashMap<>();
        for (Map.Entry<Service, MigrationManager> e : managers.entrySet()) {
            long newest = latest.get(e.getKey());
            if (!healthy) {
                schemas.put(e.getKey(), new Schema(-1, newest, false, "the primary is not available"));
                continue;
            }
            try {
                MigrationVersion v = e.getValue().version();
                schemas.put(e.getKey(), new Schema(v.version(), newest, v.dirty(), null));
            } catch (RuntimeException failure) {
                schemas.put(e.getKey(), new Schema(-1, newest, false, failure.getMessage()));
            }
        }
        return new State(healthy, schemas);
    }

    @Override
    public void close() {
        refresher.shutdownNow();
    }
}
