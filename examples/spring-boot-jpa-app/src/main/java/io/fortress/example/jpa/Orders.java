package io.fortress.example.jpa;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.data.domain.Limit;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** The orders through Spring Data JPA: @Transactional methods; fortress routes each transaction. */
@Service
public class Orders {
    private final OrderRepository orders;

    public Orders(OrderRepository orders) {
        this.orders = orders;
    }

    /** A write: the primary. */
    @Transactional
    public Map<String, Object> create(String item) {
        Order order = orders.save(new Order(item));
        return Map.of("id", order.getId(), "item", order.getItem(), "served_by", servedBy());
    }

    /** Read back right after writing it: a replica that has replayed the caller's token, or the primary. */
    @Transactional(readOnly = true, label = "fortress:read-your-writes")
    public Optional<Map<String, Object>> find(long id) {
        return orders.findById(id).map(o -> Map.of("id", o.getId(), "item", o.getItem(), "served_by", servedBy()));
    }

    /** The latest orders, from a replica; says which server answered. */
    @Transactional(readOnly = true)
    public Map<String, Object> latest(int limit) {
        List<Map<String, Object>> latest = orders.findByOrderByIdDesc(Limit.of(limit)).stream()
                .map(o -> Map.<String, Object>of("id", o.getId(), "item", o.getItem())).toList();
        return Map.of("orders", latest, "served_by", servedBy());
    }

    private Map<String, Object> servedBy() {
        String[] server = orders.server().split(",");
        return Map.of("port", Integer.parseInt(server[0]), "replica", server[1].equals("true"));
    }
}
