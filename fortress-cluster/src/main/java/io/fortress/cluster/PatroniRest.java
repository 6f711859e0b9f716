package io.fortress.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A client of Patroni's REST API (and etcd's health endpoint): {@code GET /cluster}, {@code POST /switchover}. */
final class PatroniRest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** The body of a 200 answer; empty for any other status, or when nothing answers. */
    Optional<String> get(String url) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3)).GET().build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? Optional.of(response.body()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Every member as {@code GET /cluster} on the first of the REST APIs that answers lists it. */
    List<PatroniCluster.Member> members(List<String> restUrls) {
        for (String url : restUrls) {
            Optional<String> body = get(url + "/cluster");
            if (body.isPresent()) {
                return parseMembers(body.get());
            }
        }
        throw new ClusterException("no member's REST API answers GET /cluster");
    }

    private static List<PatroniCluster.Member> parseMembers(String body) {
        try {
            List<PatroniCluster.Member> members = new ArrayList<>();
            for (JsonNode m : JSON.readTree(body).path("members")) {
                Map<String, Object> tags = new LinkedHashMap<>();
                m.path("tags").fields().forEachRemaining(e -> tags.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class)));
                members.add(new PatroniCluster.Member(m.path("name").asText(), m.path("role").asText(), m.path("state").asText(),
                        m.path("host").asText(), m.path("port").asInt(), m.hasNonNull("timeline") ? m.get("timeline").asLong() : null,
                        m.path("lag").isNumber() ? m.get("lag").asLong() : null, Map.copyOf(tags)));
            }
            return members;
        } catch (IOException e) {
            throw new ClusterException("GET /cluster answered something that is not its JSON: " + e.getMessage(), e);
        }
    }

    /** {@code POST /switchover} to the leader's REST API; returns once Patroni reports it done. */
    void switchover(String leaderUrl, String leader, String candidate) {
        String body = "{\"leader\":\"" + leader + "\",\"candidate\":\"" + candidate + "\"}";
        HttpRequest request = HttpRequest.newBuilder(URI.create(leaderUrl + "/switchover"))
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new ClusterException("switchover to " + candidate + " refused: HTTP " + response.statusCode() + " " + response.body());
            }
        } catch (IOException e) {
            throw new ClusterException("switchover to " + candidate + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterException("interrupted during a switchover", e);
        }
    }

    /** What {@code patronictl list -f json} prints, parsed (patronictl prints a warning line first at times). */
    static List<Map<String, Object>> parsePatronictlList(String out) {
        try {
            return JSON.readValue(out.substring(out.indexOf('[')), new com.fasterxml.jackson.core.type.TypeReference<>() { });
        } catch (IOException | RuntimeException e) {
            throw new ClusterException("patronictl list printed no JSON: " + out.strip(), e);
        }
    }
}
