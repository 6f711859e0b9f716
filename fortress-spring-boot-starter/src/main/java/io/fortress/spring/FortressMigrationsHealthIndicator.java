package io.fortress.spring;

import io.fortress.db.migrate.MigrationStatus;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * {@code /actuator/health/fortressMigrations}, in the readiness group where there is one: UP while every service
 * of {@code fortress.migrations.services} is at the newest version of its source and not dirty, OUT_OF_SERVICE
 * while one is behind (an instance with an older schema than its code should take no traffic), DOWN when
 * one is dirty.
 */
public final class FortressMigrationsHealthIndicator extends AbstractHealthIndicator {
    private final FortressMigrations migrations;

    public FortressMigrationsHealthIndicator(FortressMigrations migrations) {
        super("fortress migrations check failed");
        this.migrations = migrations;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        boolean dirty = false;
        boolean behind = false;
        for (MigrationStatus s : migrations.statuses()) {
            builder.withDetail(s.schema(), java.util.Map.of("version", s.version(), "latest", s.latestVersion(), "dirty", s.dirty(),
                    "pending", s.pending()));
            dirty |= s.dirty();
            behind |= s.version() < s.latestVersion();
        }
        if (dirty) {
            builder.down();
        } else if (behind) {
            builder.outOfService();
        } else {
            builder.up();
        }
    }
}
