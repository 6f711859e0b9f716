package io.fortress.springtests;

import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** The HTTP face of the stack applications of {@link OtherStacksTest}, each of which imports it over its own {@link Items}. */
@RestController
public class ItemController {
    /** What each stack's service does, in its own way. */
    public interface Items {
        long add(String name);

        /** The server port of a read-only transaction. */
        int readOnlyPort();

        /** The server port of a read-write transaction. */
        int readWritePort();
    }

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
