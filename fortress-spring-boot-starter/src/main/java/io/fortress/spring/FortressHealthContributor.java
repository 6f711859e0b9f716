package io.fortress.spring;

import io.fortress.db.Database;
import io.fortress.db.api.NodeHealth;
import io.fortress.db.api.NodeRole;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.springframework.boot.actuate.health.CompositeHealthContributor;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthContributor;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.NamedContributor;
import org.springframework.boot.actuate.health.Status;

/**
 * {@code /actuator/health/fortress}: one component per node, from the health checker's cached view
 * (no query per request). The primary is UP while it takes writes and DOWN otherwise, which makes the
 * application DOWN; a replica out of rotation is {@link #REPLICA_OUT}, a status Spring Boot's
 * aggregation leaves out, so the application stays UP while reads go elsewhere.
 */
public final class FortressHealthContributor implements CompositeHealthContributor {
    /** A replica that takes no reads now (down, lagging, paused, ...): shown, but not DOWN for the application. */
    public static final Status REPLICA_OUT = new Status("REPLICA_OUT", "out of rotation: reads go to other nodes");

    private final Database database;

    public FortressHealthContributor(Database database) {
        this.database = database;
    }

    private Map<String, HealthContributor> nodes() {
        Map<String, HealthContributor> nodes = new LinkedHashMap<>();
        for (NodeHealth n : database.nodes()) {
            String name = n.name();
            nodes.put(name, (HealthIndicator) () -> health(database.nodes().stream().filter(x -> x.name().equals(name)).findFirst().orElse(n)));
        }
        return nodes;
    }

    static Health health(NodeHealth n) {
        Status status = n.role() == NodeRole.PRIMARY ? (n.state().isGood() ? Status.UP : Status.DOWN)
                : (n.state().isGood() ? Status.UP : REPLICA_OUT);
        Health.Builder b = Health.status(status)
                .withDetail("role", n.role().name().toLowerCase(Locale.ROOT))
                .withDetail("address", n.address().toString())
                .withDetail("state", n.state().name())
                .withDetail("reason", n.reason())
                .withDetail("since", String.valueOf(n.since()));
        if (n.lagSeconds() != null) {
            b.withDetail("lagSeconds", n.lagSeconds());
        }
        if (n.lagBytes() != null) {
            b.withDetail("lagBytes", n.lagBytes());
        }
        return b.build();
    }

    @Override
    public HealthContributor getContributor(String name) {
        return nodes().get(name);
    }

    @Override
    public Iterator<NamedContributor<HealthContributor>> iterator() {
        return nodes().entrySet().stream().map(e -> NamedContributor.of(e.getKey(), e.getValue())).iterator();
    }
}
