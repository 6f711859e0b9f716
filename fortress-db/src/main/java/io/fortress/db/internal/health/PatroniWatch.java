package io.fortress.db.internal.health;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fortress.db.api.DatabaseUnavailableException;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.HostAndPort;
import io.fortress.db.internal.pool.Topology;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Patroni's view of the cluster, read from {@code GET /cluster} on the first member REST API that
 * answers (the one that answered last first): which member leads, which exist, with which tags. It is
 * one witness of two: a member gets writes only once its own connection also says it takes writes,
 * and while no REST API answers the last view stands and fortress's own checks decide alone.
 */
public final class PatroniWatch {
    private static final Logger LOG = LoggerFactory.getLogger("io.fortress.db.HealthChecker");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A member as {@code GET /cluster} lists it; {@code lagBytes} is Patroni's own, from the DCS (null on the leader). */
    public record Member(String name, String role, String state, HostAndPort address, Long timeline, Long lagBytes,
                         boolean noLoadBalance, boolean noFailover) {
        boolean isLeader() {
            return "leader".equals(role) || "standby_leader".equals(role);
        }
    }

    /** One reading of {@code GET /cluster}: the members, which URL answered, and when. */
    public record View(List<Member> members, URI source, Instant at) {
        /** The member Patroni holds as the leader, if any. */
        public Optional<Member> leader() {
            return members.stream().filter(Member::isLeader).findFirst();
        }

        /** Who may be the primary: the leader first, then every member not tagged nofailover, in Patroni's order. */
        List<Topology.Member> candidates() {
            List<Topology.Member> candidates = new ArrayList<>();
            leader().ifPresent(l -> candidates.add(new Topology.Member(l.name(), l.address())));
            members.stream().filter(m -> !m.isLeader() && !m.noFailover()).forEach(m -> candidates.add(new Topology.Member(m.name(), m.address())));
            return candidates;
        }

        /**
         * Who takes reads: every member but the leader and those tagged noloadbalance. A switchover thus
         * retires the new leader's replica pool (once writes have moved there) and creates one for the
         * old leader once Patroni lists it as a replica.
         */
        List<Topology.Member> replicas() {
            return members.stream().filter(m -> !m.isLeader() && !m.noLoadBalance()).map(m -> new Topology.Member(m.name(), m.address())).toList();
        }
    }

    private final List<URI> urls;
    private final HttpClient http;
    private volatile int preferred;
    private volatile View last;
    private volatile String failure;

    public PatroniWatch(List<URI> urls) {
        this.urls = List.copyOf(urls);
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /**
     * The topology of the members Patroni lists now, for {@code Database.open}.
     *
     * @throws DatabaseUnavailableException when no REST API answers within the connect timeout, or none lists a member
     */
    public Topology topology(DbConfig config, MeterRegistry registry) {
        View view = fetch(config.connectTimeout()).orElseThrow(() -> new DatabaseUnavailableException(
                "no Patroni REST API of patroniUrls (DB_PATRONI_URL) answered GET /cluster within connectTimeout: " + failure, null, "patroni"));
        if (view.candidates().isEmpty()) {
            throw new DatabaseUnavailableException("Patroni (" + view.source() + ") lists no member that may be the primary: "
                    + view.members(), null, "patroni");
        }
        return Topology.create(config, registry, view.candidates(), view.replicas());
    }

    /** The last view read, or null before the first. */
    public View last() {
        return last;
    }

    /** Reads {@code GET /cluster}, trying each URL in turn; empty (the last view stands) when none answers. */
    public Optional<View> fetch(Duration timeout) {
        List<String> errors = new ArrayList<>();
        int first = preferred;
        for (int i = 0; i < urls.size(); i++) {
            int index = (first + i) % urls.size();
            URI url = urls.get(index);
            try {
                HttpRequest request = HttpRequest.newBuilder(url.resolve("/cluster")).timeout(timeout).GET().build();
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 200) {
                    errors.add(url + ": HTTP " + response.statusCode());
                    continue;
                }
                View view = new View(parse(response.body()), url, Instant.now());
                preferred = index;
                if (failure != null && last != null) {
                    LOG.info("Patroni answers again ({})", url);
                }
                failure = null;
                last = view;
                return Optional.of(view);
            } catch (IOException | RuntimeException e) {
                errors.add(url + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                errors.add(url + ": interrupted");
                break;
            }
        }
        String now = String.join("; ", errors);
        if (failure == null && last != null) {
            LOG.warn("no Patroni REST API answers ({}); the last topology stands and the nodes' own checks decide", now);
        }
        failure = now;
        return Optional.empty();
    }

    /** The members of a {@code GET /cluster} body. */
    static List<Member> parse(String body) throws IOException {
        List<Member> members = new ArrayList<>();
        for (JsonNode m : JSON.readTree(body).path("members")) {
            if (!m.hasNonNull("host") || !m.path("port").canConvertToInt()) {
                continue; // a member still bootstrapping has no address yet
            }
            JsonNode tags = m.path("tags");
            members.add(new Member(m.path("name").asText(), m.path("role").asText(), m.path("state").asText(),
                    new HostAndPort(m.get("host").asText(), m.get("port").asInt()),
                    m.path("timeline").isNumber() ? m.get("timeline").asLong() : null,
                    m.path("lag").isNumber() ? m.get("lag").asLong() : null,
                    tags.path("noloadbalance").asBoolean(false), tags.path("nofailover").asBoolean(false)));
        }
        return List.copyOf(members);
    }
}
