package io.fortress.springtests.jooq;

import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

@RestController
public class ItemController {
    private final Items items;

    public ItemController(Items items) {
        this.items = items;
    }

    @PostMapping("/items")
    public Map<String, Object> add(@RequestBody Map<String, String> body) {
        return Map.of("id", items.add(body.get("name")));
    }

    /** The server of a read-only transaction, then of a read-write one. */
    @GetMapping("/ports")
    public Map<String, Object> ports() {
        return Map.of("readOnly", items.readOnlyPort(), "readWrite", items.readWritePort());
    }
}
