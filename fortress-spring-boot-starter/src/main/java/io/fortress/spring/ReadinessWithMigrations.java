package io.fortress.spring;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.health.AdditionalHealthEndpointPath;
import org.springframework.boot.actuate.health.HealthEndpointGroup;
import org.springframework.boot.actuate.health.HealthEndpointGroups;
import org.springframework.boot.actuate.health.HealthEndpointGroupsPostProcessor;
import org.springframework.boot.actuate.health.HttpCodeStatusMapper;
import org.springframework.boot.actuate.health.StatusAggregator;

/**
 * Adds the migrations' health to the application's readiness group, where there is one (Spring Boot's
 * probes on Kubernetes or with {@code management.endpoint.health.probes.enabled=true}, or a group the
 * application defines): an instance whose schema is behind its code is alive, but takes no traffic.
 * Without a readiness group nothing changes, so no group ever names a contributor that is not there.
 */
final class ReadinessWithMigrations implements HealthEndpointGroupsPostProcessor {
    /** The contributor's name: the bean fortressMigrationsHealthIndicator. */
    static final String MEMBER = "fortressMigrations";
    static final String READINESS = "readiness";

    @Override
    public HealthEndpointGroups postProcessHealthEndpointGroups(HealthEndpointGroups groups) {
        HealthEndpointGroup readiness = groups.get(READINESS);
        if (readiness == null || readiness.isMember(MEMBER)) {
            return groups;
        }
        Map<String, HealthEndpointGroup> all = new LinkedHashMap<>();
        groups.getNames().forEach(name -> all.put(name, groups.get(name)));
        all.put(READINESS, new WithMigrations(readiness));
        return HealthEndpointGroups.of(groups.getPrimary(), all);
    }

    private record WithMigrations(HealthEndpointGroup group) implements HealthEndpointGroup {
        @Override
        public boolean isMember(String name) {
            return MEMBER.equals(name) || group.isMember(name);
        }

        @Override
        public boolean showComponents(SecurityContext securityContext) {
            return group.showComponents(securityContext);
        }

        @Override
        public boolean showDetails(SecurityContext securityContext) {
            return group.showDetails(securityContext);
        }

        @Override
        public StatusAggregator getStatusAggregator() {
            return group.getStatusAggregator();
        }

        @Override
        public HttpCodeStatusMapper getHttpCodeStatusMapper() {
            return group.getHttpCodeStatusMapper();
        }

        @Override
        public AdditionalHealthEndpointPath getAdditionalPath() {
            return group.getAdditionalPath();
        }
    }
}
