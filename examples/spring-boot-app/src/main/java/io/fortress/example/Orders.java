package io.fortress.example;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** The orders, in the schema {@code shop} that fortress migrates at start-up. */
@Service
public class Orders {
    private final JdbcTemplate jdbc;

    public Orders(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** A write: the primary. */
    @Transactional
    public long create(String item) {
        return jdbc.queryForObject("INSERT INTO shop.orders(item) VALUES (?) RETURNING id", Long.class, item);
    }

    /** Read back right after writing it: a replica that has replayed the caller's token, or the primary. */
    @Transactional(readOnly = true, label = "fortress:read-your-writes")
    public Optional<Map<String, Object>> find(long id) {
        return jdbc.queryForList("SELECT id, item, created_at::text AS created_at FROM shop.orders WHERE id = ?", id).stream().findFirst();
    }

    /** The latest orders, from a replica; says which server answered and whether it is a standby. */
    @Transactional(readOnly = true)
    public Map<String, Object> latest(int limit) {
        List<Map<String, Object>> orders = jdbc.queryForList(
                "SELECT id, item, created_at::text AS created_at FROM shop.orders ORDER BY id DESC LIMIT ?", limit);
        Map<String, Object> server = jdbc.queryForMap("SELECT inet_server_port() AS port, pg_is_in_recovery() AS replica");
        return Map.of("orders", orders, "served_by", server);
    }
}
