package io.fortress.example.jpa;

import java.net.URI;
import java.util.Map;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /orders {"item": ...}} saves an order (the write's token in the
 * {@code Fortress-Consistency-Token} header); {@code GET /orders/{id}} with that header reads it back;
 * {@code GET /orders} lists the latest from a replica. Each answer says which server served it.
 */
@RestController
public class OrderController {
    private final Orders orders;

    public OrderController(Orders orders) {
        this.orders = orders;
    }

    @PostMapping("/orders")
    public ResponseEntity<Map<String, Object>> create(@RequestBody Map<String, String> body) {
        String item = body.get("item");
        if (item == null || item.isBlank()) {
            return ResponseEntity.badRequest().body(Map.of("error", "item is required"));
        }
        Map<String, Object> created = orders.create(item);
        return ResponseEntity.created(URI.create("/orders/" + created.get("id"))).body(created);
    }

    @GetMapping("/orders/{id}")
    public ResponseEntity<Map<String, Object>> find(@PathVariable long id) {
        return orders.find(id).map(ResponseEntity::ok).orElseGet(() -> ResponseEntity.notFound().build());
    }

    @GetMapping("/orders")
    public Map<String, Object> latest(@RequestParam(defaultValue = "20") int limit) {
        return orders.latest(Math.max(1, Math.min(limit, 1000)));
    }
}
