package io.fortress.springtests.jdbc;

import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
public class Items {
    private final ItemRepository items;

    public Items(ItemRepository items) {
        this.items = items;
    }

    @Transactional
    public long add(String name) {
        return items.save(new Item(null, name)).id();
    }

    @Transactional(readOnly = true)
    public int readOnlyPort() {
        return items.serverPort();
    }

    @Transactional
    public int readWritePort() {
        return items.serverPort();
    }
}
